"""Playback, access requests (调阅) and copies (复制) of recordings: the rules, no I/O
(seed Art 44, 46). Who approves what is catalogue data (recording_access.yaml).

Art 44: every look at and every copy of footage goes through the review department
(案件审理部门), which registers 调阅人、复制人、审批人、时间、事由. Art 46: a party's copy
needs the head of the bureau, and secret, trade-secret and private footage is handled
under the secrecy rules (the extra approvals its label requires).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

import yaml

from liuhen.platform.auth import ROLES
from liuhen.platform.catalogue import HERE
from liuhen.platform.errors import (
    FailedPrecondition,
    InvalidArgument,
    PermissionDenied,
    require,
)

VIEW, COPY = "view", "copy"  # 调阅, 复制
OFFICER, PARTY = "officer", "party"
# What the register records: a look, a copy made, the bytes of a copy read.
READ_VIEW, COPY_MADE, COPY_READ = "view", "copy", "copy_read"
ROLE_ZH = {"reviewer": "案件审理部门", "head": "本机构负责人", "bureau_head": "人社行政部门负责人"}


@dataclass(frozen=True)
class AccessRules:
    """recording_access.yaml, read once."""

    direct_readers: tuple[str, ...]
    kinds: Mapping[str, Mapping[str, Any]]
    party_copy: tuple[str, ...]
    labels: Mapping[str, Mapping[str, Any]]

    def approvers(self, kind: str, requester_kind: str, label: str) -> tuple[str, ...]:
        """Every role that must approve, in the order they are named: the review
        department (Art 44), the head for a party's copy (Art 46), the label's extras."""
        roles = [*self.kinds[kind]["approvers"]]
        if requester_kind == PARTY and kind == COPY:
            roles += self.party_copy
        roles += self.labels.get(label, {}).get(kind, [])
        return tuple(dict.fromkeys(roles))

    def source(self, role: str, kind: str, requester_kind: str, label: str) -> str:
        """The rule that asks for `role`'s approval, to name in a refusal."""
        if role in self.kinds[kind]["approvers"]:
            return str(self.kinds[kind]["source"])
        if requester_kind == PARTY and kind == COPY and role in self.party_copy:
            return "seed Art 46"
        return str(self.labels.get(label, {}).get("source", "seed Art 46"))


@cache
def rules() -> AccessRules:
    data = yaml.safe_load((HERE / "recording_access.yaml").read_text(encoding="utf-8"))
    loaded = AccessRules(
        direct_readers=tuple(data["direct_readers"]),
        kinds=data["kinds"],
        party_copy=tuple(data["party_copy"]["approvers"]),
        labels=data["labels"],
    )
    named = [
        *loaded.direct_readers,
        *loaded.party_copy,
        *(r for k in loaded.kinds.values() for r in k["approvers"]),
        *(r for label in loaded.labels.values() for k in (VIEW, COPY) for r in label[k]),
    ]
    unknown = sorted(set(named) - set(ROLES))
    if unknown or set(loaded.kinds) != {VIEW, COPY}:
        raise ValueError(f"recording_access.yaml: unknown roles {unknown} or kinds")
    return loaded


@dataclass(frozen=True)
class FileAccessRequest:
    """Command: ask to view (调阅) or copy (复制) one recording (seed Art 44, 46)."""

    case_id: str
    recording_id: str
    kind: str
    requester_kind: str
    party_name: str
    copier: str
    copier_name: str
    reason: str


@dataclass(frozen=True)
class ReadRange:
    """Command: stream a byte range of a recording (a browser seeking, seed Art 44)."""

    case_id: str
    recording_id: str
    offset: int
    length: int
    reason: str
    request: tuple[str, ...] | None  # (case, recording, request) ids, or None


@dataclass(frozen=True)
class Requester:
    """Who asks: an officer (the caller), or a party of the case filed by an officer."""

    kind: str
    user_id: str
    name: str


@dataclass
class AccessApproval:
    request_id: str
    tenant_id: str
    role: str
    approver: str
    approver_name: str
    approved_at: datetime
    ledger_hash: str
    ledger_seq: int


