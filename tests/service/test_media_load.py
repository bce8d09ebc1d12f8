"""No caller starves the others (issue 10): idle upload streams hold no thread, are
limited per officer and per district, and are closed when silent; health and other
tenants' calls are answered meanwhile; VerifyOffsiteCopy's wait is validated."""

from __future__ import annotations

import math
import queue
import threading
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from liuhen.cases.v1 import cases_pb2 as cpb
from liuhen.media.v1 import media_pb2 as pb
from liuhen.media.v1 import media_pb2_grpc
from liuhen.paging import case_ledger
from tests.service.test_media import TENANT, footage, metadata, open_case, upload
from tests.support import Site, rid, running_site, status_of

OTHER = "hongshan"


def idle_requests(
    release: threading.Event, first: pb.UploadRecordingRequest | None = None
) -> Iterator[pb.UploadRecordingRequest]:
    """A stream that sends `first` (if any), then nothing until released."""
    if first is not None:
        yield first
    release.wait()


def open_stream(
    site: Site, token: str, release: threading.Event, first: pb.UploadRecordingRequest | None = None
) -> grpc.Future:
    stub = media_pb2_grpc.MediaServiceStub(site.channel("media"))
    return stub.UploadRecording.future(
        idle_requests(release, first), metadata=[("authorization", f"Bearer {token}")], timeout=60
    )


def refused_reason(future: grpc.Future) -> tuple[grpc.StatusCode, str, dict[str, str]]:
    exc = future.exception(timeout=30)
    assert isinstance(exc, grpc.RpcError)
    return status_of(exc)


@pytest.fixture
def busy_site(tmp_path: Path) -> Iterator[Site]:
    with running_site(
        tmp_path / "liuhen", uploads_per_caller=2, uploads_per_tenant=64, upload_idle_timeout_s=60
    ) as s:
        yield s


def test_64_idle_upload_streams_leave_health_and_other_tenants_answered(busy_site: Site) -> None:
    site = busy_site
    case = open_case(site, OTHER)
    rec = upload(site.client("media", OTHER, "handler1"), metadata(case.name), footage(256 * 1024))
    release = threading.Event()
    # 65 streams from one district that send nothing, from tokens that may not even
    # upload: one is refused, so the other 64 are open on the server.
    ended: queue.Queue[grpc.Future] = queue.Queue()
    streams = [
        open_stream(site, site.token(TENANT, f"idle{i}", ("intake",)), release) for i in range(65)
    ]
    for stream in streams:
        stream.add_done_callback(ended.put)
    try:
        code, reason, info = refused_reason(ended.get(timeout=30))
        assert (code, reason) == (grpc.StatusCode.RESOURCE_EXHAUSTED, "TOO_MANY_STREAMS")
        assert info["field"] == "uploads_per_tenant"

        health = health_pb2_grpc.HealthStub(site.channel("media"))
        reply = health.Check(health_pb2.HealthCheckRequest(), timeout=1)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
        got = site.client("media", OTHER, "handler1")._stub.GetRecording(
            pb.GetRecordingRequest(name=rec.name),
            metadata=[("authorization", f"Bearer {site.token(OTHER, 'handler1')}")],
            timeout=1,
        )
        assert got.recording == rec
    finally:
        release.set()
        for s in streams:
            s.cancel()


def test_one_officer_may_hold_only_so_many_upload_streams(busy_site: Site) -> None:
    site, release = busy_site, threading.Event()
    token = site.token(TENANT, "handler1")
    ended: queue.Queue[grpc.Future] = queue.Queue()
    streams = [open_stream(site, token, release) for _ in range(3)]
    for stream in streams:
        stream.add_done_callback(ended.put)
    try:
        code, reason, info = refused_reason(ended.get(timeout=30))
        assert (code, reason, info["field"]) == (
            grpc.StatusCode.RESOURCE_EXHAUSTED,
            "TOO_MANY_STREAMS",
            "uploads_per_caller",
        )
    finally:
        release.set()
        for s in streams:
            s.cancel()


@pytest.fixture
def impatient_site(tmp_path: Path) -> Iterator[Site]:
    with running_site(tmp_path / "liuhen", upload_idle_timeout_s=0.3) as s:
        yield s


def test_a_silent_upload_stream_is_closed_after_the_idle_timeout(impatient_site: Site) -> None:
    site, release = impatient_site, threading.Event()
    case = open_case(site)
    token = site.token(TENANT, "handler1")
    try:
        silent = open_stream(site, token, release)
        after_metadata = open_stream(
            site, token, release, pb.UploadRecordingRequest(metadata=metadata(case.name))
        )
        for stream in (silent, after_metadata):
            code, reason, info = refused_reason(stream)
            assert (code, reason) == (grpc.StatusCode.DEADLINE_EXCEEDED, "STREAM_IDLE")
            assert info["field"] == "upload_idle_timeout_s"
    finally:
        release.set()
    # Nothing was stored, and the officer's slots are free again.
    rec = upload(site.client("media", TENANT, "handler1"), metadata(case.name), footage(128 * 1024))
    assert rec.size_bytes == 128 * 1024


