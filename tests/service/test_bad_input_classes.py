"""One test per class of hostile input that answered INTERNAL (issue 10): each is now
INVALID_ARGUMENT (or the code DESIGN §8 gives), names the field and the rule, and
leaves no traceback in the log."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from liuhen.cases.v1 import cases_pb2 as cpb
from liuhen.enforcement.v1 import enforcement_pb2 as epb
from liuhen.intake.v1 import intake_internal_pb2 as iipb
from liuhen.intake.v1 import intake_pb2 as ipb
from liuhen.media.v1 import media_pb2 as mpb
from liuhen.platform.bootstrap import embedded_issuer
from services.media.model import DEFAULT_RETENTION_YEARS, retain_until
from tests.samples import sample_content
from tests.support import Site, file_case, rid, status_of

JA = "jiangan"
INVALID = grpc.StatusCode.INVALID_ARGUMENT


@pytest.fixture(autouse=True)
def no_tracebacks(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    with caplog.at_level(logging.ERROR, logger="liuhen.server"):
        yield
    assert not [r for r in caplog.records if r.name == "liuhen.server"]


def fails(call: Any, request: Any) -> tuple[grpc.StatusCode, str, dict[str, str]]:
    with pytest.raises(grpc.RpcError) as err:
        call(request)
    return status_of(err.value)


def complaint(**fields: object) -> ipb.RegisterComplaintRequest:
    request = ipb.RegisterComplaintRequest(
        request_id=rid(),
        source=ipb.SOURCE_LETTER,
        kind=ipb.INTAKE_KIND_COMPLAINT,
        complainant=ipb.Person(name="张三"),
        employer=ipb.Employer(name="某公司"),
        violation="欠薪",
    )
    for name, value in fields.items():
        if isinstance(value, Timestamp):
            getattr(request, name).CopyFrom(value)
        else:
            setattr(request, name, value)
    return request


def desk(site: Site) -> Any:
    return site.client("intake", JA, "intake1").RegisterComplaint


def ts(value: datetime) -> Timestamp:
    out = Timestamp()
    out.FromDatetime(value)
    return out


# -- enum values the proto does not define ------------------------------------------


@pytest.mark.parametrize("field", ["source", "kind"])
def test_art8_an_undefined_enum_value_is_invalid_argument_naming_the_field(
    site: Site, field: str
) -> None:
    code, reason, meta = fails(desk(site), complaint(**{field: 99}))
    assert (code, reason, meta["field"]) == (INVALID, "UNDEFINED_ENUM_VALUE", field)


def test_art37_an_undefined_service_method_is_invalid_argument(site: Site) -> None:
    code, reason, meta = fails(
        site.client("enforcement", JA, "handler1").ServeDocument,
        epb.ServeDocumentRequest(
            request_id=rid(), document=f"{file_case(site)}/documents/x", method=42
        ),
    )
    assert (code, reason, meta["field"]) == (INVALID, "UNDEFINED_ENUM_VALUE", "method")


# -- Timestamps out of range ----------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "nanos"),
    [(253402300799 + 1, 0), (-62135596800 - 1, 0), (-(2**62), 0), (0, -1), (0, 10**9)],
    ids=["after-9999", "before-0001", "far-past", "negative-nanos", "nanos-1e9"],
)
def test_a_timestamp_out_of_range_is_invalid_argument(site: Site, seconds: int, nanos: int) -> None:
    code, reason, meta = fails(
        desk(site), complaint(received_time=Timestamp(seconds=seconds, nanos=nanos))
    )
    assert (code, reason, meta["field"]) == (INVALID, "TIMESTAMP_OUT_OF_RANGE", "received_time")


def test_art16_a_nested_interview_time_out_of_range_names_its_field(site: Site) -> None:
    request = cpb.RecordInterviewRequest(
        request_id=rid(), case=file_case(site), start_time=Timestamp(seconds=-(10**12))
    )
    code, reason, meta = fails(site.client("cases", JA, "handler1").RecordInterview, request)
    assert (code, reason, meta["field"]) == (INVALID, "TIMESTAMP_OUT_OF_RANGE", "start_time")


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_a_date_at_the_end_of_the_calendar_is_invalid_argument(site: Site, day: str) -> None:
    """劳动保障监察条例 Art 20: the two years after the conduct ended must be a date."""
    code, reason, meta = fails(desk(site), complaint(conduct_ended_on=day))
    assert (code, reason, meta["field"]) == (INVALID, "DATE_OUT_OF_RANGE", "conduct_ended_on")


# -- JSON content -----------------------------------------------------------------------


def draft(site: Site, content_json: str) -> tuple[grpc.StatusCode, str, dict[str, str]]:
    return fails(
        site.client("cases", JA, "handler1").DraftDocument,
        cpb.DraftDocumentRequest(
            request_id=rid(),
            case=file_case(site),
            type="rectification_order",
            content_json=content_json,
        ),
    )


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("[" * 100_000 + "]" * 100_000, "FIELD_TOO_LONG"),
        ('{"a":' + "[" * 1_000 + "]" * 1_000 + "}", "CONTENT_TOO_DEEP"),
        ('{"period_days": ' + "9" * 5_000 + "}", "NUMBER_TOO_LONG"),
        ('{"grounds": "\\ud800"}', "MALFORMED_CONTENT"),
        ('{"a": 1e999}', "NUMBER_TOO_LONG"),
    ],
    ids=["100000-deep", "1000-deep", "5000-digits", "lone-surrogate", "infinite"],
)
def test_hostile_json_content_is_invalid_argument_naming_content_json(
    site: Site, content: str, reason: str
) -> None:
    code, got, meta = draft(site, content)
    assert (code, got, meta["field"]) == (INVALID, reason, "content_json")


@pytest.mark.parametrize("days", [0, 10**9, 366, True, "10"])
def test_art28_a_rectification_period_must_be_a_sensible_number_of_days(
    site: Site, days: object
) -> None:
    import json

    content = sample_content("rectification_order", period_days=days)
    code, reason, meta = draft(site, json.dumps(content))
    assert (code, reason, meta["field"]) == (INVALID, "BAD_PERIOD", "content_json.period_days")
    assert meta["article"] == "seed Art 28"


def test_art11_hostile_json_in_an_intake_document_is_invalid_argument(site: Site) -> None:
    intake = desk(site)(complaint()).intake
    code, reason, meta = fails(
        site.client("intake", JA, "intake1").DraftIntakeDocument,
        ipb.DraftIntakeDocumentRequest(
            request_id=rid(),
            intake=intake.name,
            type="non_acceptance_decision",
            content_json='{"grounds": "\\udfff"}',
        ),
    )
    assert (code, reason, meta["field"]) == (INVALID, "MALFORMED_CONTENT", "content_json")


def test_art12_hostile_json_in_an_inbound_payload_is_invalid_argument(site: Site) -> None:
    token = embedded_issuer(site.settings).service_token(JA, "routing")
    code, reason, meta = fails(
        site.raw_client("intake_internal", token).RecordInboundIntake,
        iipb.RecordInboundIntakeRequest(
            request_id=rid(),
            message_type="jurisdiction_transfer",
            from_site="hongshan",
            sender_intake="intakes/x",
            payload_json='{"intake": {"n": ' + "1" * 5000 + "}}",
        ),
    )
    assert (code, reason, meta["field"]) == (INVALID, "NUMBER_TOO_LONG", "payload_json")


# -- a recording older than its retention (Art 43) --------------------------------------


def test_art43_footage_older_than_its_retention_is_kept_under_the_case_files(site: Site) -> None:
    case = file_case(site)
    end = datetime(1990, 5, 1, 10, tzinfo=UTC)
    meta = mpb.RecordingMetadata(
        request_id=rid(), case=case, kind="video", device="执法记录仪", place="某公司",
        start_time=ts(end - timedelta(minutes=30)), end_time=ts(end),
        content_type="video/mp4", confidentiality="normal", description="旧录像",
    )  # fmt: skip
    parts = [mpb.UploadRecordingRequest(metadata=meta), mpb.UploadRecordingRequest(chunk=b"x" * 64)]
    rec = site.client("media", JA, "handler1").UploadRecording(iter(parts)).recording
    assert rec.late  # Art 41: stored more than 2 days after recording
    stored = rec.stored_time.ToDatetime(tzinfo=UTC)
    assert (
        rec.retain_until
        == retain_until(end, DEFAULT_RETENTION_YEARS, stored=stored).date().isoformat()
    )
    assert rec.retain_until > stored.date().isoformat()


# -- requests that do not decode ----------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [b"\x0a\x02\xff\xfe", b"\xff\xff\xff", b"\x0a\x10abc"],
    ids=["bad-utf8", "junk", "short"],
)
def test_a_request_that_does_not_decode_is_invalid_argument(site: Site, data: bytes) -> None:
    call = site.channel("cases").unary_unary("/liuhen.cases.v1.CasesService/GetCase")
    md = [("authorization", f"Bearer {site.token(JA, 'handler1')}")]
    with pytest.raises(grpc.RpcError) as err:
        call(data, metadata=md, timeout=30)
    code, reason, meta = status_of(err.value)
    assert (code, reason, meta["article"]) == (INVALID, "UNDECODABLE_REQUEST", "DESIGN §8")


def test_an_upload_chunk_that_does_not_decode_is_invalid_argument(site: Site) -> None:
    call = site.channel("media").stream_unary("/liuhen.media.v1.MediaService/UploadRecording")
    md = [("authorization", f"Bearer {site.token(JA, 'handler1')}")]
    with pytest.raises(grpc.RpcError) as err:
        call(iter([b"\x12\x05ab", b"\xff"]), metadata=md, timeout=30)
    assert status_of(err.value)[:2] == (INVALID, "UNDECODABLE_REQUEST")


# -- sizes, and what an error echoes -----------------------------------------------------


@pytest.mark.parametrize("size", [20_000, 1_000_000])
def test_a_huge_name_is_invalid_argument_and_the_answer_stays_small(site: Site, size: int) -> None:
    with pytest.raises(grpc.RpcError) as err:
        site.client("cases", JA, "handler1").GetCase(cpb.GetCaseRequest(name="cases/" + "a" * size))
    code, reason, meta = status_of(err.value)
    assert (code, reason, meta["field"]) == (INVALID, "FIELD_TOO_LONG", "name")
    assert len(err.value.details().encode()) <= 1024


def test_art16_an_interview_record_of_1_mb_is_refused_naming_content(site: Site) -> None:
    request = cpb.RecordInterviewRequest(
        request_id=rid(), case=file_case(site), content="x" * 2**20
    )
    code, reason, meta = fails(site.client("cases", JA, "handler1").RecordInterview, request)
    assert (code, reason, meta["field"]) == (INVALID, "FIELD_TOO_LONG", "content")


def test_a_free_text_field_beyond_its_size_is_refused_naming_it(site: Site) -> None:
    code, reason, meta = fails(desk(site), complaint(violation="欠" * 4001))
    assert (code, reason, meta["field"]) == (INVALID, "FIELD_TOO_LONG", "violation")
    request = complaint()
    request.complainant.name = "张" * 201
    code, reason, meta = fails(desk(site), request)
    assert (code, reason, meta["field"]) == (INVALID, "FIELD_TOO_LONG", "complainant.name")


def test_a_message_beyond_the_servers_limit_is_resource_exhausted(site: Site) -> None:
    request = cpb.RecordInterviewRequest(request_id=rid(), content="x" * (3 * 2**20))
    code, _, _ = fails(site.client("cases", JA, "handler1").RecordInterview, request)
    assert code == grpc.StatusCode.RESOURCE_EXHAUSTED