@dataclass
class AccessRequest:
    """调阅 or 复制 of one recording, and its approvals (seed Art 44, 46)."""

    id: str
    tenant_id: str
    case_id: str
    recording_id: str
    kind: str
    requester_kind: str
    requester: str
    requester_name: str
    copier: str
    copier_name: str
    reason: str
    filed_by: str
    filed_by_name: str
    created_at: datetime
    confidentiality: str
    approvals: list[AccessApproval] = field(default_factory=list)

    @property
    def required_roles(self) -> tuple[str, ...]:
        return rules().approvers(self.kind, self.requester_kind, self.confidentiality)

    @property
    def approved(self) -> bool:
        given = {a.role for a in self.approvals}
        return all(role in given for role in self.required_roles)

    def approved_at(self, moment: datetime) -> bool:
        """Had every role it needs approved it by `moment`? (the Art 47 report asks it of
        every line of the register)."""
        given = {a.role for a in self.approvals if a.approved_at <= moment}
        return all(role in given for role in self.required_roles)

    @property
    def last_approval(self) -> AccessApproval | None:
        return max(self.approvals, key=lambda a: a.ledger_seq, default=None)

    @property
    def approvers_text(self) -> str:
        return "; ".join(
            f"{a.approver_name}（{ROLE_ZH.get(a.role, a.role)}）" for a in self.approvals
        )


@dataclass
class AccessEntry:
    """One line of the access register (登记, seed Art 44): never changed or removed."""

    id: str
    tenant_id: str
    case_id: str
    recording_id: str
    action: str
    actor: str
    actor_name: str
    requester_name: str
    copier_name: str
    approvers: str
    reason: str
    at: datetime
    access_request: str
    offset: int
    length: int
    sha256: str
    ledger_hash: str


@dataclass
class RecordingCopy:
    """A copy made under an approved copy request, with its manifest (seed Art 44, 46)."""

    id: str
    tenant_id: str
    request_id: str
    case_id: str
    recording_id: str
    copier: str
    copier_name: str
    file_name: str
    size: int
    sha256: str
    approval_ledger_hash: str
    approval_ledger_seq: int
    created_at: datetime
    ledger_hash: str


def check_new_request(
    *, kind: str, requester: Requester, copier: str, copier_name: str, reason: str, party: str
) -> None:
    """A request names its kind, its requester, the copier of a copy and why (Art 44)."""
    if kind not in rules().kinds:
        raise InvalidArgument(
            "UNKNOWN_ACCESS_KIND",
            "kind must be view (调阅) or copy (复制)",
            "申请类别应为调阅或复制",
            article="seed Art 44",
            field="kind",
        )
    if requester.kind not in (OFFICER, PARTY):
        raise InvalidArgument(
            "UNKNOWN_REQUESTER",
            "requester_kind must be officer or party",
            "申请人类别应为执法人员或当事人",
            article="seed Art 44",
            field="requester_kind",
        )
    require(reason, "reason", "why the recording is needed (事由)", article="seed Art 44")
    if kind == COPY:
        require(copier, "copier", "who makes the copy (复制人)", article="seed Art 44")
        require(copier_name, "copier_name", "the copier's name", article="seed Art 44")
    if requester.kind == PARTY:
        _check_party(kind, requester.name, party)


def _check_party(kind: str, name: str, party: str) -> None:
    if not rules().kinds[kind].get("parties", True):
        raise InvalidArgument(
            "PARTY_MAY_ONLY_COPY",
            "a party applies for a copy (Art 46), not a viewing",
            "当事人可申请复制，不适用调阅",
            article="seed Art 46",
            field="kind",
        )
    require(name, "party_name", "the party who applies", article="seed Art 46")
    if name != party:
        raise PermissionDenied(
            "NOT_A_PARTY",
            f"{name!r} is not the party of this case ({party!r})",
            "申请人不是本案当事人",
            article="seed Art 46",
            field="party_name",
        )


def approval_role(req: AccessRequest, *, user_id: str, roles: Iterable[str]) -> str:
    """The role in which `user_id` approves `req`: one it still needs and the caller
    holds. Nobody approves their own request or one they filed (roles.yaml)."""
    if req.approved:
        raise FailedPrecondition(
            "ALREADY_APPROVED",
            "the request has every approval it needs",
            "该申请已审批完毕",
            article="seed Art 44",
        )
    if user_id in (req.requester, req.filed_by):
        raise PermissionDenied(
            "OWN_REQUEST",
            "nobody approves a request they made or filed",
            "申请人、登记人不得审批本人申请",
            article="seed Art 44; roles.yaml",
        )
    given = {a.role for a in req.approvals}
    missing = [r for r in req.required_roles if r not in given]
    held = set(roles)
    for role in missing:
        if role in held:
            return role
    names = "、".join(ROLE_ZH.get(r, r) for r in missing)
    raise PermissionDenied(
        "WRONG_APPROVER",
        f"this request still needs the approval of {' and '.join(missing)}",
        f"该申请尚需{names}审批",
        article=rules().source(missing[0], req.kind, req.requester_kind, req.confidentiality),
    )


