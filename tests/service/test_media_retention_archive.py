"""Footage used as evidence is kept as long as its case file (seed Art 43): the file's
kind is final when it is archived, and archiving locks the case's recordings for that
kind's period, extended, never shortened."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import grpc
import pytest

from liuhen.cases.v1 import cases_pb2 as cpb
from liuhen.media.v1 import media_pb2 as pb
from liuhen.paging import case_ledger
from liuhen.platform.errors import InvalidArgument
from services.media.model import lock_years_of_kind
from tests.service.test_cases_steps import cases, effective
from tests.service.test_media import MIB, TENANT, footage, metadata, upload
from tests.support import Site, file_case, rid, running_site, status_of


def test_art43_archiving_locks_the_footage_for_the_period_of_the_files_kind(
    tmp_path: Path,
) -> None:
    with running_site(
        tmp_path / "liuhen", media_retention_years=30, retention_years_by_kind={"other": 50}
    ) as site:
        case = file_case(site)
        media = site.client("media", TENANT, "handler1")
        rec = upload(media, metadata(case), footage(1 * MIB))
        assert int(rec.retain_until[:4]) == datetime.now(UTC).year + 30  # the default term
        effective(site, case, "revocation_approval", {"reason": "不属于劳动保障监察事项"})

        again = cpb.ArchiveCaseRequest(request_id=rid(), case=case)
        archived = cases(site, "reviewer1").ArchiveCase(again)
        assert archived.case.state == cpb.Case.ARCHIVED
        kept = media.GetRecording(pb.GetRecordingRequest(name=rec.name)).recording
        assert int(kept.retain_until[:4]) == datetime.now(UTC).year + 50  # an "other" file
        head = site.running["media"].platform.objects.head(TENANT, kept.object_key)
        assert head.retain_until is not None and head.retain_until.year == int(
            kept.retain_until[:4]
        )

        file = cases(site).GetCaseFile(cpb.GetCaseFileRequest(case=case))
        assert file.retention == "50年"  # the cover says what the lock holds

        # A retried archive changes nothing and enters nothing twice.
        assert cases(site, "reviewer1").ArchiveCase(again).case.state == cpb.Case.ARCHIVED
        ledger = case_ledger(cases(site), case)
        extended = [e for e in ledger if e.action == "recording.retention_extended"]
        assert len(extended) == 1


def test_art43_only_the_cases_service_sets_the_files_lock_on_footage(site: Site) -> None:
    case = file_case(site)
    for user in ("handler1", "reviewer1", "head1"):
        with pytest.raises(grpc.RpcError) as refused:
            site.client("media", TENANT, user).RetainCaseRecordings(
                pb.RetainCaseRecordingsRequest(request_id=rid(), case=case, kind="major")
            )
        code, reason, meta = status_of(refused.value)
        assert (code, reason) == (grpc.StatusCode.PERMISSION_DENIED, "SERVICE_ONLY")
        assert meta["article"] == "seed Art 43"


def test_art43_a_kind_the_catalogue_does_not_know_is_refused() -> None:
    assert lock_years_of_kind("decided", 30, {}) == 30
    assert lock_years_of_kind("criminal_or_court", 30, {}) == 100  # permanent
    assert lock_years_of_kind("other", 30, {"other": 50}) == 50
    assert lock_years_of_kind("other", 30, {}) == 30  # never less than the default
    with pytest.raises(InvalidArgument) as refused:
        lock_years_of_kind("misc", 30, {})
    assert refused.value.reason == "UNKNOWN_CASE_KIND"
