"""Every call to another service or the object store has a deadline (issue 10): a
dependency that accepts the connection and then never answers fails the call with
UNAVAILABLE or DEADLINE_EXCEEDED instead of holding it."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest

from liuhen.platform.objects import ObjectStoreError
from liuhen.platform.s3objects import S3ObjectStore
from services.run import start
from tests.service.test_media import TENANT, metadata, open_case, requests
from tests.support import Site, running_site, status_of


@pytest.fixture
def hanging() -> Iterator[int]:
    """A port that accepts connections and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    with running_site(tmp_path / "liuhen", sibling_timeout_s=0.5) as s:
        yield s


def test_a_cases_service_that_hangs_fails_the_upload_with_unavailable(
    site: Site, hanging: int
) -> None:
    case = open_case(site)
    # A second media service whose cases service is the silent port.
    settings = replace(site.settings, ports={**site.settings.ports, "cases": hanging})
    media = start("media", settings, address="127.0.0.1:0")
    try:
        channel = grpc.insecure_channel(f"127.0.0.1:{media.port}")
        stub = site.raw_client("media", site.token(TENANT, "handler1"))
        stub._stub = type(stub._stub)(channel)
        with pytest.raises(grpc.RpcError) as failed:
            stub.UploadRecording(requests(metadata(case.name), [b"x" * 1024]))
        code, reason, _ = status_of(failed.value)
        assert code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
        assert reason == "UPSTREAM_DEADLINE_EXCEEDED"
    finally:
        media.stop(grace=0)


def test_an_s3_store_that_hangs_fails_with_an_object_store_error(hanging: int) -> None:
    store = S3ObjectStore(
        f"127.0.0.1:{hanging}", "key", "secret", offsite_endpoint=None, timeout_s=0.3
    )
    with pytest.raises(ObjectStoreError):
        store.head("jiangan", "recordings/x")
    with pytest.raises(ObjectStoreError):
        store.put(
            "jiangan",
            "recordings/y",
            [b"x"],
            metadata={},
            retain_until=datetime.now(UTC) + timedelta(days=1),
        )
