"""Ingest on the stack: UploadRecording through the media service (a process on the stack
profile: RGW, PostgreSQL, Keycloak) beside a direct minio `put_object` of the same bytes
to the same RGW (same endpoint, same part size, a bucket with Object Lock), measured in
the same run; the media process's RSS is sampled during the upload.

The size is `LIUHEN_BENCH_INGEST_MIB` (default 32 on the stack: the stack's RGW keeps its
data in a 1 GiB memstore shared by every session, and a recording stored through media
costs it three times its size for a while: the staged multipart upload, until RGW's
garbage collection, the locked final object and its off-site replica; see
docs/performance.md). Stack only: the embedded figure is bench.upload_recording.

Run: `LIUHEN_BENCH_PROFILE=stack python -m bench.ingest` (or `make bench-stack`).
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, cast

from bench.common import emit, profile
from bench.procs import RssSampler, assigned_case, services, spied, upload

SIZE = int(float(os.environ.get("LIUHEN_BENCH_INGEST_MIB", "32")) * 1024 * 1024)
CHUNK = 256 * 1024
PART = 8 * 1024 * 1024  # S3ObjectStore's part size


def chunks(size: int = SIZE) -> Iterator[bytes]:
    block = os.urandom(CHUNK)
    for offset in range(0, size, CHUNK):
        yield block[: min(CHUNK, size - offset)]


class _Reader(io.RawIOBase):
    """The same chunks as a file for minio (read(n) gathers one part)."""

    def __init__(self, size: int) -> None:
        self._it, self._rest = chunks(size), b""

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:  # type: ignore[override]
        buf = bytearray(self._rest)
        while n < 0 or len(buf) < n:
            c = next(self._it, None)
            if c is None:
                break
            buf += c
        out, self._rest = bytes(buf[:n] if n >= 0 else buf), bytes(buf[n:] if n >= 0 else b"")
        return out


def direct_put(settings: Any) -> float:
    """minio put_object of SIZE bytes to a bucket of this run with Object Lock enabled
    (no default retention, so the object can be removed afterwards)."""
    from minio import Minio

    endpoint = settings.s3_endpoint.removeprefix("http://")
    client = Minio(
        endpoint, settings.s3_access_key.value, settings.s3_secret_key.value, secure=False
    )
    bucket = f"liuhen-bench-{uuid.uuid4().hex[:12]}"
    client.make_bucket(bucket, object_lock=True)
    try:
        t0 = time.perf_counter()
        result = client.put_object(
            bucket, "direct", cast(BinaryIO, _Reader(SIZE)), length=-1, part_size=PART
        )
        elapsed = time.perf_counter() - t0
        client.remove_object(bucket, "direct", version_id=result.version_id)
        return elapsed
    finally:
        for obj in client.list_objects(bucket, include_version=True):
            client.remove_object(bucket, str(obj.object_name), version_id=obj.version_id)
        client.remove_bucket(bucket)


def main() -> None:
    if profile() != "stack":
        print("[ingest] stack only (LIUHEN_BENCH_PROFILE=stack); embedded: bench.upload_recording")
        return
    from liuhen.cli.demo import Officer

    home = Path(tempfile.mkdtemp(prefix="liuhen-bench-"))
    try:
        with services(home, ("intake", "cases", "media")) as running:
            settings = running.settings
            case = assigned_case(settings, "jiangan")
            handler = Officer(settings, "jiangan", "handler1")
            direct_s = direct_put(settings)
            # One small upload first: what the first call loads (clients, pools) is not
            # growth with the size.
            upload(handler, case, chunks(1024 * 1024))
            with (
                RssSampler(running.pid("media")) as rss,
                spied("ingest-media", running.pid("media")),
            ):
                t0 = time.perf_counter()
                upload(handler, case, chunks())
                media_s = time.perf_counter() - t0
    finally:
        shutil.rmtree(home, ignore_errors=True)
    mib = SIZE / 2**20
    ratio = direct_s / media_s
    emit(
        "ingest",
        f"{mib:.0f} MiB: UploadRecording via media {mib / media_s:.1f} MiB/s (media RSS "
        f"{rss.before:.0f} → peak {rss.peak:.0f} MiB, +{rss.growth:.0f} MiB) | direct minio "
        f"put_object {mib / direct_s:.1f} MiB/s (ratio {ratio:.2f}, target ≥ 0.8)",
        size_mib=mib,
        media_mib_s=round(mib / media_s, 1),
        direct_put_mib_s=round(mib / direct_s, 1),
        ratio=round(ratio, 3),
        media_rss_before_mib=round(rss.before, 1),
        media_rss_peak_mib=round(rss.peak, 1),
        media_rss_growth_mib=round(rss.growth, 1),
        target_met=ratio >= 0.8,
    )


if __name__ == "__main__":
    main()
