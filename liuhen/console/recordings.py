"""A recording's page (Art 44, 46): its labels, the access (调阅) and copy (复制)
requests filed for it with their approvals, the form to file one (for oneself, or a
party's written application for a copy), the approvers' buttons, playback for an
approved viewing, the copy of an approved copy request with its manifest, and the
access register. Who must approve what is the catalogue's (recording_access.yaml); the
media service decides every step, and its refusal is what the page shows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from liuhen.console.backend import Refusal
from liuhen.console.login import TEST_USERS
from liuhen.console.session import ROLE_ZH, Officer
from liuhen.console.views import call, render, signed_in
from liuhen.media.v1 import media_pb2 as mpb
from liuhen.platform import catalogue

REGISTER_READERS = ("reviewer", "head", "bureau_head")  # who keeps and reads the register
REGISTER_SHOWN = 100
KIND_ZH = {"view": "调阅", "copy": "复制"}
ACTION_ZH = {"view": "调阅", "copy": "复制", "copy_read": "读取复制件"}


@cache
def access_catalogue() -> dict[str, Any]:
    """recording_access.yaml as it is (the media service reads the same data)."""
    data: dict[str, Any] = catalogue._load("recording_access.yaml")
    return data


def approver_roles() -> frozenset[str]:
    """Every role the catalogue ever asks to approve a look or a copy."""
    data = access_catalogue()
    roles = {r for k in data["kinds"].values() for r in k.get("approvers", ())}
    roles.update(data.get("party_copy", {}).get("approvers", ()))
    for label in data.get("labels", {}).values():
        roles.update(label.get("view", ()))
        roles.update(label.get("copy", ()))
    return frozenset(roles)


def label_zh(label: str) -> str:
    found = access_catalogue().get("labels", {}).get(label or "normal", {})
    return str(found.get("zh", label))


def why_role(req: Any, role: str, label: str) -> str:
    """The source the catalogue gives for `role` having to approve `req`."""
    data = access_catalogue()
    kind = data["kinds"].get(req.kind, {})
    if role in kind.get("approvers", ()):
        return str(kind.get("source", ""))
    party = data.get("party_copy", {})
    if req.kind == "copy" and req.requester_kind == "party" and role in party.get("approvers", ()):
        return str(party.get("source", ""))
    found = data.get("labels", {}).get(label or "normal", {})
    if role in found.get(req.kind, ()):
        return str(found.get("source", ""))
    return ""


@dataclass(frozen=True)
class Row:
    """One request as the page shows it to this officer."""

    req: Any
    missing: tuple[str, ...]  # the roles still to approve
    why: tuple[tuple[str, str], ...]  # (role, source) for each missing role
    may_approve: bool
    may_play: bool
    may_copy: bool

    @property
    def id(self) -> str:
        return str(self.req.name.rsplit("/", 1)[1])


def row(o: Officer, req: Any, label: str) -> Row:
    given = {a.role for a in req.approvals}
    missing = tuple(r for r in req.required_roles if r not in given)
    own = o.user_id in (req.requester, req.filed_by)
    return Row(
        req,
        missing,
        tuple((r, why_role(req, r, label)) for r in missing),
        # The buttons a role may use; the service decides (OWN_REQUEST, WRONG_APPROVER).
        may_approve=bool(missing) and not own and o.has(*missing),
        may_play=req.approved and req.kind == "view" and req.requester == o.user_id,
        may_copy=req.approved and req.kind == "copy" and req.copier == o.user_id,
    )


def play_url(req: Any) -> str:
    """The existing player with the approved request and its reason filled in."""
    recording = req.name.split("/access_requests/")[0]
    return f"/{recording}/view?" + urlencode({"reason": req.reason, "access_request": req.name})


def _name(request: Request) -> str:
    return f"cases/{request.path_params['id']}/recordings/{request.path_params['rec']}"


async def all_requests(request: Request, o: Officer, parent: str, pending: bool) -> list[Any]:
    out: list[Any] = []
    token = ""
    while True:
        got = await call(
            request,
            o,
            "media",
            "ListRecordingAccessRequests",
            mpb.ListRecordingAccessRequestsRequest(
                parent=parent, pending=pending, page_size=100, page_token=token
            ),
        )
        out.extend(got.access_requests)
        token = got.next_page_token
        if not token:
            return out


def copiers(request: Request, o: Officer) -> list[tuple[str, str]]:
    """Who may be named the copier (复制人): oneself first; on the embedded default also
    the test officers (whose user ids the embedded issuer derives)."""
    out = [(o.user_id, o.name)]
    if request.app.state.settings.platform.profile != "embedded":
        return out
    from liuhen.cli.tokens import NAMES, role_of

    for username in TEST_USERS:
        role = role_of(username)
        user_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{o.tenant}/{username}"))
        if role in ("handler", "reviewer") and user_id != o.user_id:
            out.append((user_id, f"{NAMES[role]}{username.removeprefix(role)}"))
    return out


async def _page(
    request: Request,
    o: Officer,
    *,
    form: dict[str, str] | None = None,
    error: Refusal | None = None,
    copy: Any = None,
) -> Response:
    name = _name(request)
    case = f"cases/{request.path_params['id']}"
    rec = (
        await call(request, o, "media", "GetRecording", mpb.GetRecordingRequest(name=name))
    ).recording
    reqs = await all_requests(request, o, name, pending=False)
    register: list[Any] = []
    if o.has(*REGISTER_READERS):
        got = await call(
            request,
            o,
            "media",
            "ListRecordingAccessEntries",
            mpb.ListRecordingAccessEntriesRequest(parent=case, page_size=REGISTER_SHOWN),
        )
        register = [e for e in got.entries if e.recording == name]
    return render(
        request,
        "recording.html",
        status=400 if error else 200,
        case=case,
        rec=rec,
        label=label_zh(rec.confidentiality),
        rows=[row(o, r, rec.confidentiality) for r in reqs],
        register=register,
        reads_register=o.has(*REGISTER_READERS),
        copiers=copiers(request, o),
        form=form or {},
        error=error,
        copy=copy,
        kind_zh=KIND_ZH,
        action_zh=ACTION_ZH,
        role_zh=ROLE_ZH,
        play_url=play_url,
    )


@signed_in
async def show(request: Request, o: Officer) -> Response:
    return await _page(request, o)


@signed_in
async def file_request(request: Request, o: Officer) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    kind = form.get("kind", "")
    party = form.get("requester_kind") == "party"
    copier, _, copier_name = form.get("copier", "").partition("|")
    msg = mpb.CreateRecordingAccessRequestRequest(
        request_id=form.get("request_id", ""),
        recording=_name(request),
        kind=kind,
        requester_kind="party" if party else "officer",
        party_name=form.get("party_name", "") if party else "",
        copier=copier if kind == "copy" else "",
        copier_name=copier_name if kind == "copy" else "",
        reason=form.get("reason", ""),
    )
    try:
        await call(request, o, "media", "CreateRecordingAccessRequest", msg)
    except Refusal as refusal:
        return await _page(request, o, form=form, error=refusal)
    return RedirectResponse(f"/{_name(request)}#requests", status_code=303)


def _request_name(request: Request) -> str:
    return f"{_name(request)}/access_requests/{request.path_params['req']}"


def _back(form: Any, fallback: str) -> str:
    """Where the button was pressed (the work list or the recording), never elsewhere."""
    back = str(form.get("back", ""))
    return back if back.startswith("/") and not back.startswith("//") else fallback


@signed_in
async def approve(request: Request, o: Officer) -> Response:
    form = await request.form()
    await call(
        request,
        o,
        "media",
        "ApproveRecordingAccessRequest",
        mpb.ApproveRecordingAccessRequestRequest(
            request_id=str(form.get("request_id", "")), name=_request_name(request)
        ),
    )
    return RedirectResponse(_back(form, f"/{_name(request)}#requests"), status_code=303)


@signed_in
async def make_copy(request: Request, o: Officer) -> Response:
    """The copier makes the copy; the page shows its manifest (the SHA-256 the service
    re-hashed from the stored bytes, and the ledger entry that approved it)."""
    form = await request.form()
    got = await call(
        request,
        o,
        "media",
        "CreateRecordingCopy",
        mpb.CreateRecordingCopyRequest(
            request_id=str(form.get("request_id", "")), access_request=_request_name(request)
        ),
    )
    return await _page(request, o, copy=got.copy)


ROUTES = [
    Route("/cases/{id}/recordings/{rec}", show),
    Route("/cases/{id}/recordings/{rec}/access_requests", file_request, methods=["POST"]),
    Route("/cases/{id}/recordings/{rec}/access_requests/{req}/approve", approve, methods=["POST"]),
    Route("/cases/{id}/recordings/{rec}/access_requests/{req}/copy", make_copy, methods=["POST"]),
]
