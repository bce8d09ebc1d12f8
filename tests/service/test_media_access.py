"""Playback, access requests, copies and the access register over real gRPC on the
embedded default (seed Art 44: 调阅、复制…由案件审理部门统一办理…详细登记; Art 46: a
party's copy needs the head, secret footage the extra approvals of its label)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator

import grpc
import pytest

from liuhen.cases.v1 import cases_pb2 as cpb
from liuhen.media.v1 import media_pb2 as pb
from liuhen.paging import case_ledger
from tests.service.test_media import TENANT, footage, metadata, open_case, upload
from tests.support import Client, Site, rid, status_of

SIZE = 256 * 1024
PARTY = "某建筑劳务公司"  # the employer the case of open_case is against


def recording(site: Site, *, confidentiality: str = "normal") -> tuple[cpb.Case, pb.Recording]:
    case = open_case(site)
    meta = metadata(case.name)
    meta.confidentiality = confidentiality
    rec = upload(site.client("media", TENANT, "handler1"), meta, footage(SIZE))
    return case, rec


def read(
    client: Client, name: str, *, offset: int = 0, length: int = 0, via: str = "", why: str = "审理"
) -> tuple[bytes, list[pb.ReadRecordingResponse]]:
    parts = list(
        client.ReadRecording(
            pb.ReadRecordingRequest(
                request_id=rid(),
                name=name,
                offset=offset,
                length=length,
                reason=why,
                access_request=via,
            )
        )
    )
    return b"".join(p.chunk for p in parts), parts


def refused(call: Callable[[], object]) -> tuple[grpc.StatusCode, str, dict[str, str]]:
    """The status of a refused call; a streamed answer is read to its end."""
    with pytest.raises(grpc.RpcError) as info:
        result = call()
        if isinstance(result, Iterator):
            list(result)
    return status_of(info.value)


def ask(client: Client, rec: pb.Recording, kind: str, **fields: str) -> pb.RecordingAccessRequest:
    response = client.CreateRecordingAccessRequest(
        pb.CreateRecordingAccessRequestRequest(
            request_id=rid(),
            recording=rec.name,
            kind=kind,
            reason=fields.pop("reason", "复核证据"),
            **fields,
        )
    )
    return response.access_request


def approve(client: Client, name: str) -> pb.RecordingAccessRequest:
    return client.ApproveRecordingAccessRequest(
        pb.ApproveRecordingAccessRequestRequest(request_id=rid(), name=name)
    ).access_request


def whole(site: Site) -> bytes:
    return b"".join(footage(SIZE))


def test_art44_a_reviewer_reads_a_byte_range_directly_and_the_read_is_registered(
    site: Site,
) -> None:
    case, rec = recording(site)
    reviewer = site.client("media", TENANT, "reviewer1")
    data, parts = read(reviewer, rec.name, offset=100_000, length=70_000, why="审理证据")
    assert data == whole(site)[100_000:170_000]
    assert parts[0].offset == 100_000 and parts[0].size_bytes == SIZE
    assert parts[0].content_type == "video/mp4" and parts[0].access_entry
    assert [p.offset for p in parts] == [
        100_000 + sum(len(q.chunk) for q in parts[:i]) for i in range(len(parts))
    ]
    tail, _ = read(reviewer, rec.name, offset=SIZE - 10)
    assert tail == whole(site)[-10:]

    listed = reviewer.ListRecordingAccessEntries(
        pb.ListRecordingAccessEntriesRequest(parent=case.name)
    )
    first = listed.entries[0]
    assert (first.action, first.offset, first.length, first.reason) == (
        "view",
        100_000,
        70_000,
        "审理证据",
    )
    assert first.actor_name == "审理员甲" and first.approvers == "" and first.access_request == ""
    assert first.name == parts[0].access_entry
    ledger = case_ledger(site.client("cases", TENANT, "handler1"), case.name)
    viewed = [e for e in ledger if e.action == "recording.viewed"]
    assert [e.hash for e in viewed][:1] == [first.ledger_hash]


def test_art44_anyone_else_needs_an_approved_request_and_nothing_is_registered_without_it(
    site: Site,
) -> None:
    _, rec = recording(site)
    handler = site.client("media", TENANT, "handler1")
    code, reason, _ = refused(
        lambda: handler.ReadRecording(
            pb.ReadRecordingRequest(request_id=rid(), name=rec.name, reason="核对")
        )
    )
    assert (code, reason) == (grpc.StatusCode.PERMISSION_DENIED, "ACCESS_NOT_APPROVED")

    req = ask(handler, rec, "view")
    assert list(req.required_roles) == ["reviewer"] and not req.approved
    code, reason, _ = refused(lambda: read(handler, rec.name, via=req.name))
    assert (code, reason) == (grpc.StatusCode.FAILED_PRECONDITION, "NOT_APPROVED")
    # The requester cannot approve their own request, nor can a head stand in.
    code, reason, _ = refused(lambda: approve(handler, req.name))
    assert (code, reason) == (grpc.StatusCode.PERMISSION_DENIED, "OWN_REQUEST")
    code, reason, info = refused(lambda: approve(site.client("media", TENANT, "head1"), req.name))
    assert (code, reason, info["article"]) == (
        grpc.StatusCode.PERMISSION_DENIED,
        "WRONG_APPROVER",
        "seed Art 44",
    )

    approved = approve(site.client("media", TENANT, "reviewer1"), req.name)
    assert approved.approved and approved.approvals[0].approver_name == "审理员甲"
    data, _ = read(handler, rec.name, offset=0, length=1000, via=req.name, why="")
    assert data == whole(site)[:1000]
    # Only the requester reads through it.
    other = site.client("media", TENANT, "handler2")
    code, reason, _ = refused(lambda: read(other, rec.name, via=req.name))
    assert (code, reason) == (grpc.StatusCode.PERMISSION_DENIED, "NOT_YOUR_REQUEST")

    entries = (
        site.client("media", TENANT, "head1")
        .ListRecordingAccessEntries(
            pb.ListRecordingAccessEntriesRequest(parent=f"tenants/{TENANT}")
        )
        .entries
    )
    mine = [e for e in entries if e.recording == rec.name]
    assert len(mine) == 1  # refused reads leave no line
    assert (mine[0].requester_name, mine[0].reason, mine[0].access_request) == (
        "承办人甲",
        "复核证据",
        req.name,
    )
    assert mine[0].approvers == "审理员甲（案件审理部门）"


def test_art44_a_range_past_the_end_and_a_reviewer_without_a_reason_are_refused(
    site: Site,
) -> None:
    _, rec = recording(site)
    reviewer = site.client("media", TENANT, "reviewer1")
    code, reason, _ = refused(lambda: read(reviewer, rec.name, offset=SIZE))
    assert (code, reason) == (grpc.StatusCode.INVALID_ARGUMENT, "RANGE_NOT_SATISFIABLE")
    code, reason, _ = refused(lambda: read(reviewer, rec.name, offset=-1))
    assert (code, reason) == (grpc.StatusCode.INVALID_ARGUMENT, "BAD_RANGE")
    code, reason, info = refused(lambda: read(reviewer, rec.name, why=""))
    assert (code, reason, info["field"]) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "MISSING_FIELD",
        "reason",
    )


def test_art44_an_approved_copy_has_a_manifest_and_is_logged(site: Site) -> None:
    case, rec = recording(site)
    handler, reviewer = (site.client("media", TENANT, u) for u in ("handler1", "reviewer1"))
    copier = site.user_id(TENANT, "handler1")
    req = ask(handler, rec, "copy", copier=copier, copier_name="承办人甲", reason="移送法院")
    code, reason, _ = refused(
        lambda: handler.CreateRecordingCopy(
            pb.CreateRecordingCopyRequest(request_id=rid(), access_request=req.name)
        )
    )
    assert (code, reason) == (grpc.StatusCode.FAILED_PRECONDITION, "NOT_APPROVED")

    approved = approve(reviewer, req.name)
    code, reason, _ = refused(lambda: read(handler, rec.name, via=req.name))
    assert (code, reason) == (grpc.StatusCode.FAILED_PRECONDITION, "COPY_NOT_MADE")
    code, reason, _ = refused(
        lambda: reviewer.CreateRecordingCopy(
            pb.CreateRecordingCopyRequest(request_id=rid(), access_request=req.name)
        )
    )
    assert (code, reason) == (grpc.StatusCode.PERMISSION_DENIED, "NOT_THE_COPIER")
    made = handler.CreateRecordingCopy(
        pb.CreateRecordingCopyRequest(request_id=rid(), access_request=req.name)
    ).copy
    data, _ = read(handler, rec.name, via=req.name, why="")
    manifest = made.manifest
    assert manifest.sha256 == hashlib.sha256(data).hexdigest() == rec.sha256
    assert manifest.size_bytes == SIZE and manifest.file_name.endswith(".mp4")
    assert manifest.approval_ledger_hash == approved.approvals[0].ledger_hash

    ledger = case_ledger(site.client("cases", TENANT, "handler1"), case.name)
    by_hash = {e.hash: e.action for e in ledger}
    assert by_hash[manifest.approval_ledger_hash] == "recording.copy_approved"
    assert by_hash[made.ledger_hash] == "recording.copied"
    entries = reviewer.ListRecordingAccessEntries(
        pb.ListRecordingAccessEntriesRequest(parent=case.name)
    ).entries
    assert [(e.action, e.copier_name, e.approvers, e.reason) for e in entries] == [
        ("copy", "承办人甲", "审理员甲（案件审理部门）", "移送法院"),
        ("copy_read", "承办人甲", "审理员甲（案件审理部门）", "移送法院"),
    ]


def test_art46_a_partys_copy_needs_the_head_after_the_review_department(site: Site) -> None:
    _, rec = recording(site)
    reviewer = site.client("media", TENANT, "reviewer1")
    copier = site.user_id(TENANT, "reviewer1")
    code, reason, _ = refused(
        lambda: ask(
            reviewer,
            rec,
            "copy",
            requester_kind="party",
            party_name="别的公司",
            copier=copier,
            copier_name="审理员甲",
        )
    )
    assert (code, reason) == (grpc.StatusCode.PERMISSION_DENIED, "NOT_A_PARTY")
    code, reason, _ = refused(
        lambda: ask(reviewer, rec, "view", requester_kind="party", party_name=PARTY)
    )
    assert (code, reason) == (grpc.StatusCode.INVALID_ARGUMENT, "PARTY_MAY_ONLY_COPY")

    handler = site.client("media", TENANT, "handler1")
    req = ask(
        handler,
        rec,
        "copy",
        requester_kind="party",
        party_name=PARTY,
        copier=copier,
        copier_name="审理员甲",
        reason="当事人申请复制",
    )
    assert list(req.required_roles) == ["reviewer", "head"]
    after_review = approve(reviewer, req.name)
    assert not after_review.approved
    code, reason, info = refused(
        lambda: reviewer.CreateRecordingCopy(
            pb.CreateRecordingCopyRequest(request_id=rid(), access_request=req.name)
        )
    )
    assert (code, reason, info["article"]) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "NOT_APPROVED",
        "seed Art 46",
    )
    # The review department cannot approve twice in the head's place.
    other_reviewer = site.client("media", TENANT, "reviewer2", roles=("reviewer",))
    code, reason, info = refused(lambda: approve(other_reviewer, req.name))
    assert (code, reason, info["article"]) == (
        grpc.StatusCode.PERMISSION_DENIED,
        "WRONG_APPROVER",
        "seed Art 46",
    )
    done = approve(site.client("media", TENANT, "head1"), req.name)
    assert done.approved and [a.role for a in done.approvals] == ["reviewer", "head"]
    got = reviewer.GetRecordingAccessRequest(pb.GetRecordingAccessRequestRequest(name=req.name))
    assert got.access_request == done
    assert (got.access_request.requester_kind, got.access_request.requester_name) == (
        "party",
        PARTY,
    )
    made = reviewer.CreateRecordingCopy(
        pb.CreateRecordingCopyRequest(request_id=rid(), access_request=req.name)
    ).copy
    assert made.manifest.sha256 == rec.sha256
    assert made.manifest.approval_ledger_hash == done.approvals[1].ledger_hash
    code, reason, _ = refused(lambda: approve(reviewer, req.name))
    assert (code, reason) == (grpc.StatusCode.FAILED_PRECONDITION, "ALREADY_APPROVED")


def test_art46_a_state_secret_recording_needs_the_extra_approvals_of_its_label(
    site: Site,
) -> None:
    _, rec = recording(site, confidentiality="secret")
    handler = site.client("media", TENANT, "handler1")
    req = ask(handler, rec, "copy", copier=site.user_id(TENANT, "handler1"), copier_name="承办人甲")
    assert list(req.required_roles) == ["reviewer", "head", "bureau_head"]
    for user in ("reviewer1", "head1"):
        approve(site.client("media", TENANT, user), req.name)
    code, reason, info = refused(
        lambda: handler.CreateRecordingCopy(
            pb.CreateRecordingCopyRequest(request_id=rid(), access_request=req.name)
        )
    )
    assert (code, reason) == (grpc.StatusCode.FAILED_PRECONDITION, "NOT_APPROVED")
    assert info["article"] == "seed Art 46; 《中华人民共和国保守国家秘密法》"
    done = approve(site.client("media", TENANT, "bureau_head1"), req.name)
    assert done.approved
    made = handler.CreateRecordingCopy(
        pb.CreateRecordingCopyRequest(request_id=rid(), access_request=req.name)
    ).copy
    assert made.manifest.sha256 == rec.sha256
    # A look at it needs the head as well as the review department.
    view = ask(handler, rec, "view")
    assert list(view.required_roles) == ["reviewer", "head"]


def test_art44_the_register_pages_per_tenant_and_is_not_for_handlers(site: Site) -> None:
    case, rec = recording(site)
    reviewer = site.client("media", TENANT, "reviewer1")
    for i in range(5):
        read(reviewer, rec.name, offset=i, length=1)
    first = reviewer.ListRecordingAccessEntries(
        pb.ListRecordingAccessEntriesRequest(parent=f"tenants/{TENANT}", page_size=3)
    )
    second = reviewer.ListRecordingAccessEntries(
        pb.ListRecordingAccessEntriesRequest(
            parent=f"tenants/{TENANT}", page_size=3, page_token=first.next_page_token
        )
    )
    assert [e.offset for e in [*first.entries, *second.entries]] == [0, 1, 2, 3, 4]
    assert second.next_page_token == ""
    handler = site.client("media", TENANT, "handler1")
    code, reason, _ = refused(
        lambda: handler.ListRecordingAccessEntries(
            pb.ListRecordingAccessEntriesRequest(parent=case.name)
        )
    )
    assert (code, reason) == (grpc.StatusCode.PERMISSION_DENIED, "ROLE_REQUIRED")
    code, reason, _ = refused(
        lambda: reviewer.ListRecordingAccessEntries(
            pb.ListRecordingAccessEntriesRequest(parent="tenants/hongshan")
        )
    )
    assert (code, reason) == (grpc.StatusCode.PERMISSION_DENIED, "OTHER_TENANT")


def test_art44_a_retried_read_is_registered_once(site: Site) -> None:
    case, rec = recording(site)
    reviewer = site.client("media", TENANT, "reviewer1")
    again = pb.ReadRecordingRequest(request_id=rid(), name=rec.name, length=100, reason="审理")
    first = list(reviewer.ReadRecording(again))
    second = list(reviewer.ReadRecording(again))
    assert first[0].access_entry == second[0].access_entry
    assert b"".join(p.chunk for p in second) == whole(site)[:100]
    entries = reviewer.ListRecordingAccessEntries(
        pb.ListRecordingAccessEntriesRequest(parent=case.name)
    ).entries
    assert len(entries) == 1


def test_art45_no_copy_is_made_of_stored_bytes_that_no_longer_match(site: Site) -> None:
    _, rec = recording(site)
    handler = site.client("media", TENANT, "handler1")
    req = ask(handler, rec, "copy", copier=site.user_id(TENANT, "handler1"), copier_name="承办人甲")
    approve(site.client("media", TENANT, "reviewer1"), req.name)
    blob = site.settings.home / "objects" / TENANT / "cas" / rec.sha256
    blob.chmod(0o600)
    with blob.open("r+b") as f:
        f.seek(10)
        byte = f.read(1)
        f.seek(10)
        f.write(bytes([byte[0] ^ 0x01]))
    code, reason, info = refused(
        lambda: handler.CreateRecordingCopy(
            pb.CreateRecordingCopyRequest(request_id=rid(), access_request=req.name)
        )
    )
    assert (code, reason, info["article"]) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "STORED_BYTES_ALTERED",
        "seed Art 45",
    )


def test_art44_another_districts_reviewer_finds_no_such_recording(site: Site) -> None:
    """The review department of one bureau reads its own footage only (DESIGN §3)."""
    _, rec = recording(site)
    elsewhere = site.client("media", "hongshan", "reviewer1")
    code, reason, _ = refused(lambda: read(elsewhere, rec.name))
    assert (code, reason) == (grpc.StatusCode.NOT_FOUND, "NOT_FOUND")
    code, _, _ = refused(lambda: ask(elsewhere, rec, "view"))
    assert code == grpc.StatusCode.NOT_FOUND


def test_art44_the_approvers_find_the_requests_still_missing_their_approval(site: Site) -> None:
    case, rec = recording(site)
    handler = site.client("media", TENANT, "handler1")
    reviewer = site.client("media", TENANT, "reviewer1")
    view = ask(handler, rec, "view", reason="核对询问过程")
    party = ask(
        handler,
        rec,
        "copy",
        requester_kind="party",
        party_name=PARTY,
        copier=site.user_id(TENANT, "handler1"),
        copier_name="承办人1",
        reason="当事人申请复制",
    )

    def listed(client: Client, parent: str, *, pending: bool = False, size: int = 0) -> list[str]:
        names, token = [], ""
        while True:
            got = client.ListRecordingAccessRequests(
                pb.ListRecordingAccessRequestsRequest(
                    parent=parent, pending=pending, page_size=size, page_token=token
                )
            )
            names += [r.name for r in got.access_requests]
            token = got.next_page_token
            if not token:
                return names

    tenant = f"tenants/{TENANT}"
    assert listed(reviewer, tenant, pending=True) == [view.name, party.name]
    assert listed(handler, rec.name, size=1) == [view.name, party.name]  # paged, oldest first
    assert listed(handler, case.name) == [view.name, party.name]
    approve(reviewer, view.name)
    approve(reviewer, party.name)  # the head's approval is still missing (Art 46)
    assert listed(reviewer, tenant, pending=True, size=1) == [party.name]
    assert listed(reviewer, tenant) == [view.name, party.name]
    other = site.client("media", "hongshan", "reviewer1")
    code, _, _ = refused(
        lambda: other.ListRecordingAccessRequests(
            pb.ListRecordingAccessRequestsRequest(parent=tenant)
        )
    )
    assert code == grpc.StatusCode.PERMISSION_DENIED
    assert listed(other, "tenants/hongshan") == []
