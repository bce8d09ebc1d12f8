"""The copies of a recording on the embedded default: fixity of both copies (Art 45
不得…删改) and files readable by the service user only (personal data, Art 46)."""

from __future__ import annotations

import logging
import stat
from datetime import UTC, datetime, timedelta

import pytest

from liuhen.media.v1 import media_pb2 as pb
from liuhen.paging import case_ledger
from services.media.offsite import OffsiteCopier
from tests.service.test_media import TENANT, footage, metadata, open_case, upload
from tests.support import Site, rid


def test_art45_an_altered_byte_in_the_object_folder_is_a_finding_and_an_alarm(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    case = open_case(site)
    rec = upload(site.client("media", TENANT, "handler1"), metadata(case.name), footage(512 * 1024))
    reviewer = site.client("media", TENANT, "reviewer1")
    reviewer.VerifyOffsiteCopy(
        pb.VerifyOffsiteCopyRequest(request_id=rid(), name=rec.name, wait_seconds=10)
    )
    intact = reviewer.CheckFixity(pb.CheckFixityRequest(request_id=rid(), name=rec.name))
    assert intact.state == pb.FIXITY_STATE_INTACT
    assert intact.primary_sha256 == intact.offsite_sha256 == rec.sha256

    # Whoever owns the folder changes one byte of the stored recording.
    blob = site.settings.home / "objects" / TENANT / "cas" / rec.sha256
    blob.chmod(0o600)
    with blob.open("r+b") as f:
        f.seek(1000)
        byte = f.read(1)
        f.seek(1000)
        f.write(bytes([byte[0] ^ 0x01]))

    with caplog.at_level(logging.ERROR, logger="liuhen.media.offsite"):
        found = reviewer.CheckFixity(pb.CheckFixityRequest(request_id=rid(), name=rec.name))
    assert found.state == pb.FIXITY_STATE_ALTERED
    assert found.primary_sha256 != rec.sha256 and found.offsite_sha256 == rec.sha256
    assert any("ALARM fixity altered" in r.getMessage() for r in caplog.records)
    # GetRecording still reports the recorded hash; the ledger holds the finding.
    ledger = case_ledger(site.client("cases", TENANT, "handler1"), case.name)
    findings = [e for e in ledger if e.action == "recording.fixity_failed"]
    assert len(findings) == 1 and findings[0].refs == [rec.sha256]


def test_art45_the_periodic_check_rehashes_both_copies_and_enters_only_findings(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    case = open_case(site)
    media = site.client("media", TENANT, "handler1")
    kept, altered = (
        upload(media, metadata(case.name), footage(128 * 1024, seed=seed)) for seed in (b"a", b"b")
    )
    reviewer = site.client("media", TENANT, "reviewer1")
    for rec in (kept, altered):
        reviewer.VerifyOffsiteCopy(
            pb.VerifyOffsiteCopyRequest(request_id=rid(), name=rec.name, wait_seconds=10)
        )
    offsite = site.settings.home / "objects" / "_offsite" / TENANT / "cas" / altered.sha256
    offsite.chmod(0o600)
    offsite.write_bytes(b"not the recording")

    copier = next(w for w in site.running["media"].workers if isinstance(w, OffsiteCopier))
    assert copier.sweep_fixity() == 0  # copying checked them: not due for a day
    a_day_later = datetime.now(UTC) + timedelta(days=1, minutes=1)
    with caplog.at_level(logging.ERROR, logger="liuhen.media.offsite"):
        assert copier.sweep_fixity(a_day_later) == 2
    assert copier.sweep_fixity(a_day_later) == 0  # each recording once per fixity_interval_s
    assert any("ALARM fixity altered" in r.getMessage() for r in caplog.records)
    ledger = case_ledger(site.client("cases", TENANT, "handler1"), case.name)
    findings = [e for e in ledger if e.action.startswith("recording.fixity")]
    assert [(e.action, e.refs) for e in findings] == [("recording.fixity_failed", [altered.sha256])]


def test_art46_the_database_and_object_folder_are_readable_by_the_service_user_only(
    site: Site,
) -> None:
    case = open_case(site)
    rec = upload(site.client("media", TENANT, "handler1"), metadata(case.name), footage(64 * 1024))
    site.client("media", TENANT, "reviewer1").VerifyOffsiteCopy(
        pb.VerifyOffsiteCopyRequest(request_id=rid(), name=rec.name, wait_seconds=10)
    )
    home = site.settings.home
    private = [
        home,
        *home.glob("liuhen.db*"),
        *home.glob("messages.db*"),
        home / "objects",
        *(home / "objects").rglob("*"),
    ]
    assert len(private) > 15 and (home / "liuhen.db") in private
    for path in private:
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
