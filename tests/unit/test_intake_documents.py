"""The intake's document rules and the two-year limit, without I/O (seed Art 6, 11,
13-15; 劳动保障监察条例 Art 20)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from liuhen.platform.catalogue import document_type
from liuhen.platform.documents import drafting_role
from liuhen.platform.errors import FailedPrecondition, InvalidArgument, PermissionDenied
from services.intake.documents import (
    EFFECTS,
    check_acting,
    check_recipient,
    check_state,
    effect_of,
)
from services.intake.model import is_time_barred

LEVELS = {"wuhan": "city", "jiangan": "district", "hongshan": "district", "hubei": "province"}


def role(code: str, level: str, *roles: str) -> str:
    return drafting_role(document_type(code), level=level, roles=roles)


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
    slip = "jurisdiction_transfer_slip"
    assert role(slip, "district", "intake") == "intake"
    assert role(slip, "city", "reviewer") == "reviewer"
    with pytest.raises(PermissionDenied):
        role(slip, "city", "intake")
    with pytest.raises(FailedPrecondition):
        check_state(effect_of(slip), "registered")


def test_art14_only_the_city_designates_and_only_a_district_raises_a_dispute():
    with pytest.raises(FailedPrecondition) as err:
        role("designation_slip", "district", "reviewer")
    assert err.value.reason == "NOT_AT_THIS_LEVEL"
    with pytest.raises(FailedPrecondition):
        role("jurisdiction_dispute_request", "city", "intake")


def test_art14_a_designation_goes_to_a_district_and_a_dispute_to_the_city():
    designation = effect_of("designation_slip")
    assert check_recipient(designation, "jiangan", tenant="wuhan", level_of=LEVELS.get) == "jiangan"
    with pytest.raises(InvalidArgument):
        check_recipient(designation, "hubei", tenant="wuhan", level_of=LEVELS.get)
    dispute = effect_of("jurisdiction_dispute_request")
    assert check_recipient(dispute, "", tenant="jiangan", level_of=LEVELS.get) == "wuhan"


def test_art13_a_transfer_never_goes_to_the_sender_itself():
    with pytest.raises(InvalidArgument):
        check_recipient(
            effect_of("jurisdiction_transfer_slip"),
            "jiangan",
            tenant="jiangan",
            level_of=LEVELS.get,
        )


def test_art6_nobody_acts_on_a_document_of_an_intake_they_registered():
    with pytest.raises(PermissionDenied) as err:
        check_acting(user="u-desk", registered_by="u-desk")
    assert err.value.article == "seed Art 6"
    check_acting(user="u-head", registered_by="u-desk")


def test_design4_an_intake_drafts_only_its_own_documents():
    with pytest.raises(InvalidArgument) as err:
        effect_of("penalty_decision")
    assert err.value.field == "type"


@pytest.mark.parametrize("code", sorted(EFFECTS))
def test_design4_intake_documents_are_the_catalogues_intake_stage(code):
    """What the intake adds is only the effect; the drafters per level, fields and chain
    are the catalogue's."""
    entry = document_type(code)
    assert entry.stage == "intake" and entry.fields and entry.drafters
