"""kill -9 of the media service at points of an upload (issue 10): no crash loses the
off-site copy (Art 41 异地备份) and nothing is left behind. The media service runs as a
process of its own on the embedded default; the other services run in-process."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from liuhen.cli.processes import env_for, free_ports
from liuhen.media.v1 import media_pb2 as pb
from liuhen.paging import case_ledger
from tests.e2e.test_demo import ROOT, clean_env
from tests.service.test_media import TENANT, footage, metadata, open_case, requests
from tests.support import Client, Site, rid, running_site

SIBLINGS = ("intake", "cases", "routing", "enforcement")


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    with running_site(tmp_path / "liuhen", services=SIBLINGS) as s:
        # media runs as a process of its own: its port is chosen before it starts (from
        # below the ephemeral range, as `liuhen up` does) and told to its siblings
        s.settings = s.settings.with_ports(free_ports(["media"]))
        for running in s.running.values():
            running.platform.settings = s.settings
        yield s


def start_media(site: Site, log: Path, fault: str = "") -> subprocess.Popen[bytes]:
    env = {
        **clean_env(),
        **env_for(site.settings),
        "PYTHONPATH": str(ROOT),
        "LIUHEN_MEDIA_OFFSITE_RETRY_S": "0.2",
        "LIUHEN_TEST_FAULT": fault,
    }
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "services.media"], env=env, stdout=out, stderr=out
        )
    try:
        with grpc.insecure_channel(site.settings.address("media")) as ch:
            grpc.channel_ready_future(ch).result(timeout=60)
    except BaseException:
        proc.kill()  # never leave a media process behind a failed start
        proc.wait()
        raise
    return proc


def killed(proc: subprocess.Popen[bytes]) -> int:
    return proc.wait(timeout=60)


def leftovers(home: Path) -> list[Path]:
    return [p for p in (home / "objects").rglob("tmp/*")]


def test_kill_9_during_and_after_an_upload_loses_no_offsite_copy_and_leaves_nothing(
    site: Site, tmp_path: Path
) -> None:
    home, log = site.settings.home, tmp_path / "media.log"
    case = open_case(site)
    chunks = footage(2 * 1024 * 1024)
    meta = metadata(case.name, request_id=rid())

    def media() -> Client:
        return site.client("media", TENANT, "handler1")

    # 1. Killed while the bytes stream in: a partial file is left in staging.
    proc = start_media(site, log, "upload.streaming:kill")
    with pytest.raises(grpc.RpcError):
        media().UploadRecording(requests(meta, chunks))
    assert killed(proc) == -9
    assert leftovers(home), "the kill must leave a partial file for this test to mean anything"

    # 2. Restarted: the partial file is gone. Killed after the recording committed and
    #    before the off-site copy was made.
    proc = start_media(site, log, "upload.recorded:kill")
    assert leftovers(home) == []
    with pytest.raises(grpc.RpcError):
        media().UploadRecording(requests(meta, chunks))
    assert killed(proc) == -9

    # 3. Restarted with the copier stuck: the copy is pending, not missing; the retry
    #    of the upload answers with the first result.
    proc = start_media(site, log, "offsite.copy:hang")
    rec = media().UploadRecording(requests(meta, chunks)).recording
    reviewer = site.client("media", TENANT, "reviewer1")
    check = reviewer.VerifyOffsiteCopy(
        pb.VerifyOffsiteCopyRequest(request_id=rid(), name=rec.name, wait_seconds=0)
    ).check
    assert check.state == pb.OFFSITE_STATE_PENDING
    proc.kill()
    assert killed(proc) == -9

    # 4. Restarted: the copier resumes and the copy arrives.
    proc = start_media(site, log)
    try:
        check = reviewer.VerifyOffsiteCopy(
            pb.VerifyOffsiteCopyRequest(request_id=rid(), name=rec.name, wait_seconds=30)
        ).check
        assert (check.state, check.offsite_sha256) == (pb.OFFSITE_STATE_VERIFIED, rec.sha256)
        ledger = case_ledger(site.client("cases", TENANT, "handler1"), case.name)
        actions = [e.action for e in ledger]
        assert actions.count("recording.stored") == 1
        assert actions.count("recording.offsite_copied") == 1
        assert leftovers(home) == []
    finally:
        proc.terminate()
        proc.wait(timeout=30)
