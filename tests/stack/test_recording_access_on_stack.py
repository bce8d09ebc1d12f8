"""Playback and approved copies on the real stack (seed Art 44, 46): a byte range read
from Ceph RGW by a reviewer, and an approved copy whose manifest hash is the hash of
the bytes each RGW zone holds (the primary and the off-site zone, Art 41 异地备份)."""

from __future__ import annotations

import hashlib

import pytest
from minio import Minio
from minio.error import S3Error
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from liuhen.media.v1 import media_pb2 as pb
from liuhen.platform.db import Database
from liuhen.platform.polling import wait_for
from tests.service.test_media import TENANT, footage, metadata, open_case, upload
from tests.support import Site, rid, stack_env

pytestmark = pytest.mark.stack
MIB = 1024 * 1024
BUCKET = f"liuhen-{TENANT}"  # S3ObjectStore: `<prefix><tenant>`


def zone_sha256(endpoint: str, key: str) -> str | None:
    """The hash of the object as one RGW zone serves it, read with the app's keys."""
    env = stack_env()
    client = Minio(endpoint, env["LIUHEN_S3_ACCESS_KEY"], env["LIUHEN_S3_SECRET_KEY"], secure=False)
    try:
        response = client.get_object(BUCKET, key)
    except S3Error as exc:
        if exc.code == "NoSuchKey":  # not replicated yet: the caller waits
            return None
        raise
    try:
        h = hashlib.sha256()
        for chunk in response.stream(64 * 1024):
            h.update(chunk)
        return h.hexdigest()
    finally:
        response.close()
        response.release_conn()


def test_art44_a_reviewer_reads_a_byte_range_of_a_recording_from_rgw(stack_site: Site) -> None:
    case = open_case(stack_site)
    chunks = footage(3 * MIB)
    data = b"".join(chunks)
    rec = upload(stack_site.client("media", TENANT, "handler1"), metadata(case.name), chunks)
    reviewer = stack_site.client("media", TENANT, "reviewer1")
    start, length = MIB + 12_345, 700_000  # a browser seeking into the middle
    parts = list(
        reviewer.ReadRecording(
            pb.ReadRecordingRequest(
                request_id=rid(), name=rec.name, offset=start, length=length, reason="审理"
            )
        )
    )
    assert b"".join(p.chunk for p in parts) == data[start : start + length]
    assert max(len(p.chunk) for p in parts) <= 64 * 1024  # streamed, not gathered
    assert parts[0].offset == start and parts[0].size_bytes == len(data)
    entries = reviewer.ListRecordingAccessEntries(
        pb.ListRecordingAccessEntriesRequest(parent=case.name)
    ).entries
    assert [(e.action, e.offset, e.length) for e in entries] == [("view", start, length)]


def test_art46_an_approved_partys_copy_has_the_hash_of_the_object_at_both_zones(
    stack_site: Site,
) -> None:
    case = open_case(stack_site)
    rec = upload(
        stack_site.client("media", TENANT, "handler1"), metadata(case.name), footage(2 * MIB)
    )
    handler = stack_site.client("media", TENANT, "handler1")
    req = handler.CreateRecordingAccessRequest(
        pb.CreateRecordingAccessRequestRequest(
            request_id=rid(),
            recording=rec.name,
            kind="copy",
            requester_kind="party",
            party_name=rec.labels.party,
            copier=stack_site.user_id(TENANT, "handler1"),
            copier_name="承办人甲",
            reason="当事人申请复制",
        )
    ).access_request
    for officer in ("reviewer1", "head1"):
        stack_site.client("media", TENANT, officer).ApproveRecordingAccessRequest(
            pb.ApproveRecordingAccessRequestRequest(request_id=rid(), name=req.name)
        )
    copy = handler.CreateRecordingCopy(
        pb.CreateRecordingCopyRequest(request_id=rid(), access_request=req.name)
    ).copy
    env = stack_env()
    primary = zone_sha256(env["LIUHEN_S3_ENDPOINT"], rec.object_key)
    offsite = wait_for(
        lambda: zone_sha256(env["LIUHEN_S3_OFFSITE_ENDPOINT"], rec.object_key),
        "the off-site zone's copy",
        timeout_s=180,
        interval_s=1.0,
    )
    assert copy.manifest.sha256 == primary == offsite == rec.sha256
    streamed = b"".join(
        p.chunk
        for p in handler.ReadRecording(
            pb.ReadRecordingRequest(request_id=rid(), name=rec.name, access_request=req.name)
        )
    )
    assert hashlib.sha256(streamed).hexdigest() == copy.manifest.sha256
    assert copy.manifest.size_bytes == len(streamed)


def test_art44_the_services_cannot_change_or_remove_a_line_of_the_register(
    stack_site: Site,
) -> None:
    """What was registered stays as registered: the services' role may add lines to the
    register and the copies made, never update or delete one (Art 44 登记, Art 45)."""
    case = open_case(stack_site)
    rec = upload(
        stack_site.client("media", TENANT, "handler1"), metadata(case.name), footage(64 * 1024)
    )
    stack_site.client("media", TENANT, "reviewer1").ReadRecording(
        pb.ReadRecordingRequest(request_id=rid(), name=rec.name, length=10, reason="审理")
    ).__next__()
    db = Database(stack_env()["LIUHEN_DATABASE_URL"])
    try:
        for statement in (
            "UPDATE media_access_register SET reason = 'forged'",
            "DELETE FROM media_access_register",
            "UPDATE media_recording_copies SET sha256 = 'forged'",
        ):
            with db.unit_of_work(TENANT) as uow, pytest.raises(DBAPIError) as denied:
                uow.session.execute(text(statement))
            assert getattr(denied.value.orig, "sqlstate", "") == "42501", statement
        with db.unit_of_work(TENANT) as uow:
            reasons = uow.session.execute(
                text("SELECT reason FROM media_access_register WHERE case_id = :c"),
                {"c": case.name.split("/")[1]},
            ).scalars()
            assert list(reasons) == ["审理"]
    finally:
        db.dispose()


def test_art44_the_reviewer_finds_the_pending_requests_on_postgresql(stack_site: Site) -> None:
    """The approvers' work list (ListRecordingAccessRequests, pending) pages by its keyset
    under row-level security on the stack's PostgreSQL."""
    case = open_case(stack_site)
    rec = upload(stack_site.client("media", TENANT, "handler1"), metadata(case.name), footage(MIB))
    handler = stack_site.client("media", TENANT, "handler1")
    asked = [
        handler.CreateRecordingAccessRequest(
            pb.CreateRecordingAccessRequestRequest(
                request_id=rid(), recording=rec.name, kind="view", reason=f"核对第{i}段"
            )
        ).access_request.name
        for i in range(3)
    ]
    reviewer = stack_site.client("media", TENANT, "reviewer1")
    reviewer.ApproveRecordingAccessRequest(
        pb.ApproveRecordingAccessRequestRequest(request_id=rid(), name=asked[1])
    )

    def listed(parent: str, pending: bool) -> list[str]:
        names, token = [], ""
        while True:
            got = reviewer.ListRecordingAccessRequests(
                pb.ListRecordingAccessRequestsRequest(
                    parent=parent, pending=pending, page_size=1, page_token=token
                )
            )
            names += [r.name for r in got.access_requests]
            token = got.next_page_token
            if not token:
                return names

    assert listed(rec.name, pending=False) == asked
    assert listed(rec.name, pending=True) == [asked[0], asked[2]]
    assert {asked[0], asked[2]} <= set(listed(f"tenants/{TENANT}", pending=True))
