"""The approval rules of playback and copies (seed Art 44, 46), with no I/O: who must
approve, who may not, what a read is, and the byte range a browser asks for."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from liuhen.platform.errors import FailedPrecondition, InvalidArgument, PermissionDenied
from services.media.access import (
    COPY,
    COPY_READ,
    OFFICER,
    PARTY,
    READ_VIEW,
    VIEW,
    AccessApproval,
    AccessRequest,
    Requester,
    approval_role,
    byte_range,
    check_copied_bytes,
    check_copy,
    check_new_request,
    read_action,
    rules,
)

NOW = datetime(2026, 9, 21, 4, 0, tzinfo=UTC)


def request(
    kind: str = COPY, requester_kind: str = OFFICER, label: str = "normal", **kw: str
) -> AccessRequest:
    return AccessRequest(
        id="q1",
        tenant_id="jiangan",
        case_id="c1",
        recording_id="r1",
        kind=kind,
        requester_kind=requester_kind,
        requester=kw.get("requester", "officer-a" if requester_kind == OFFICER else ""),
        requester_name="甲",
        copier=kw.get("copier", "copier-b"),
        copier_name="乙",
        reason="移送法院",
        filed_by=kw.get("filed_by", "officer-a"),
        filed_by_name="甲",
        created_at=NOW,
        confidentiality=label,
    )


def approved_by(req: AccessRequest, *roles: str) -> AccessRequest:
    for i, role in enumerate(roles):
        req.approvals.append(
            AccessApproval(req.id, req.tenant_id, role, f"u-{role}", role, NOW, f"h{i}", i + 1)
        )
    return req


def test_art44_the_review_department_approves_every_view_and_copy() -> None:
    assert rules().approvers(VIEW, OFFICER, "normal") == ("reviewer",)
    assert rules().approvers(COPY, OFFICER, "normal") == ("reviewer",)
    assert rules().direct_readers == ("reviewer",)


def test_art46_a_partys_copy_adds_the_head_and_labels_add_their_own() -> None:
    assert rules().approvers(COPY, PARTY, "normal") == ("reviewer", "head")
    assert rules().approvers(COPY, OFFICER, "privacy") == ("reviewer", "head")
    assert rules().approvers(COPY, PARTY, "trade_secret") == ("reviewer", "head")
    assert rules().approvers(COPY, OFFICER, "secret") == ("reviewer", "head", "bureau_head")
    assert rules().approvers(VIEW, OFFICER, "secret") == ("reviewer", "head")


def test_art46_every_confidentiality_label_of_an_upload_has_a_rule_with_its_source() -> None:
    from services.media.model import CONFIDENTIALITY

    assert set(rules().labels) == set(CONFIDENTIALITY)
    assert all("seed Art" in str(rule["source"]) for rule in rules().labels.values())


def test_art44_nobody_approves_their_own_or_a_request_they_filed() -> None:
    req = request()
    with pytest.raises(PermissionDenied) as own:
        approval_role(req, user_id="officer-a", roles={"reviewer"})
    assert own.value.reason == "OWN_REQUEST"
    party = request(requester_kind=PARTY, filed_by="reviewer-x")
    with pytest.raises(PermissionDenied):
        approval_role(party, user_id="reviewer-x", roles={"reviewer"})
    assert approval_role(party, user_id="reviewer-y", roles={"reviewer"}) == "reviewer"


def test_art44_the_wrong_role_is_refused_with_the_rule_that_needs_the_right_one() -> None:
    with pytest.raises(PermissionDenied) as wrong:
        approval_role(request(), user_id="h", roles={"head", "handler"})
    assert (wrong.value.reason, wrong.value.article) == ("WRONG_APPROVER", "seed Art 44")
    party = approved_by(request(requester_kind=PARTY), "reviewer")
    with pytest.raises(PermissionDenied) as head_missing:
        approval_role(party, user_id="r2", roles={"reviewer"})
    assert head_missing.value.article == "seed Art 46"
    assert approval_role(party, user_id="h", roles={"head"}) == "head"


def test_art44_an_approved_request_takes_no_more_approvals() -> None:
    req = approved_by(request(), "reviewer")
    assert req.approved
    with pytest.raises(FailedPrecondition):
        approval_role(req, user_id="r2", roles={"reviewer"})


def test_art44_a_read_without_a_request_is_a_reviewers_only() -> None:
    assert read_action(None, recording_id="r1", user_id="x", roles={"reviewer"}, copied=False) == (
        READ_VIEW
    )
    with pytest.raises(PermissionDenied) as denied:
        read_action(None, recording_id="r1", user_id="x", roles={"handler", "head"}, copied=False)
    assert (denied.value.reason, denied.value.article) == ("ACCESS_NOT_APPROVED", "seed Art 44")


def test_art44_a_read_through_a_request_checks_its_recording_reader_approval_and_copy() -> None:
    view = request(kind=VIEW)
    with pytest.raises(FailedPrecondition):
        read_action(view, recording_id="r1", user_id="officer-a", roles=(), copied=False)
    approved_by(view, "reviewer")
    assert read_action(view, recording_id="r1", user_id="officer-a", roles=(), copied=False) == (
        READ_VIEW
    )
    with pytest.raises(InvalidArgument):
        read_action(view, recording_id="r2", user_id="officer-a", roles=(), copied=False)
    with pytest.raises(PermissionDenied):
        read_action(view, recording_id="r1", user_id="copier-b", roles=(), copied=False)
    copy = approved_by(request(kind=COPY), "reviewer")
    with pytest.raises(PermissionDenied):  # a copy's bytes are the copier's to read
        read_action(copy, recording_id="r1", user_id="officer-a", roles=(), copied=True)
    with pytest.raises(FailedPrecondition) as not_made:
        read_action(copy, recording_id="r1", user_id="copier-b", roles=(), copied=False)
    assert not_made.value.reason == "COPY_NOT_MADE"
    assert read_action(copy, recording_id="r1", user_id="copier-b", roles=(), copied=True) == (
        COPY_READ
    )


def test_art44_a_copy_is_made_by_its_copier_of_an_approved_copy_request() -> None:
    with pytest.raises(FailedPrecondition):
        check_copy(approved_by(request(kind=VIEW), "reviewer"), "officer-a")
    with pytest.raises(FailedPrecondition):
        check_copy(request(), "copier-b")
    with pytest.raises(PermissionDenied):
        check_copy(approved_by(request(), "reviewer"), "officer-a")
    check_copy(approved_by(request(), "reviewer"), "copier-b")


def test_art45_a_copy_of_bytes_that_no_longer_match_is_refused() -> None:
    check_copied_bytes("ab" * 32, "ab" * 32)
    with pytest.raises(FailedPrecondition) as altered:
        check_copied_bytes("ab" * 32, "cd" * 32)
    assert altered.value.article == "seed Art 45"


def test_art44_46_a_request_names_its_reason_copier_and_a_true_party() -> None:
    officer = Requester(OFFICER, "u", "甲")
    ok = {"copier": "c", "copier_name": "乙", "reason": "why", "party": "某公司"}
    check_new_request(kind=COPY, requester=officer, **ok)
    for bad, field in (({"reason": ""}, "reason"), ({"copier": ""}, "copier")):
        with pytest.raises(InvalidArgument) as missing:
            check_new_request(kind=COPY, requester=officer, **{**ok, **bad})
        assert missing.value.field == field
    with pytest.raises(InvalidArgument):
        check_new_request(kind="print", requester=officer, **ok)
    check_new_request(kind=COPY, requester=Requester(PARTY, "", "某公司"), **ok)
    with pytest.raises(PermissionDenied):
        check_new_request(kind=COPY, requester=Requester(PARTY, "", "他公司"), **ok)
    with pytest.raises(InvalidArgument):
        check_new_request(kind=VIEW, requester=Requester(PARTY, "", "某公司"), **ok)


@pytest.mark.parametrize(
    ("offset", "length", "size", "expected"),
    [(0, 0, 100, (0, 100)), (10, 20, 100, (10, 20)), (90, 50, 100, (90, 10)), (0, 0, 0, (0, 0))],
)
def test_art44_a_byte_range_is_cut_at_the_end(
    offset: int, length: int, size: int, expected: tuple[int, int]
) -> None:
    assert byte_range(offset, length, size) == expected


@pytest.mark.parametrize(("offset", "length"), [(100, 0), (101, 1), (-1, 5), (0, -1)])
def test_art44_a_range_outside_the_recording_is_refused(offset: int, length: int) -> None:
    with pytest.raises(InvalidArgument):
        byte_range(offset, length, 100)
