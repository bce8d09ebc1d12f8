"""Archiving a file on the stack locks its footage in Ceph RGW for the period of the
file's kind (seed Art 43): the cases service asks media under its own Keycloak service
account, and the extended COMPLIANCE date is the one RGW holds at both zones."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from liuhen.cases.v1 import cases_pb2 as cpb
from liuhen.media.v1 import media_pb2 as pb
from liuhen.platform.config import SERVICES, Settings
from liuhen.platform.polling import wait_for
from liuhen.platform.ports import ObjectNotFound
from liuhen.platform.s3objects import S3ObjectStore
from tests.service.test_cases_steps import cases, effective
from tests.service.test_media import MIB, TENANT, footage, metadata, upload
from tests.stack.conftest import STACK_ENV
from tests.support import file_case, rid, running_site


@pytest.mark.stack
def test_art43_archiving_extends_the_footages_lock_at_both_rgw_zones(tmp_path: Path) -> None:
    env = {**STACK_ENV, "LIUHEN_HOME": str(tmp_path), "LIUHEN_RETENTION_YEARS": "other=50"}
    base = Settings.from_env(env, services=SERVICES)
    with running_site(tmp_path, base=base) as site:
        s = site.settings
        case = file_case(site)
        media = site.client("media", TENANT, "handler1")
        rec = upload(media, metadata(case), footage(1 * MIB))
        effective(site, case, "revocation_approval", {"reason": "不属于劳动保障监察事项"})
        cases(site, "reviewer1").ArchiveCase(cpb.ArchiveCaseRequest(request_id=rid(), case=case))
        kept = media.GetRecording(pb.GetRecordingRequest(name=rec.name)).recording
        year = datetime.now(UTC).year + 50
        assert int(kept.retain_until[:4]) == year
        keys = (s.s3_access_key.value, s.s3_secret_key.value)
        for endpoint in (s.s3_endpoint, s.s3_offsite_endpoint):
            zone = S3ObjectStore(endpoint, *keys, offsite_endpoint=None)

            def locked(zone: S3ObjectStore = zone) -> bool | None:
                try:
                    until = zone.head(TENANT, kept.object_key).retain_until
                except ObjectNotFound:
                    return None
                return (until is not None and until.year == year) or None

            assert wait_for(locked, f"the extended lock at {endpoint}", timeout_s=120.0)
