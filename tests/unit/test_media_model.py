"""Media rules: lateness (Art 41), validation, who may store, retention (Art 43)."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from liuhen.platform.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    PermissionDenied,
)
from services.media.model import (
    AssignedCase,
    HashingStream,
    Labels,
    Upload,
    UploadRecording,
    check_same_bytes,
    check_uploader,
    is_late,
    new_recording,
    object_key,
    recording_id,
    retain_until,
    store_metadata,
    validate_upload,
)

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
CASE_ID = str(uuid.uuid4())
HANDLER = str(uuid.uuid4())
CASE = AssignedCase(CASE_ID, Labels("江岸区劳监立〔2026〕1号", "某建筑公司", "承办人甲"), HANDLER)


def command(**kw: object) -> UploadRecording:
    base = UploadRecording(
        request_id="r-1",
        case_id=CASE_ID,
        kind="video",
        device="执法记录仪 JA-07",
        place="某工地",
        start_time=NOW - timedelta(hours=2),
        end_time=NOW - timedelta(hours=1),
        confidentiality="normal",
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def test_art41_stored_within_two_days_is_not_late() -> None:
    end = NOW - timedelta(days=2)
    assert not is_late(end, NOW)
    assert not is_late(end, end)
    # Calendar days from the day after (docs/recording-sessions.md): ended 00:10 Wuhan time
    # on 8 March, stored 23:50 on 10 March is within the 2 days.
    assert not is_late(
        datetime(2026, 3, 7, 16, 10, tzinfo=UTC), datetime(2026, 3, 10, 15, 50, tzinfo=UTC)
    )


def test_art41_stored_more_than_two_days_after_recording_is_late() -> None:
    assert is_late(NOW - timedelta(days=3), NOW)
    assert is_late(NOW - timedelta(days=30), NOW)
    # Ended 23:50 Wuhan time on 7 March, stored 00:10 on 10 March: under 50 hours, and
    # the third day after.
    assert is_late(
        datetime(2026, 3, 7, 15, 50, tzinfo=UTC), datetime(2026, 3, 9, 16, 10, tzinfo=UTC)
    )


def test_art41_new_recording_carries_labels_and_late_flag() -> None:
    upload = Upload("k", "ab" * 32, 10, NOW + timedelta(days=1), stored_at=NOW)
    rec = new_recording(
        command(end_time=NOW - timedelta(days=3)),
        CASE,
        upload,
        tenant="jiangan",
        recorder=HANDLER,
        recorder_name="承办人甲",
    )
    assert rec.late
    assert rec.labels == CASE.labels
    assert (rec.sha256, rec.size, rec.object_key) == ("ab" * 32, 10, "k")


def test_valid_command_passes() -> None:
    validate_upload(command(), NOW)
    validate_upload(command(kind="audio", related_document=f"cases/{CASE_ID}/documents/x"), NOW)


@pytest.mark.parametrize(
    ("change", "reason", "field"),
    [
        ({"request_id": ""}, "MISSING_FIELD", "metadata.request_id"),
        ({"kind": "photo"}, "UNKNOWN_KIND", "metadata.kind"),
        ({"kind": ""}, "UNKNOWN_KIND", "metadata.kind"),
        ({"confidentiality": "whatever"}, "UNKNOWN_CONFIDENTIALITY", "metadata.confidentiality"),
        ({"start_time": None}, "MISSING_FIELD", "metadata.start_time"),
        ({"end_time": None}, "MISSING_FIELD", "metadata.end_time"),
        ({"end_time": NOW - timedelta(hours=3)}, "END_BEFORE_START", "metadata.end_time"),
        ({"end_time": NOW + timedelta(hours=1)}, "RECORDED_IN_FUTURE", "metadata.end_time"),
        (
            {"related_document": f"cases/{uuid.uuid4()}/documents/x"},
            "DOCUMENT_OF_OTHER_CASE",
            "metadata.related_document",
        ),
        ({"place": "地" * 129}, "TOO_LONG", "metadata.place"),
    ],
)
def test_bad_command_is_invalid_argument(
    change: dict[str, object], reason: str, field: str
) -> None:
    with pytest.raises(InvalidArgument) as exc:
        validate_upload(command(**change), NOW)
    assert (exc.value.reason, exc.value.field) == (reason, field)


def test_art41_only_the_cases_handler_stores_its_recordings() -> None:
    check_uploader(CASE, HANDLER)
    with pytest.raises(PermissionDenied) as exc:
        check_uploader(CASE, str(uuid.uuid4()))
    assert "Art 41" in exc.value.article


def test_art41_a_case_without_handler_takes_no_recordings() -> None:
    with pytest.raises(FailedPrecondition):
        check_uploader(replace(CASE, handler_id=""), HANDLER)


def test_art43_retention_runs_from_the_recording() -> None:
    assert retain_until(NOW, 30, stored=NOW) == NOW.replace(year=2056)
    leap = datetime(2028, 2, 29, 12, tzinfo=UTC)
    assert retain_until(leap, 30, stored=leap) == datetime(2058, 3, 1, 12, tzinfo=UTC)


def test_art43_footage_older_than_its_retention_is_kept_from_when_it_is_stored() -> None:
    old = datetime(1990, 5, 1, tzinfo=UTC)
    assert retain_until(old, 30, stored=NOW) == NOW.replace(year=2056)


def test_object_key_is_derived_from_tenant_and_request_id() -> None:
    a = recording_id("jiangan", "r-1")
    assert a == recording_id("jiangan", "r-1")
    assert a != recording_id("hongshan", "r-1")
    assert object_key(CASE_ID, a) == f"recordings/{CASE_ID}/{a}"


def test_art41_store_metadata_has_labels_and_provenance() -> None:
    meta = store_metadata(command(), CASE, recorder=HANDLER, recorder_name="承办人甲")
    assert meta["case_number"] == "江岸区劳监立〔2026〕1号"
    assert (meta["party"], meta["handler"], meta["recorder"]) == ("某建筑公司", "承办人甲", HANDLER)
    assert {"device", "place", "start_time", "end_time", "confidentiality"} <= meta.keys()
    assert all(isinstance(v, str) for v in meta.values())


def test_hashing_stream_hashes_what_passes_and_what_is_drained() -> None:
    chunks = [b"a" * 10, b"b" * 5, b"c"]
    stream = HashingStream(iter(chunks))
    it = iter(stream)
    assert next(it) == b"a" * 10
    stream.drain()
    assert stream.size == 16
    assert stream.sha256 == hashlib.sha256(b"".join(chunks)).hexdigest()


def test_art45_other_bytes_under_the_same_request_id_are_refused() -> None:
    check_same_bytes("ab", "ab")
    with pytest.raises(AlreadyExists):
        check_same_bytes("ab", "cd")
