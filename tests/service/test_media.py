"""MediaService over real gRPC on the embedded default: recordings stream in chunks, are
hashed while streaming, labelled (Art 41), kept under retention (Art 43, 45) and
entered in the case's ledger."""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from liuhen.cases.v1 import cases_pb2 as cpb
from liuhen.intake.v1 import intake_pb2 as ipb
from liuhen.media.v1 import media_pb2 as pb
from liuhen.paging import case_ledger
from services.media.model import retain_until
from tests.support import Client, Site, rid

KIB, MIB = 1024, 1024 * 1024
TENANT = "jiangan"


def open_case(site: Site, tenant: str = TENANT) -> cpb.Case:
    """Register → draft filing → approve → open → assign handler1 (and reviewer1)."""
    intake, head = site.client("intake", tenant, "intake1"), site.client("intake", tenant, "head1")
    registered = intake.RegisterComplaint(
        ipb.RegisterComplaintRequest(
            request_id=rid(),
            source=ipb.SOURCE_VISIT,
            kind=ipb.INTAKE_KIND_COMPLAINT,
            complainant=ipb.Person(name="张三", gender="男", contact="13800000000"),
            employer=ipb.Employer(name="某建筑劳务公司", address="江岸区某路1号"),
            violation="拖欠工资三个月",
        )
    ).intake
    intake.DraftFilingApproval(
        ipb.DraftFilingApprovalRequest(
            request_id=rid(), intake=registered.name, within_jurisdiction=True, summary="拖欠工资"
        )
    )
    head.ApproveFiling(ipb.ApproveFilingRequest(request_id=rid(), intake=registered.name))
    cases = site.client("cases", tenant, "head1")
    case = cases.OpenCase(cpb.OpenCaseRequest(request_id=rid(), intake=registered.name)).case
    assigned: cpb.AssignHandlerResponse = cases.AssignHandler(
        cpb.AssignHandlerRequest(
            request_id=rid(),
            case=case.name,
            handler=site.user_id(tenant, "handler1"),
            handler_name="承办人甲",
            reviewer=site.user_id(tenant, "reviewer1"),
        )
    )
    return assigned.case


def ts(value: datetime) -> Timestamp:
    out = Timestamp()
    out.FromDatetime(value)
    return out


def metadata(
    case: str, *, request_id: str = "", ended: timedelta = timedelta(hours=1), kind: str = "video"
) -> pb.RecordingMetadata:
    end = datetime.now(UTC) - ended
    return pb.RecordingMetadata(
        request_id=request_id or rid(),
        case=case,
        kind=kind,
        device="执法记录仪 JA-07",
        place="江岸区某工地",
        start_time=ts(end - timedelta(minutes=30)),
        end_time=ts(end),
        content_type="video/mp4",
        confidentiality="normal",
        description="现场检查",
    )


def requests(
    meta: pb.RecordingMetadata | None, chunks: Iterable[bytes]
) -> Iterator[pb.UploadRecordingRequest]:
    if meta is not None:
        yield pb.UploadRecordingRequest(metadata=meta)
    for chunk in chunks:
        yield pb.UploadRecordingRequest(chunk=chunk)


def upload(
    client: Client, meta: pb.RecordingMetadata | None, chunks: Iterable[bytes]
) -> pb.Recording:
    response: pb.UploadRecordingResponse = client.UploadRecording(requests(meta, chunks))
    return response.recording


