"""A district's checkpoint cosigned by the city over Kafka and kept under Object Lock in
Ceph RGW (DESIGN §4; seed Art 45): the real stack's path of the ledger log's witness."""

from __future__ import annotations

import pytest

from liuhen.cases.v1 import cases_pb2 as cpb
from liuhen.platform import tlog
from liuhen.platform.archive import Archive
from liuhen.platform.db import Database
from liuhen.platform.logkeys import origin_of
from liuhen.platform.note import Checkpoint
from liuhen.platform.polling import wait_for
from liuhen.platform.ports import ObjectLocked
from liuhen.platform.s3objects import S3ObjectStore
from tests.service.test_enforcement import open_case
from tests.service.test_ledger_witness import CITY, JA
from tests.support import Site, rid


@pytest.mark.stack
def test_art45_a_districts_checkpoint_is_cosigned_by_the_city_over_kafka_and_locked_in_rgw(
    stack_site: Site,
) -> None:
    site, s = stack_site, stack_site.settings
    case = open_case(site, JA)
    signed = site.client("cases", JA, "head1").SignCheckpoint(
        cpb.SignCheckpointRequest(request_id=rid())
    )
    assert signed.size > 0

    def covered() -> cpb.VerifyLedgerResponse | None:
        v = site.client("cases", JA, "handler1").VerifyLedger(cpb.VerifyLedgerRequest(case=case))
        return v if v.checkpoint_size >= signed.size else None

    v = wait_for(covered, "the city's cosignature over Kafka", timeout_s=180.0)
    assert v.ok and v.unwitnessed == 0, v.detail
    store = S3ObjectStore(
        s.s3_endpoint,
        s.s3_access_key.value,
        s.s3_secret_key.value,
        offsite_endpoint=s.s3_offsite_endpoint,
    )
    archive = Archive(store)
    with Database(s.db_url()).unit_of_work(JA) as uow:
        log = tlog.log_id(uow)
    size = v.checkpoint_size
    cosigned = wait_for(lambda: archive.cosigned(JA, log, size), "the cosigned copy in RGW")
    assert f"\u2014 {origin_of(CITY)}/witness " in cosigned
    key = f"tlog/{log}/cosigned/{size}"
    head = store.head(JA, key)
    assert head.retain_until is not None and head.retain_until.year >= 2050  # COMPLIANCE
    with pytest.raises(ObjectLocked):
        store.delete(JA, key)
    root = Checkpoint.parse(cosigned.split("\n\n")[0] + "\n").root
    city_copy = wait_for(lambda: archive.witnessed(CITY, JA, size, root), "the city's copy")
    assert city_copy == cosigned  # the city keeps what it cosigned, locked in its bucket
