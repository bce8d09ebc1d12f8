"""The routing domain's decisions (DESIGN §7; seed Art 21), without I/O."""

from __future__ import annotations

import json
import uuid

import pytest

from liuhen.platform.errors import FailedPrecondition, InvalidArgument
from services.routing import model
from services.routing.model import Inbound, classify

MID = str(uuid.uuid4())


def request_to(recipient: str, **kw: str) -> Inbound:
    return Inbound(
        message_id=kw.pop("message_id", MID),
        type=kw.pop("type", "assistance_request"),
        sender=kw.pop("sender", "jiangan"),
        recipient=recipient,
        **kw,
    )


def test_design7_a_new_message_to_this_site_on_an_allowed_route_is_accepted() -> None:
    verdict = classify(request_to("hongshan"), tenant="hongshan", seen=False)
    assert verdict.action == "accept"
    assert verdict.state == model.RECEIVED


def test_design7_a_message_already_in_the_inbox_is_a_duplicate_and_a_no_op() -> None:
    verdict = classify(request_to("hongshan"), tenant="hongshan", seen=True)
    assert verdict.action == "duplicate"


def test_design7_a_refused_route_is_a_dead_letter_with_its_reason() -> None:
    msg = request_to("hongshan", type="designation", sender="jiangan")
    verdict = classify(
        msg,
        tenant="hongshan",
        seen=False,
        route_refusal="a district may not send designation to a district",
    )
    assert verdict.action == "dead"
    assert verdict.state == model.DEAD
    assert "designation" in verdict.reason


def test_design7_a_message_for_another_site_is_dead_not_applied() -> None:
    verdict = classify(request_to("wuchang"), tenant="hongshan", seen=False)
    assert verdict.action == "dead"
    assert "wuchang" in verdict.reason


def test_design7_an_unreadable_record_is_dead_and_keyed_by_its_bytes() -> None:
    msg = Inbound(message_id="", type="unreadable", sender="", recipient="")
    assert classify(msg, tenant="hongshan", seen=False).action == "dead"
    assert model.substitute_id(b"garbage") == model.substitute_id(b"garbage")
    assert model.substitute_id(b"garbage") != model.substitute_id(b"other")
    assert model.is_uuid(model.substitute_id(b"garbage"))


def test_art21_a_reply_to_a_request_this_site_never_sent_is_dead() -> None:
    reply = Inbound(
        message_id=MID,
        type="assistance_reply",
        sender="hongshan",
        recipient="jiangan",
        correlation_id=str(uuid.uuid4()),
        case_ref="cases/x",
    )
    verdict = classify(reply, tenant="jiangan", seen=False, answers_own_request=False)
    assert verdict.action == "dead"
    assert classify(reply, tenant="jiangan", seen=False).action == "accept"


@pytest.mark.parametrize(
    ("code", "state"),
    [
        ("NOT_FOUND", model.DEAD),
        ("INVALID_ARGUMENT", model.DEAD),
        ("FAILED_PRECONDITION", model.DEAD),
        ("PERMISSION_DENIED", model.DEAD),
        ("UNAVAILABLE", model.RECEIVED),
        ("UNKNOWN", model.RECEIVED),
    ],
)
def test_design7_a_permanent_refusal_is_dead_a_transient_one_is_retried(
    code: str, state: str
) -> None:
    assert model.after_apply_error(code) == state


def test_design7_retries_back_off_up_to_a_minute() -> None:
    delays = [model.backoff_s(n, 0.2) for n in range(1, 12)]
    assert delays == sorted(delays)
    assert delays[-1] == model.MAX_BACKOFF_S


def test_art21_only_a_received_request_can_be_answered_and_findings_are_required() -> None:
    model.check_reply("assistance_request", model.RECEIVED, "found the payroll")
    with pytest.raises(FailedPrecondition):
        model.check_reply("assistance_request", model.ANSWERED, "again")
    with pytest.raises(FailedPrecondition):
        model.check_reply("assistance_reply", model.RECEIVED, "a reply to a reply")
    with pytest.raises(FailedPrecondition):
        model.check_reply("assistance_request", model.DEAD, "to a refused message")
    with pytest.raises(InvalidArgument):
        model.check_reply("assistance_request", model.RECEIVED, "  ")


def test_art21_the_reply_payload_names_the_request_it_answers() -> None:
    payload = json.loads(
        model.reply_payload(
            request_id=MID, findings="工资已发放", handler_name="承办人甲", replied_by="u1"
        )
    )
    assert payload == {
        "findings": "工资已发放",
        "handler_name": "承办人甲",
        "replied_by": "u1",
        "request_message_id": MID,
    }


def test_direction_must_be_inbox_outbox_or_empty() -> None:
    for ok in ("", "inbox", "outbox"):
        model.check_direction(ok)
    with pytest.raises(InvalidArgument):
        model.check_direction("sideways")