def footage(size: int, chunk: int = 64 * KIB, seed: bytes = b"") -> list[bytes]:
    """Deterministic, incompressible-looking bytes in chunks."""
    block = b"".join(
        hashlib.sha256(seed + i.to_bytes(4, "big")).digest() for i in range(chunk // 32)
    )
    return [block[:32] + i.to_bytes(8, "big") + block[40:] for i in range(size // chunk)]


def sha(chunks: Iterable[bytes]) -> str:
    h = hashlib.sha256()
    for c in chunks:
        h.update(c)
    return h.hexdigest()


def code_of(fn: Callable[..., object], *args: object) -> grpc.StatusCode:
    with pytest.raises(grpc.RpcError) as exc:
        fn(*args)
    code: grpc.StatusCode = exc.value.code()
    return code


def test_art41_recording_labelled_with_case_number_party_and_handler(site: Site) -> None:
    case = open_case(site)
    media = site.client("media", TENANT, "handler1")
    chunks = footage(5 * MIB)
    meta = metadata(case.name)
    rec = upload(media, meta, chunks)

    assert rec.sha256 == sha(chunks)
    assert rec.size_bytes == 5 * MIB
    assert rec.labels == pb.Labels(
        case_number=case.case_number, party="某建筑劳务公司", handler="承办人甲"
    )
    assert case.case_number.startswith("江岸区劳监立")
    assert rec.name.startswith(case.name + "/recordings/")
    assert rec.recorder == site.user_id(TENANT, "handler1")
    assert not rec.late
    assert (rec.kind, rec.device, rec.place) == ("video", "执法记录仪 JA-07", "江岸区某工地")
    end = meta.end_time.ToDatetime(tzinfo=UTC)
    stored = rec.stored_time.ToDatetime(tzinfo=UTC)
    assert rec.retain_until == retain_until(end, 30, stored=stored).date().isoformat()
    assert media.GetRecording(pb.GetRecordingRequest(name=rec.name)).recording == rec
    listed = media.ListRecordings(pb.ListRecordingsRequest(case=case.name)).recordings
    assert list(listed) == [rec]

    objects = site.running["media"].platform.objects
    stored = objects.head(TENANT, rec.object_key)
    assert (stored.sha256, stored.size) == (rec.sha256, rec.size_bytes)
    assert stored.metadata["case_number"] == case.case_number
    assert (stored.metadata["party"], stored.metadata["handler"]) == ("某建筑劳务公司", "承办人甲")
    assert stored.retain_until is not None
    assert stored.retain_until > datetime.now(UTC) + timedelta(days=365 * 29)
    assert sha(objects.open(TENANT, rec.object_key)) == rec.sha256


def test_art41_upload_more_than_two_days_after_recording_is_flagged_late(site: Site) -> None:
    case = open_case(site)
    media = site.client("media", TENANT, "handler1")
    late = upload(media, metadata(case.name, ended=timedelta(days=3)), footage(256 * KIB))
    on_time = upload(
        media, metadata(case.name, ended=timedelta(days=1, hours=23)), footage(256 * KIB, seed=b"2")
    )
    assert late.late
    assert not on_time.late


def test_art41_every_stored_recording_enters_the_case_ledger_by_hash(site: Site) -> None:
    case = open_case(site)
    rec = upload(site.client("media", TENANT, "handler1"), metadata(case.name), footage(128 * KIB))
    cases = site.client("cases", TENANT, "head1")
    ledger = case_ledger(cases, case.name)
    stored = [e for e in ledger if e.action == "recording.stored"]
    assert len(stored) == 1
    assert (stored[0].service, list(stored[0].refs)) == ("media", [rec.sha256])
    assert stored[0].actor.user_id == site.user_id(TENANT, "handler1")
    assert cases.VerifyLedger(cpb.VerifyLedgerRequest(case=case.name)).ok


def test_retry_with_the_same_request_id_returns_the_first_result(site: Site) -> None:
    case = open_case(site)
    media = site.client("media", TENANT, "handler1")
    chunks, meta = footage(512 * KIB), metadata(case.name)
    first = upload(media, meta, chunks)
    assert upload(media, meta, chunks) == first
    listed = media.ListRecordings(pb.ListRecordingsRequest(case=case.name)).recordings
    assert list(listed) == [first]
    ledger = case_ledger(site.client("cases", TENANT, "head1"), case.name)
    assert [e.action for e in ledger].count("recording.stored") == 1


def test_art45_other_bytes_under_a_used_request_id_are_already_exists(site: Site) -> None:
    case = open_case(site)
    media = site.client("media", TENANT, "handler1")
    meta = metadata(case.name)
    first = upload(media, meta, footage(256 * KIB))
    assert (
        code_of(upload, media, meta, footage(256 * KIB, seed=b"x"))
        == grpc.StatusCode.ALREADY_EXISTS
    )
    objects = site.running["media"].platform.objects
    assert objects.head(TENANT, first.object_key).sha256 == first.sha256


def test_crash_between_store_and_commit_is_recovered_by_the_retry(site: Site) -> None:
    """The bytes reached the store but the transaction never committed: the retry
    finds the key taken, hashes what it sent, and records it if the hashes match."""
    case = open_case(site)
    media = site.client("media", TENANT, "handler1")
    chunks, meta = footage(256 * KIB), metadata(case.name)
    case_id = case.name.split("/")[1]
    rec_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{TENANT}/{meta.request_id}"))
    objects = site.running["media"].platform.objects
    objects.ensure_bucket(TENANT)
    objects.put(
        TENANT,
        f"recordings/{case_id}/{rec_id}",
        iter(chunks),
        metadata={},
        retain_until=datetime.now(UTC) + timedelta(days=1),
    )

    rec = upload(media, meta, chunks)
    assert (rec.name, rec.sha256) == (f"{case.name}/recordings/{rec_id}", sha(chunks))

    other = metadata(case.name)
    rec_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{TENANT}/{other.request_id}"))
    objects.put(
        TENANT,
        f"recordings/{case_id}/{rec_id}",
        iter(footage(64 * KIB)),
        metadata={},
        retain_until=datetime.now(UTC) + timedelta(days=1),
    )
    assert code_of(upload, media, other, chunks) == grpc.StatusCode.ALREADY_EXISTS


def test_another_tenants_case_and_recordings_are_not_found(site: Site) -> None:
    case = open_case(site)
    rec = upload(site.client("media", TENANT, "handler1"), metadata(case.name), footage(64 * KIB))
    other = site.client("media", "hongshan", "handler1")
    assert (
        code_of(upload, other, metadata(case.name), footage(64 * KIB)) == grpc.StatusCode.NOT_FOUND
    )
    assert (
        code_of(other.GetRecording, pb.GetRecordingRequest(name=rec.name))
        == grpc.StatusCode.NOT_FOUND
    )
    assert (
        code_of(other.ListRecordings, pb.ListRecordingsRequest(case=case.name))
        == grpc.StatusCode.NOT_FOUND
    )


def test_art41_only_the_cases_handler_may_upload(site: Site) -> None:
    case = open_case(site)
    for officer in ("handler2", "intake1", "reviewer1"):
        media = site.client("media", TENANT, officer)
        assert (
            code_of(upload, media, metadata(case.name), footage(64 * KIB))
            == grpc.StatusCode.PERMISSION_DENIED
        )
    assert (
        not site.client("media", TENANT, "handler1")
        .ListRecordings(pb.ListRecordingsRequest(case=case.name))
        .recordings
    )


def test_first_message_must_be_the_metadata(site: Site) -> None:
    case = open_case(site)
    media = site.client("media", TENANT, "handler1")
    assert code_of(upload, media, None, footage(64 * KIB)) == grpc.StatusCode.INVALID_ARGUMENT
    twice = iter(
        [
            pb.UploadRecordingRequest(metadata=metadata(case.name)),
            pb.UploadRecordingRequest(chunk=b"x" * 10),
            pb.UploadRecordingRequest(metadata=metadata(case.name)),
        ]
    )
    assert code_of(media.UploadRecording, twice) == grpc.StatusCode.INVALID_ARGUMENT
    assert code_of(upload, media, metadata(case.name), []) == grpc.StatusCode.INVALID_ARGUMENT
    assert (
        code_of(upload, media, metadata(case.name, kind="photo"), footage(64 * KIB))
        == grpc.StatusCode.INVALID_ARGUMENT
    )
    assert (
        code_of(upload, media, metadata("cases/not-a-uuid"), footage(64 * KIB))
        == grpc.StatusCode.INVALID_ARGUMENT
    )


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def test_a_64_mib_upload_streams_without_holding_the_file_in_memory(site: Site) -> None:
    case = open_case(site)
    media = site.client("media", TENANT, "handler1")
    block = footage(64 * KIB)[0]
    upload(media, metadata(case.name), [block] * 16)  # warm up channels and pools
    baseline, peak, done = _rss(), [0], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _rss())
            time.sleep(0.005)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        rec = upload(media, metadata(case.name), (block for _ in range(1024)))
    finally:
        done.set()
        sampler.join()
    assert rec.size_bytes == 64 * MIB
    assert peak[0] - baseline < 24 * MIB, f"RSS grew by {(peak[0] - baseline) / MIB:.1f} MiB"


def test_art41_offsite_copy_is_verified_by_hash_and_recorded_in_the_ledger(site: Site) -> None:
    case = open_case(site)
    rec = upload(site.client("media", TENANT, "handler1"), metadata(case.name), footage(256 * KIB))
    reviewer = site.client("media", TENANT, "reviewer1")
    reply = reviewer.VerifyOffsiteCopy(
        pb.VerifyOffsiteCopyRequest(request_id=rid(), name=rec.name, wait_seconds=5)
    )
    assert (reply.check.state, reply.check.offsite_sha256) == (
        pb.OFFSITE_STATE_VERIFIED,
        rec.sha256,
    )
    ledger = case_ledger(site.client("cases", TENANT, "head1"), case.name)
    checks = [e for e in ledger if e.action == "recording.offsite_verified"]
    assert len(checks) == 1 and list(checks[0].refs) == [rec.sha256, rec.sha256]


def test_art41_an_offsite_copy_that_differs_is_reported_as_a_mismatch() -> None:
    from services.media.handlers import offsite_state

    assert offsite_state("a" * 64, "a" * 64) == "verified"
    assert offsite_state("a" * 64, "b" * 64) == "mismatch"
    assert offsite_state("a" * 64, None) == "missing"


def test_art45_a_legal_hold_is_placed_by_the_reviewer_and_recorded(site: Site) -> None:
    case = open_case(site)
    rec = upload(site.client("media", TENANT, "handler1"), metadata(case.name), footage(64 * KIB))
    hold = pb.SetLegalHoldRequest(request_id=rid(), name=rec.name, on=True, reason="行政诉讼")
    assert code_of(site.client("media", TENANT, "handler1").SetLegalHold, hold) == (
        grpc.StatusCode.PERMISSION_DENIED
    )
    reply = site.client("media", TENANT, "reviewer1").SetLegalHold(hold)
    assert reply.legal_hold
    objects = site.running["media"].platform.objects
    assert objects.head(TENANT, rec.object_key).legal_hold
    ledger = case_ledger(site.client("cases", TENANT, "head1"), case.name)
    # the off-site copier appends its own entry whenever the copy lands: look past it
    actions = [e.action for e in ledger if e.action != "recording.offsite_copied"]
    assert actions[-1] == "recording.legal_hold_placed"
