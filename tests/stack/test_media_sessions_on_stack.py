"""A session's segment in Ceph RGW carries the labels of Art 41 and the session's fields
(Art 25(1)) as object metadata at both zones: the primary and, once replicated, the
off-site one (定期异地备份)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from liuhen.media.v1 import media_pb2 as pb
from liuhen.platform.polling import wait_for
from liuhen.platform.ports import ObjectNotFound, StoredObject
from liuhen.platform.s3objects import S3ObjectStore
from tests.service.test_media import TENANT, open_case
from tests.service.test_media_sessions import get, new_session, segment
from tests.support import Site


@pytest.mark.stack
def test_art41_a_segments_labels_are_on_its_object_at_both_rgw_zones(stack_site: Site) -> None:
    site, s = stack_site, stack_site.settings
    case = open_case(site)
    t0 = datetime.now(UTC) - timedelta(hours=2)
    session = new_session(site, case.name, t0, minutes=30)
    rec = segment(site, case.name, session.name, t0, t0 + timedelta(minutes=30))
    keys = (s.s3_access_key.value, s.s3_secret_key.value)
    zones = {  # each zone read on its own, as a client of that zone would
        "primary": S3ObjectStore(s.s3_endpoint, *keys, offsite_endpoint=None),
        "offsite": S3ObjectStore(s.s3_offsite_endpoint, *keys, offsite_endpoint=None),
    }

    def head(store: S3ObjectStore) -> StoredObject | None:
        try:
            return store.head(TENANT, rec.object_key)
        except ObjectNotFound:
            return None

    for zone, store in zones.items():
        stored = wait_for(
            lambda store=store: head(store), f"the segment at the {zone} zone", timeout_s=120.0
        )
        assert stored.sha256 == rec.sha256, zone
        meta = stored.metadata
        assert (meta["case_number"], meta["party"], meta["handler"]) == (
            case.case_number, "某建筑劳务公司", "承办人甲",
        ), zone  # fmt: skip
        assert (meta["session"], meta["session_purpose"], meta["session_place"]) == (
            session.name, "现场检查工资支付情况", "江岸区某工地",
        ), zone  # fmt: skip
        assert meta["session_officers"] == "李四(42010001);王五(42010002)", zone
        assert meta["session_parties"] == "某建筑劳务公司 项目经理 赵六", zone
        assert meta["session_arrival"] == t0.isoformat(), zone


@pytest.mark.stack
def test_art26_segments_stored_at_once_on_postgresql_reconcile_the_gaps_one_after_the_other(
    stack_site: Site,
) -> None:
    site = stack_site
    case = open_case(site)
    t0 = datetime.now(UTC) - timedelta(hours=2)
    session = new_session(site, case.name, t0, minutes=60)
    parts = [(0, 10, ""), (20, 30, "bad_weather"), (40, 60, ""), (10.2, 19, "")]
    with ThreadPoolExecutor(len(parts)) as pool:
        stored = list(
            pool.map(
                lambda p: segment(
                    site,
                    case.name,
                    session.name,
                    t0 + timedelta(minutes=p[0]),
                    t0 + timedelta(minutes=p[1]),
                    p[2],
                ),
                parts,
            )
        )
    after = get(site, session.name)
    assert sorted(after.segments) == sorted(r.name for r in stored)
    open_gaps = [
        (g.after, g.before, g.state)
        for g in after.interruptions
        if g.state != pb.Interruption.FILLED
    ]
    assert sorted(open_gaps) == sorted(
        [
            (
                stored[3].name,
                stored[1].name,
                pb.Interruption.EXPLAINED,
            ),  # 19 → 20: a minute, spoken
            (stored[1].name, stored[2].name, pb.Interruption.FLAGGED),  # 30 → 40: unexplained
        ]
    )
    assert after.unexplained_gap
