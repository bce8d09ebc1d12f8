"""The platform's request check, JSON content parser and error capping, without a server
(issue 10; DESIGN §8)."""

from __future__ import annotations

import pytest
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from liuhen.cases.v1 import cases_pb2 as cpb
from liuhen.intake.v1 import intake_pb2 as ipb
from liuhen.platform import jsoncontent
from liuhen.platform.errors import FailedPrecondition, InvalidArgument
from liuhen.platform.limits import limits
from liuhen.platform.requests import check_request
from liuhen.platform.server import _status, capped, checked
from liuhen.platform.timestamps import date_of
from liuhen.routing.v1 import routing_pb2 as rpb


def refusal(message: Message) -> InvalidArgument:
    with pytest.raises(InvalidArgument) as err:
        check_request(message)
    return err.value


def test_a_request_within_every_limit_passes() -> None:
    request = cpb.RecordInterviewRequest(
        request_id="r",
        case="cases/x",
        officers=[cpb.Officer(name="甲", unit="大队", certificate_no="JA-1")],
        start_time=Timestamp(seconds=1_700_000_000, nanos=999_999_999),
        content="问" * 100_000,
    )
    check_request(request)


def test_the_field_is_named_with_its_path_in_nested_and_repeated_messages() -> None:
    request = cpb.RecordInterviewRequest(
        officers=[cpb.Officer(name="甲"), cpb.Officer(certificate_no="x" * 65)]
    )
    err = refusal(request)
    assert (err.reason, err.field) == ("FIELD_TOO_LONG", "officers[1].certificate_no")


def test_map_values_are_checked_too() -> None:
    envelope = rpb.Envelope(trace_context={"k": "x" * 65})
    assert refusal(envelope).field == "trace_context['k']"


def test_too_many_items_in_a_repeated_field() -> None:
    request = cpb.MarkCaseRequest(av_reasons=["obstruction"] * (limits().kinds["repeated"] + 1))
    assert (refusal(request).reason, refusal(request).field) == ("TOO_MANY_ITEMS", "av_reasons")


def test_an_undefined_enum_value_names_the_enum() -> None:
    err = refusal(ipb.RegisterComplaintRequest(kind=7))
    assert err.reason == "UNDEFINED_ENUM_VALUE" and "IntakeKind" in err.message


@pytest.mark.parametrize("wait", [float("nan"), float("inf"), float("-inf")])
def test_a_number_must_be_finite(wait: float) -> None:
    from liuhen.media.v1 import media_pb2 as mpb

    err = refusal(mpb.VerifyOffsiteCopyRequest(wait_seconds=wait))
    assert (err.reason, err.field) == ("NOT_A_FINITE_NUMBER", "wait_seconds")


def test_a_date_in_text_keeps_the_window_of_timestamps() -> None:
    assert str(date_of("2026-03-01", "d")) == "2026-03-01"
    assert date_of("", "d") is None
    for bad, reason in (("9999-12-31", "DATE_OUT_OF_RANGE"), ("31/12/2026", "MALFORMED_DATE")):
        with pytest.raises(InvalidArgument) as err:
            date_of(bad, "conduct_ended_on")
        assert (err.value.reason, err.value.field) == (reason, "conduct_ended_on")


def test_undecodable_bytes_are_invalid_argument() -> None:
    from liuhen.platform.server import Undecodable

    with pytest.raises(InvalidArgument) as err:
        checked(Undecodable("DecodeError: bad UTF-8"))
    assert err.value.reason == "UNDECODABLE_REQUEST"


def test_what_an_error_echoes_is_capped_in_the_status() -> None:
    huge = "案" * 1_000_000
    status = _status(InvalidArgument("X", f"bad {huge}", huge, article="a", field=huge))
    assert len(status.SerializeToString()) < 3_000
    assert status.message.endswith("characters)")
    assert capped("short", 10) == "short"


def test_json_content_surrogate_pairs_and_unicode_are_fine() -> None:
    value = jsoncontent.parse_object('{"a": "\\ud83d\\ude00", "b": "案"}', "content_json")
    assert jsoncontent.canonical(value) == '{"a":"😀","b":"案"}'
    assert jsoncontent.parse_object("", "content_json") == {}


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[" * 40 + "]" * 40, "CONTENT_TOO_DEEP"),
        ('{"a": "' + "[" * 40 + '"}', None),  # brackets inside a string are text
        ('{"n": -' + "1" * 41 + "}", "NUMBER_TOO_LONG"),
        ('{"n": 1.5e400}', "NUMBER_TOO_LONG"),
        ('{"n": Infinity}', "MALFORMED_CONTENT"),
        ('{"k": ["\\udc00"]}', "MALFORMED_CONTENT"),
        ('"text"', "MALFORMED_CONTENT"),
        ("{" * 70_000, "CONTENT_TOO_LARGE"),
    ],
)
def test_json_content_limits(text: str, reason: str | None) -> None:
    if reason is None:
        jsoncontent.parse_object(text, "content_json")
        return
    with pytest.raises(InvalidArgument) as err:
        jsoncontent.parse_object(text, "content_json")
    assert (err.value.reason, err.value.field) == (reason, "content_json")


def test_json_content_raises_the_error_its_caller_names() -> None:
    with pytest.raises(FailedPrecondition) as err:
        jsoncontent.parse_object("[]", "document", error=FailedPrecondition)
    assert err.value.field == "document"
