"""What a jurisdiction message carries out and what the receiving desk makes of it
(seed Art 12-15), without I/O."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from liuhen.platform.errors import FailedPrecondition, InvalidArgument
from services.intake import messages
from services.intake.documents import IntakeDocument
from services.intake.model import Intake, Material

NOW = datetime(2026, 11, 27, 2, tzinfo=UTC)


def intake() -> Intake:
    i = Intake(
        id="i-1",
        tenant_id="jiangan",
        source="visit",
        kind="report",
        complainant_name="",
        anonymous=True,
        gender="",
        contact="",
        employer_name="某公司",
        employer_address="洪山区",
        violation="未缴社保",
        received_at=NOW,
        registered_by="u-desk",
        conduct_ended_on=date(2026, 1, 31),
    )
    i.materials.append(
        Material(
            id="m-1",
            intake_id="i-1",
            tenant_id="jiangan",
            submitted_by="reporter",
            description="工资条",
            is_copy=True,
            checked_against_original=True,
            pages=2,
            stamps="2026年11月27日举报人提交资料\n经核对，原件与复印件一致",
            received_at=NOW,
        )
    )
    return i


def slip() -> IntakeDocument:
    return IntakeDocument(
        id="d-1",
        intake_id="i-1",
        tenant_id="jiangan",
        type="jurisdiction_transfer_slip",
        state="effective",
        content_json='{"grounds":"用工地在洪山区"}',
        content_sha256="a" * 64,
        drafted_by="u-desk",
        drafted_role="intake",
        drafted_at=NOW,
        recipient="hongshan",
        approved_by="u-head",
    )


def test_art12_the_receiving_desk_registers_what_the_slip_carries():
    body = messages.read_payload(
        "jurisdiction_transfer", messages.outbound_payload(intake(), slip())
    )
    cmd = messages.registration_of(body, source="transfer", received_at=NOW)
    assert (cmd.source, cmd.kind, cmd.anonymous, cmd.employer_name) == (
        "transfer",
        "report",
        True,
        "某公司",
    )
    assert cmd.conduct_ended_on == date(2026, 1, 31)
    [material] = messages.materials_of(body)
    assert material["stamps"].split("\n")[1] == "经核对，原件与复印件一致"
    assert body["slip"]["content"] == {"grounds": "用工地在洪山区"}
    assert body["slip"]["document"] == "intakes/i-1/documents/d-1"


@pytest.mark.parametrize(
    ("type", "payload"),
    [
        ("assistance_request", "{}"),
        ("jurisdiction_transfer", "not json"),
        ("jurisdiction_transfer", "[]"),
        ("jurisdiction_transfer", '{"slip": {}}'),
    ],
)
def test_design7_a_message_that_is_not_an_intake_slip_is_refused(type, payload):
    with pytest.raises(InvalidArgument):
        messages.read_payload(type, payload)


def test_art12_a_slip_without_the_employer_is_refused_like_a_bad_registration():
    body = json.loads(messages.outbound_payload(intake(), slip()))
    body["intake"]["employer"] = {}
    with pytest.raises(InvalidArgument) as err:
        messages.registration_of(body, source="transfer", received_at=NOW)
    assert err.value.field == "employer.name"


def test_art14_a_designation_answering_a_dispute_also_goes_to_the_district_that_raised_it():
    pending = intake()
    pending.from_site, pending.sender_intake = "jiangan", "intakes/j-1"
    pending.origin_json = '{"type": "jurisdiction_dispute_request"}'
    designation = slip()
    designation.type, designation.recipient = "designation_slip", "hongshan"
    assert messages.recipients(pending, designation) == ["hongshan", "jiangan"]
    assert messages.settles(pending, designation) == {
        "site": "jiangan",
        "intake": "intakes/j-1",
        "designated": "hongshan",
    }
    designation.recipient = "jiangan"
    assert messages.recipients(pending, designation) == ["jiangan"]
    assert messages.recipients(intake(), slip()) == ["hongshan"]


def test_art14_only_an_intake_that_raised_a_dispute_is_settled():
    settled = {"site": "jiangan", "intake": "intakes/i-1", "designated": "jiangan"}
    raised = intake()
    raised.state = "dispute_raised"
    messages.settle_dispute(
        raised, settled=settled, tenant="jiangan", message_id="m", from_site="wuhan"
    )
    assert (raised.state, raised.from_site, raised.inbound_message_id) == (
        "registered",
        "wuhan",
        "m",
    )
    with pytest.raises(FailedPrecondition):
        messages.settle_dispute(
            intake(), settled=settled, tenant="jiangan", message_id="m", from_site="wuhan"
        )


def test_regulation20_a_transfer_counts_two_years_to_the_first_report_not_to_its_arrival():
    reported = intake()
    reported.conduct_ended_on = date(2024, 12, 1)  # reported at the sender in time
    body = messages.read_payload(
        "jurisdiction_transfer", messages.outbound_payload(reported, slip())
    )
    months_later = datetime(2026, 12, 5, tzinfo=UTC)
    kwargs = dict(
        message_type="jurisdiction_transfer",
        message_id="m",
        from_site="jiangan",
        sender_intake="intakes/i-1",
        tenant="hongshan",
        registered_by="svc",
    )
    arrived = messages.intake_of(body, received_at=months_later, **kwargs)
    assert not arrived.time_barred
    body["intake"]["received_at"] = months_later.isoformat()
    assert messages.intake_of(body, received_at=months_later, **kwargs).time_barred
