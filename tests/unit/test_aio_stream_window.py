"""DESIGN §6 (a recording is never whole in memory): the asyncio server (media) keeps
each stream's HTTP/2 receive window at its initial size. With BDP probing grpc-core grew
the windows and buffered what a busy server had not read yet: 32 concurrent 64 MiB
uploads held ~1 GiB in the media process (bench.concurrent_uploads, docs/performance.md);
8 streams of 32 MiB into a slow reader took it from 38 to 138 MiB with probing and to
45 MiB without."""

from __future__ import annotations

from liuhen.platform import aio


def test_design6_the_media_server_does_not_grow_its_stream_windows() -> None:
    assert ("grpc.http2.bdp_probe", 0) in aio.SERVER_OPTIONS
    assert ("grpc.so_reuseport", 0) in aio.SERVER_OPTIONS  # a taken port still fails