@pytest.mark.parametrize("wait", [math.nan, -1.0, math.inf, 121.0, 1e300])
def test_verify_offsite_copy_refuses_a_wait_that_is_not_0_to_the_cap(
    site: Site, wait: float
) -> None:
    reviewer = site.client("media", TENANT, "reviewer1")
    name = f"cases/{rid()}/recordings/{rid()}"
    with pytest.raises(grpc.RpcError) as refused:
        reviewer.VerifyOffsiteCopy(
            pb.VerifyOffsiteCopyRequest(request_id=rid(), name=name, wait_seconds=wait)
        )
    code, reason, info = status_of(refused.value)
    # NaN and infinity are refused by the platform's request check before media sees them
    expected = "NOT_A_FINITE_NUMBER" if not math.isfinite(wait) else "BAD_WAIT"
    assert (code, reason, info["field"]) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        expected,
        "wait_seconds",
    )


def test_sibling_calls_fetch_the_case_without_its_documents_and_ledger(site: Site) -> None:
    """A case grows (interviews, ledger); what media asks of it does not (issues 10, 12):
    GetCase carries none of the entries ListLedgerEntries pages through."""
    case = open_case(site)
    cases = site.client("cases", TENANT, "handler1")
    got = cases.GetCase(cpb.GetCaseRequest(name=case.name)).case
    ledger = case_ledger(cases, case.name)
    assert ledger and (got.case_number, got.handler) == (case.case_number, case.handler)
    assert not any(e.hash.encode() in got.SerializeToString() for e in ledger)


@pytest.fixture
def stuck_copier_site(tmp_path: Path) -> Iterator[Site]:
    with running_site(tmp_path / "liuhen", test_fault="offsite.copy:hang") as s:
        yield s


def test_a_verify_whose_caller_went_away_records_nothing(stuck_copier_site: Site) -> None:
    """The copier is stuck, so the copy stays pending; a caller that gives up after 0.3 s
    of a 2 s wait leaves no ledger entry behind (issue 10: no entries for callers long
    gone); one that waits the 2 s out gets `pending`, recorded once."""
    site = stuck_copier_site
    case = open_case(site)
    rec = upload(site.client("media", TENANT, "handler1"), metadata(case.name), footage(64 * 1024))
    token = site.token(TENANT, "reviewer1")
    stub = media_pb2_grpc.MediaServiceStub(site.channel("media"))
    auth = [("authorization", f"Bearer {token}")]
    with pytest.raises(grpc.RpcError) as gone:
        stub.VerifyOffsiteCopy(
            pb.VerifyOffsiteCopyRequest(request_id=rid(), name=rec.name, wait_seconds=2),
            metadata=auth,
            timeout=0.3,
        )
    assert gone.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    waited = stub.VerifyOffsiteCopy(
        pb.VerifyOffsiteCopyRequest(request_id=rid(), name=rec.name, wait_seconds=2),
        metadata=auth,
        timeout=30,
    ).check
    assert waited.state == pb.OFFSITE_STATE_PENDING
    ledger = case_ledger(site.client("cases", TENANT, "handler1"), case.name)
    checks = [e.action for e in ledger if e.action.startswith("recording.offsite")]
    assert checks == ["recording.offsite_pending"]


def test_an_upload_cancelled_midway_stores_nothing_and_its_retry_succeeds(site: Site) -> None:
    """A client that goes away mid-stream is not taken for the end of the recording: a
    truncated object under the request id would refuse the honest retry."""
    case = open_case(site)
    meta, chunks = metadata(case.name), footage(1024 * 1024)
    release, sent = threading.Event(), threading.Event()

    def cut_off() -> Iterator[pb.UploadRecordingRequest]:
        yield pb.UploadRecordingRequest(metadata=meta)
        for chunk in chunks[:4]:
            yield pb.UploadRecordingRequest(chunk=chunk)
        sent.set()
        release.wait()

    token = site.token(TENANT, "handler1")
    stub = media_pb2_grpc.MediaServiceStub(site.channel("media"))
    call = stub.UploadRecording.future(
        cut_off(), metadata=[("authorization", f"Bearer {token}")], timeout=60
    )
    assert sent.wait(timeout=30)
    call.cancel()
    release.set()
    rec = upload(site.client("media", TENANT, "handler1"), meta, chunks)
    assert rec.size_bytes == 1024 * 1024
    tmp = site.settings.home / "objects" / TENANT / "tmp"
    assert list(tmp.iterdir()) == []