def read_action(
    req: AccessRequest | None,
    *,
    recording_id: str,
    user_id: str,
    roles: Iterable[str],
    copied: bool,
) -> str:
    """What a read is, for the register, or a refusal: a reviewer reads directly; anyone
    else reads through an approved request of their own (Art 44)."""
    if req is None:
        if set(roles) & set(rules().direct_readers):
            return READ_VIEW
        raise PermissionDenied(
            "ACCESS_NOT_APPROVED",
            "reading a recording needs an access request approved by the review department",
            "调阅音、视频资料须经案件审理部门审批",
            article="seed Art 44",
            field="access_request",
        )
    if req.recording_id != recording_id:
        raise InvalidArgument(
            "REQUEST_OF_OTHER_RECORDING",
            "the access request is for another recording",
            "该申请不是针对本音、视频资料的",
            article="seed Art 44",
            field="access_request",
        )
    reader = req.copier if req.kind == COPY else req.requester
    if user_id != reader:
        raise PermissionDenied(
            "NOT_YOUR_REQUEST",
            "only the requester (or, for a copy, the copier) reads through a request",
            "仅申请人（复制时为复制人）可凭该申请读取",
            article="seed Art 44",
            field="access_request",
        )
    _check_approved(req)
    if req.kind == COPY and not copied:
        raise FailedPrecondition(
            "COPY_NOT_MADE",
            "make the copy first (CreateRecordingCopy): it is logged with its manifest",
            "须先登记复制（生成复制清单）",
            article="seed Art 44",
        )
    return COPY_READ if req.kind == COPY else READ_VIEW


def _check_approved(req: AccessRequest) -> None:
    if not req.approved:
        given = {a.role for a in req.approvals}
        missing = [r for r in req.required_roles if r not in given]
        raise FailedPrecondition(
            "NOT_APPROVED",
            f"the request still waits for {' and '.join(missing)}",
            f"该申请尚待{'、'.join(ROLE_ZH.get(r, r) for r in missing)}审批",
            article=rules().source(missing[0], req.kind, req.requester_kind, req.confidentiality),
        )


def check_copy(req: AccessRequest, user_id: str) -> None:
    """A copy is made of an approved copy request, by the copier it names (Art 44)."""
    if req.kind != COPY:
        raise FailedPrecondition(
            "NOT_A_COPY_REQUEST",
            "a viewing request (调阅) does not allow a copy",
            "调阅申请不得用于复制",
            article="seed Art 44",
            field="access_request",
        )
    if user_id != req.copier:
        raise PermissionDenied(
            "NOT_THE_COPIER",
            "only the copier the request names makes the copy",
            "仅申请中载明的复制人可复制",
            article="seed Art 44",
        )
    _check_approved(req)


def check_copied_bytes(recorded: str, rehashed: str | None) -> None:
    """A copy carries the bytes that were recorded: a stored copy that no longer hashes
    to them is a fixity finding, never handed out (seed Art 45)."""
    if rehashed != recorded:
        raise FailedPrecondition(
            "STORED_BYTES_ALTERED",
            "the stored recording no longer hashes to its recorded SHA-256: no copy is made",
            "存储的音、视频资料与登记的哈希值不符，不予复制",
            article="seed Art 45",
        )


def byte_range(offset: int, length: int, size: int) -> tuple[int, int]:
    """The bytes to send: from `offset`, `length` of them (0: to the end), cut at the
    end of the recording. An offset past the end is refused (HTTP's 416)."""
    if offset < 0 or length < 0:
        raise InvalidArgument(
            "BAD_RANGE",
            "offset and length must not be negative",
            "读取范围不得为负",
            field="offset" if offset < 0 else "length",
        )
    if offset > size or (offset == size and size > 0):
        raise InvalidArgument(
            "RANGE_NOT_SATISFIABLE",
            f"offset {offset} is past the end of the recording ({size} bytes)",
            f"起始位置超出音、视频资料长度（{size} 字节）",
            field="offset",
        )
    rest = size - offset
    return offset, rest if length == 0 else min(length, rest)


def copy_file_name(case_number: str, recording_id: str, content_type: str) -> str:
    """The copy's file name: the case number (Art 41 label) and the recording's id."""
    ext = {"video/mp4": ".mp4", "audio/mpeg": ".mp3", "audio/mp4": ".m4a"}.get(content_type, "")
    safe = "".join(c if c.isalnum() or c in "-_〔〕" else "_" for c in case_number)
    return f"{safe or 'recording'}-{recording_id}{ext}"


def request_name(req: AccessRequest) -> str:
    return f"cases/{req.case_id}/recordings/{req.recording_id}/access_requests/{req.id}"
