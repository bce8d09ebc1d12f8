"""The intake's document rules and the two-year limit, without I/O (seed Art 6, 11,
13-15; 劳动保障监察条例 Art 20)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from liuhen.platform.errors import FailedPrecondition, InvalidArgument, PermissionDenied
from services.intake.documents import (
    SPECS,
    IntakeDocument,
    check_approval,
    check_draft,
    check_recipient,
    parse_content,
    spec_of,
)
from services.intake.model import is_time_barred

LEVELS = {"wuhan": "city", "jiangan": "district", "hongshan": "district", "hubei": "province"}


def doc(type: str = "non_acceptance_decision", drafted_by: str = "u-desk") -> IntakeDocument:
    return IntakeDocument(
        id="d",
        intake_id="i",
        tenant_id="jiangan",
        type=type,
        state="drafted",
        content_json="{}",
        content_sha256="0" * 64,
        drafted_by=drafted_by,
        drafted_role="intake",
        drafted_at=datetime(2026, 11, 27, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("ended", "received", "barred"),
    [
        (date(2024, 11, 2), datetime(2026, 11, 2, 1, tzinfo=UTC), False),
        (date(2024, 11, 1), datetime(2026, 11, 2, 1, tzinfo=UTC), True),
        (date(2024, 2, 29), datetime(2026, 3, 1, 1, tzinfo=UTC), False),
        (date(2024, 2, 29), datetime(2026, 3, 2, 1, tzinfo=UTC), True),
        (None, datetime(2026, 3, 2, tzinfo=UTC), False),
    ],
)
def test_regulation20_two_years_count_from_the_end_of_the_conduct(ended, received, barred):
    assert is_time_barred(ended, received, reported=False) is barred


def test_regulation20_conduct_reported_in_time_is_not_barred():
    assert not is_time_barred(date(2020, 1, 1), datetime(2026, 1, 1, tzinfo=UTC), reported=True)


def test_regulation20_the_limit_counts_in_wuhan_time():
    # 2026-11-01 17:00 UTC is already 2 November in Wuhan.
    assert is_time_barred(date(2024, 11, 1), datetime(2026, 11, 1, 17, tzinfo=UTC), False)


def test_art13_15_transfer_slips_are_drafted_by_the_district_desk_or_the_city_reviewer():
    slip = spec_of("jurisdiction_transfer_slip")
    assert check_draft(slip, state="to_transfer", level="district", roles=frozenset({"intake"}))
    assert check_draft(slip, state="to_transfer", level="city", roles=frozenset({"reviewer"}))
    with pytest.raises(PermissionDenied):
        check_draft(slip, state="to_transfer", level="city", roles=frozenset({"intake"}))
    with pytest.raises(FailedPrecondition):
        check_draft(slip, state="registered", level="district", roles=frozenset({"intake"}))


def test_art14_only_the_city_designates_and_only_a_district_raises_a_dispute():
    with pytest.raises(FailedPrecondition) as err:
        check_draft(
            spec_of("designation_slip"),
            state="registered",
            level="district",
            roles=frozenset({"reviewer"}),
        )
    assert err.value.reason == "NOT_AT_THIS_LEVEL"
    with pytest.raises(FailedPrecondition):
        check_draft(
            spec_of("jurisdiction_dispute_request"),
            state="registered",
            level="city",
            roles=frozenset({"intake"}),
        )


def test_art14_a_designation_goes_to_a_district_and_a_dispute_to_the_city():
    designation = spec_of("designation_slip")
    assert check_recipient(designation, "jiangan", tenant="wuhan", level_of=LEVELS.get) == "jiangan"
    with pytest.raises(InvalidArgument):
        check_recipient(designation, "hubei", tenant="wuhan", level_of=LEVELS.get)
    dispute = spec_of("jurisdiction_dispute_request")
    assert check_recipient(dispute, "", tenant="jiangan", level_of=LEVELS.get) == "wuhan"


def test_art13_a_transfer_never_goes_to_the_sender_itself():
    with pytest.raises(InvalidArgument):
        check_recipient(
            spec_of("jurisdiction_transfer_slip"), "jiangan", tenant="jiangan", level_of=LEVELS.get
        )


def test_art6_approval_refuses_the_drafter_the_registrar_and_a_non_head():
    heads = frozenset({"head"})
    with pytest.raises(PermissionDenied):
        check_approval(doc(drafted_by="u-head"), user="u-head", roles=heads, registered_by="x")
    with pytest.raises(PermissionDenied):
        check_approval(doc(), user="u-head", roles=heads, registered_by="u-head")
    with pytest.raises(PermissionDenied):
        check_approval(doc(), user="u-2", roles=frozenset({"intake"}), registered_by="x")
    check_approval(doc(), user="u-head", roles=heads, registered_by="x")


def test_design8_content_is_a_json_object_with_its_required_fields():
    spec = spec_of("supplement_notice")
    assert parse_content(spec, '{"missing": "工资条"}') == {"missing": "工资条"}
    for bad in ("[]", "not json", '{"missing": " "}'):
        with pytest.raises(InvalidArgument):
            parse_content(spec, bad)
    with pytest.raises(InvalidArgument):
        spec_of("penalty_decision")


@pytest.mark.parametrize("code", sorted(SPECS))
def test_design4_intake_documents_agree_with_the_catalogue(code):
    """Title, approval and recipients come from the catalogue; the drafters the intake
    allows per level must be the catalogue's drafters, no more and no fewer."""
    from liuhen.platform.catalogue import document_type

    spec, entry = spec_of(code), document_type(code)
    drafters = {r for roles in spec.drafters.values() for r in roles}
    assert entry.stage == "intake" and drafters == set(entry.drafted_by)
