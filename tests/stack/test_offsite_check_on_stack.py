"""The scheduled off-site check on the real stack (seed Art 41 定期异地备份): a copy
removed at the off-site RGW zone is found by the periodic re-hash, entered in the case's
ledger and listed by the supervision report (Art 47); and the scheduled reports are sent
once per period by replicas sharing PostgreSQL.

Footage in the services' buckets is locked (COMPLIANCE) and cannot be removed, by design;
so the test makes its own bucket without lock, under a prefix of its own, and removes
the copy there with the administrator's keys."""

from __future__ import annotations

import hashlib
import io
import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from minio import Minio

from liuhen.media.v1 import media_pb2 as pb
from liuhen.platform import ledger
from liuhen.platform.bootstrap import bootstrap
from liuhen.platform.catalogue import sites
from liuhen.platform.config import Settings
from liuhen.platform.polling import wait_for
from liuhen.platform.s3objects import S3ObjectStore
from services.media import report_orm
from services.media.copies import COPY_DONE, OffsiteCopy
from services.media.offsite import OffsiteCopier
from services.media.report import scheduled_period
from services.media.report_handlers import EPOCH, ReportScheduler
from tests.stack.conftest import STACK_ENV
from tests.support import Site, running_site

TENANT = "jiangan"
DAY = 86400.0


@pytest.fixture
def media_site(tmp_path: Path) -> Iterator[Site]:
    """The media service on the stack profile. Its own copier re-hashes a recording only
    after 30 days, so only the test's sweep (below) looks at the test's recording."""
    base = Settings.from_env({**STACK_ENV, "LIUHEN_HOME": str(tmp_path)}, services=("media",))
    with running_site(tmp_path, ("media",), base=base, fixity_interval_s=30 * DAY) as site:
        yield site


def _s3(endpoint: str, access: str, secret: str) -> Minio:
    return Minio(endpoint, access_key=access, secret_key=secret, secure=False)


def test_art41_the_scheduled_check_finds_a_copy_removed_at_the_offsite_zone_and_reports_it(
    media_site: Site,
) -> None:
    env = STACK_ENV
    prefix = f"liuhen-t{uuid.uuid4().hex[:10]}-"
    bucket = prefix + TENANT
    case_id, rec_id = str(uuid.uuid4()), str(uuid.uuid4())
    key = f"recordings/{case_id}/{rec_id}"
    data = os.urandom(256 * 1024)
    sha = hashlib.sha256(data).hexdigest()

    app = _s3(env["LIUHEN_S3_ENDPOINT"], env["LIUHEN_S3_ACCESS_KEY"], env["LIUHEN_S3_SECRET_KEY"])
    app.make_bucket(bucket)  # no Object Lock: made for this test
    app.put_object(bucket, key, io.BytesIO(data), len(data))
    store = S3ObjectStore(
        env["LIUHEN_S3_ENDPOINT"],
        env["LIUHEN_S3_ACCESS_KEY"],
        env["LIUHEN_S3_SECRET_KEY"],
        offsite_endpoint=env["LIUHEN_S3_OFFSITE_ENDPOINT"],
        bucket_prefix=prefix,
    )
    assert store.replica_sha256(TENANT, key, timeout_s=120) == sha  # replicated off site

    # The media service's view of it: a recording copied off site two days ago.
    platform = bootstrap(replace(media_site.settings, fixity_interval_s=DAY), "media")
    platform.__dict__["objects"] = store  # the test's bucket, not the locked one
    two_days_ago = datetime.now(UTC) - timedelta(days=2)
    with platform.db.unit_of_work(TENANT) as uow:
        uow.add(
            OffsiteCopy(
                rec_id, TENANT, case_id, key, sha, COPY_DONE, 1, two_days_ago,
                done_at=two_days_ago, offsite_sha256=sha, fixity_checked_at=two_days_ago,
            )
        )  # fmt: skip
        uow.commit()

    # Whoever runs the off-site zone removes the copy.
    admin = _s3(
        env["LIUHEN_S3_OFFSITE_ENDPOINT"],
        env["LIUHEN_S3_ADMIN_ACCESS_KEY"],
        env["LIUHEN_S3_ADMIN_SECRET_KEY"],
    )
    admin.remove_object(bucket, key)
    wait_for(lambda: store.replica_sha256(TENANT, key) is None, "the off-site copy to be gone")

    now = datetime.now(UTC)
    assert OffsiteCopier(platform, 3600).sweep_fixity(now) >= 1

    with platform.db.unit_of_work(TENANT) as uow:
        entries = ledger.entries(uow, case_id)
    assert [(e.action, e.refs) for e in entries] == [("recording.fixity_failed", [sha])]

    report = (
        media_site.client("media", TENANT, "head1")
        .GetSupervisionReport(
            pb.GetSupervisionReportRequest(
                period_start=_ts(now - timedelta(hours=1)), period_end=_ts(now + timedelta(hours=1))
            )
        )
        .report
    )
    (offsite,) = [s for s in report.sections if s.name == "offsite_copies"]
    found = [f for f in offsite.findings if f.subject == f"cases/{case_id}/recordings/{rec_id}"]
    assert len(found) == 1
    # Off-site missing; should RGW's multisite sync have carried the removal back to the
    # primary zone already, the primary is gone too: a finding either way, never intact.
    assert found[0].detail.split(":")[0] in ("offsite_missing", "unreadable")


def _ts(value: datetime) -> Timestamp:
    out = Timestamp()
    out.FromDatetime(value)
    return out


def test_art47_two_replicas_send_each_districts_scheduled_report_once(media_site: Site) -> None:
    districts = [s for s, v in sites().items() if v.level == "district"]
    replicas = [ReportScheduler(bootstrap(media_site.settings, "media"), 7 * DAY) for _ in range(2)]
    platform = replicas[0].platform

    def unsent(moment: datetime) -> bool:
        start, _ = scheduled_period(moment, timedelta(days=7), EPOCH)
        for district in districts:
            with platform.db.unit_of_work(district) as uow:
                if report_orm.scheduled_send_of(uow, start) is not None:
                    return False
        return True

    # A period no one has sent yet: the services of other tests in this database send
    # theirs, for whatever time a test's clock has set.
    later = datetime.now(UTC) + timedelta(days=140)
    while not unsent(later):
        later += timedelta(days=7)
    with ThreadPoolExecutor(2) as pool:
        sent = list(pool.map(lambda r: r.run_once(later), replicas))
    assert sum(sent) == len(districts)


def test_art47_a_districts_report_reaches_the_city_over_kafka(stack_site: Site) -> None:
    now = datetime.now(UTC)
    sent = stack_site.client("media", TENANT, "head1").SendSupervisionReport(
        pb.SendSupervisionReportRequest(
            request_id=str(uuid.uuid4()),
            period_start=_ts(now - timedelta(days=7)),
            period_end=_ts(now),
        )
    )
    city = stack_site.client("media", "wuhan", "supervisor1")

    def arrived() -> list[pb.ReceivedSupervisionReport]:
        reports = city.ListReceivedSupervisionReports(
            pb.ListReceivedSupervisionReportsRequest(sender=TENANT)
        ).reports
        return [r for r in reports if r.message_id == sent.message_id]

    (got,) = wait_for(arrived, "jiangan's report at the city", timeout_s=120)
    assert got.report == sent.report
