"""UploadRecording: peak memory and throughput of the media service streaming a large
recording into the object store, beside a bare grpcio client-streaming sink that only
counts bytes, measured in the same run (DESIGN §6: never whole in memory).

Both servers run as separate processes; peak RSS is read from /proc. Prints the
figures and the ratios. Run: `python -m bench.upload_recording` (or `make bench`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

SIZE = int(os.environ.get("LIUHEN_BENCH_UPLOAD_MIB", "256")) * 1024 * 1024
CHUNK = 256 * 1024


def chunks() -> Iterator[bytes]:
    block = os.urandom(CHUNK)
    for offset in range(0, SIZE, CHUNK):
        yield block[: min(CHUNK, SIZE - offset)]


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# The baseline: a grpcio server whose one method counts the raw bytes streamed to it.
SINK = """
import grpc
from concurrent import futures
def sink(requests, context):
    return str(sum(len(r) for r in requests)).encode()
same = lambda b: b
handler = grpc.method_handlers_generic_handler("bench.Sink", {"Put":
    grpc.stream_unary_rpc_method_handler(sink, request_deserializer=same,
                                         response_serializer=same)})
server = grpc.server(futures.ThreadPoolExecutor(4))
server.add_generic_rpc_handlers((handler,))
port = server.add_insecure_port("127.0.0.1:0")
server.start()
print(port, flush=True)
server.wait_for_termination()
"""


def bare_sink() -> tuple[float, float]:
    import grpc

    proc = subprocess.Popen([sys.executable, "-c", SINK], stdout=subprocess.PIPE, text=True)
    try:
        port = int(proc.stdout.readline()) if proc.stdout else 0
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        put = channel.stream_unary("/bench.Sink/Put")  # raw bytes both ways
        t0 = time.perf_counter()
        assert int(put(chunks())) == SIZE
        return time.perf_counter() - t0, peak_rss_mib(proc.pid)
    finally:
        proc.terminate()
        proc.wait()


def hash_and_write_twice() -> float:
    """The embedded baseline (issue 13): what storing a recording must do at least, done
    bare: SHA-256 of the bytes and writing them twice (the object and its off-site copy),
    each file flushed to disk."""
    import hashlib

    folder = Path(tempfile.mkdtemp(prefix="liuhen-bench-"))
    t0 = time.perf_counter()
    digest = hashlib.sha256()
    with (folder / "a").open("wb") as a, (folder / "b").open("wb") as b:
        for c in chunks():
            digest.update(c)
            a.write(c)
            b.write(c)
        for f in (a, b):
            f.flush()
            os.fsync(f.fileno())
    elapsed = time.perf_counter() - t0
    for name in ("a", "b"):
        (folder / name).unlink()
    return elapsed


def media_upload() -> tuple[float, float, float]:
    import grpc

    from bench.procs import recording
    from liuhen.cli.demo import Officer
    from liuhen.cli.processes import ServiceProcesses, env_for, free_ports
    from liuhen.media.v1 import media_pb2_grpc
    from liuhen.platform.config import SERVICES, Settings
    from tests.support import Site, file_case

    home = Path(tempfile.mkdtemp(prefix="liuhen-bench-"))
    settings = Settings(home=home).with_ports(free_ports(SERVICES))
    procs = ServiceProcesses(settings, env_for(settings))
    procs.start(timeout=300, console=False)  # a loaded machine starts them slowly
    try:
        case = file_case(Site(settings, {}))
        handler = Officer(settings, "jiangan", "handler1")
        stream = recording(case, chunks())
        media_pid = procs.procs["media"].pid
        before = peak_rss_mib(media_pid)
        t0 = time.perf_counter()
        stub = media_pb2_grpc.MediaServiceStub(grpc.insecure_channel(settings.address("media")))
        stub.UploadRecording(stream, metadata=handler.metadata, timeout=3600)  # 4 GiB: minutes
        return time.perf_counter() - t0, before, peak_rss_mib(media_pid)
    finally:
        procs.stop()
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    from bench.common import emit

    sink_s, sink_mib = bare_sink()
    twice_s = hash_and_write_twice()
    media_s, media_before, media_mib = media_upload()
    mib = SIZE / 2**20
    emit(
        "upload",
        f"{mib:.0f} MiB in {CHUNK // 1024} KiB chunks: UploadRecording {mib / media_s:.1f} MiB/s "
        f"(peak RSS {media_mib:.0f} MiB, +{media_mib - media_before:.0f} MiB during the upload) "
        f"| hash + write twice {mib / twice_s:.1f} MiB/s (ratio {twice_s / media_s:.2f}) "
        f"| bare grpcio sink {mib / sink_s:.1f} MiB/s (ratio {sink_s / media_s:.2f})",
        size_mib=mib,
        media_mib_s=round(mib / media_s, 1),
        hash_write_twice_mib_s=round(mib / twice_s, 1),
        sink_mib_s=round(mib / sink_s, 1),
        ratio=round(twice_s / media_s, 3),
        ratio_sink=round(sink_s / media_s, 3),
        media_peak_rss_mib=round(media_mib, 1),
        media_rss_growth_mib=round(media_mib - media_before, 1),
        sink_peak_rss_mib=round(sink_mib, 1),
        target_met=twice_s / media_s >= 0.8 and media_mib - media_before <= 64,
    )


if __name__ == "__main__":
    main()
