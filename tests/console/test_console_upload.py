"""A recording uploaded through the console streams straight into the media service
(Art 41): the console never holds the file (issue 12: a 1 GiB file must not sit in its
memory). Measured with tracemalloc over the whole process, services included."""

from __future__ import annotations

import hashlib
import tracemalloc
from collections.abc import Iterator

import httpx

from tests.browser_support import serving_console
from tests.support import Site, file_case

MIB = 1 << 20


def footage(total: int, piece: int = 256 * 1024) -> Iterator[bytes]:
    block = hashlib.sha256(b"footage").digest() * (piece // 32)
    for _ in range(total // piece):
        yield block


def test_art41_an_upload_streams_through_the_console_without_holding_the_file(
    site: Site,
) -> None:
    case = file_case(site)
    size = 192 * MIB
    expected = hashlib.sha256()
    for block in footage(size):
        expected.update(block)
    with serving_console(site.settings) as url, httpx.Client(base_url=url, timeout=300) as web:
        signed = web.post("/login", data={"tenant": "jiangan", "username": "handler1"})
        assert signed.status_code == 303
        tracemalloc.start()
        try:
            tracemalloc.reset_peak()
            reply = web.post(
                f"/{case}/recordings",
                params={
                    "kind": "video",
                    "device": "执法记录仪 DSJ-1",
                    "place": "某公司",
                    "start": "2026-11-30T09:00",
                    "end": "2026-11-30T09:30",
                },
                headers={"Content-Type": "video/mp4"},
                content=footage(size),
            )
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert (body["size_bytes"], body["sha256"]) == (size, expected.hexdigest())
    assert peak < 48 * MIB, f"{peak / MIB:.0f} MiB held for a {size // MIB} MiB upload"


def test_art41_an_upload_refused_by_the_media_service_shows_its_reason(site: Site) -> None:
    case = file_case(site)
    with serving_console(site.settings) as url, httpx.Client(base_url=url, timeout=60) as web:
        web.post("/login", data={"tenant": "jiangan", "username": "intake1"})
        reply = web.post(f"/{case}/recordings", params={"kind": "video"}, content=b"x" * 1000)
    assert reply.status_code in (400, 403)
    assert reply.json()["message"]
