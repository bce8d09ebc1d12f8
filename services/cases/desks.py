"""What leaves the tenant and what comes back: assistance requests to other organisations
(Art 21), the criminal referral to the same-level public security with its copy to the
procuratorate, the reconsideration request and the filing-supervision suggestion (Art 30),
all through the outbox in the same transaction as the case change; and the documents
routing brings back (RecordInboundDocument: the 协查回函, the referral receipt, the police
filing and reconsideration decisions)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from liuhen.platform import fields, ledger, outbox
from liuhen.platform.auth import Principal
from liuhen.platform.calendar import WorkingCalendar
from liuhen.platform.catalogue import document_type, site
from liuhen.platform.db import UnitOfWork
from liuhen.platform.errors import FailedPrecondition, PermissionDenied
from services.cases import lifecycle, orm, procedure, timeline
from services.cases.documents import advance, new_document
from services.cases.handlers import load_case, load_document, record
from services.cases.model import Case, Document, check_drafter


@dataclass(frozen=True)
class Sent:
    message_id: str
    topic: str
    type: str = ""
    recipient: str = ""


def _name(doc: Document) -> str:
    return f"cases/{doc.case_id}/documents/{doc.id}"


def send_assistance_request(
    uow: UnitOfWork,
    principal: Principal,
    *,
    case_id: str,
    doc_id: str,
    recipient: str,
    across_province: bool = False,
) -> Sent:
    """Send an approved 委托协查函 with the file's particulars to another organisation of
    the city (Art 21(2)) or, from the city's review department, to the province desk for
    another province (Art 21(1)); the message leaves through the outbox in this
    transaction."""
    case, doc = load_document(uow, case_id, doc_id, changing=True)
    _check_assistance_sender(uow.tenant, principal, case, recipient)
    if doc.type != "assistance_request" or doc.state != "effective":
        raise FailedPrecondition(
            "ASSISTANCE_REQUEST_NOT_APPROVED",
            "only an assistance request the head has approved can be sent",
            "委托协查函须经负责人同意",
            article="seed Art 21(2)",
        )
    if recipient != outbox.PROVINCE:
        site(recipient)
    payload: dict[str, Any] = {
        "request": json.loads(doc.content_json),
        "case_number": case.case_number,
        "party": case.party,
        "document": _name(doc),
    }
    hashes: tuple[str, ...] = (doc.content_sha256,)
    if across_province:
        copies = _case_file_copies(uow, case, recipient)
        payload |= {"across_province": True, "case_file": copies}
        hashes += tuple(c["sha256"] for c in copies)
    envelope = outbox.enqueue(
        uow,
        type="assistance_request",
        recipient=recipient,
        case_ref=f"cases/{case.id}",
        case_number=case.case_number,
        payload_json=json.dumps(payload, ensure_ascii=False),
        document_hashes=hashes,
    )
    record(
        uow,
        case.id,
        principal,
        "reviewer" if recipient == outbox.PROVINCE else "handler",
        "assistance_request.sent",
        {"message_id": envelope.message_id, "recipient": recipient, "document": doc.id},
        (doc.content_sha256,),
    )
    return Sent(envelope.message_id, outbox.topic_for_site(recipient))


def _case_file_copies(uow: UnitOfWork, case: Case, recipient: str) -> list[dict[str, Any]]:
    """A district's cross-province request goes to the city's review department with
    copies of the case file (连同案卷资料复印件报市监察机构案件审理部门, Art 21(2))."""
    if site(recipient).level != "city" or site(uow.tenant).level != "district":
        raise FailedPrecondition(
            "ASSISTANCE_THROUGH_THE_CITY",
            "a district's cross-province request goes to the city (its review department)",
            "区监察机构跨省协查，应报市监察机构案件审理部门",
            article="seed Art 21(2)",
            field="recipient",
        )
    return [
        {"type": d.type, "title": document_type(d.type).zh, "sha256": d.content_sha256,
         "content": json.loads(d.content_json)}
        for d in orm.case_documents(uow, case.id)
        if d.state == "effective"
    ]  # fmt: skip


def _check_assistance_sender(tenant: str, principal: Principal, case: Case, recipient: str) -> None:
    """Within the city the handler sends (Art 21(2) para 2); another province is reached
    only through the province desk, by the city's review department (Art 21(1)); a
    district's request goes to the city's review department first (Art 21(2))."""
    if recipient != outbox.PROVINCE:
        principal.require_role("handler", action="sending an assistance request")
        case.require_handler(principal.user_id, "sending an assistance request")
        return
    if site(tenant).level != "city":
        raise FailedPrecondition(
            "ASSISTANCE_THROUGH_THE_CITY",
            "a district's request to another province goes, with copies of the case file, to "
            "the city's review department, which sends it to the province (send it to the city)",
            "区劳动保障监察机构跨省协查，应报市监察机构案件审理部门，由市监察机构向省局办理",
            article="seed Art 21(2)",
            field="recipient",
        )
    principal.require_role("reviewer", action="sending an assistance request to the province")
    check_drafter(case, "reviewer", principal.user_id, document_type("assistance_request"))


def _sendable(case: Case, doc: Document, only: str) -> lifecycle.Step:
    s = lifecycle.step(doc.type)
    if not s.sent_through or (only and doc.type != only):
        raise FailedPrecondition(
            "NOT_A_DESK_DOCUMENT",
            f"{doc.type} is not sent to an outside desk"
            + (f"; send the effective {only}" if only else ""),
            "该文书不向外单位移送",
            article="seed Art 30",
            field="document",
        )
    if doc.state != "effective":
        raise FailedPrecondition(
            "DOCUMENT_NOT_EFFECTIVE",
            f"{doc.type} is {doc.state}; it is sent once effective (approved)",
            "文书须经批准生效后方可移送",
            article="seed Art 30",
        )
    if case.state not in s.from_states:
        raise lifecycle.out_of_order(doc.type, case.state, s.from_states)
    return s


def _package(case: Case, doc: Document, attached: list[Document]) -> str:
    """The message body: the case, the document and the package it travels with (for a
    referral: report, materials list, approval and letter, each by name and hash)."""
    package = [
        {"type": d.type, "title_zh": document_type(d.type).zh, "name": _name(d),
         "sha256": d.content_sha256} for d in attached
    ]  # fmt: skip
    body = {
        "case_number": case.case_number,
        "party": case.party,
        "document": _name(doc),
        "content": json.loads(doc.content_json),
        "package": package,
    }
    return json.dumps(body, ensure_ascii=False)


def _enqueue(
    uow: UnitOfWork, case: Case, route: Mapping[str, Any], payload: str, attached: list[Document]
) -> list[Sent]:
    """The message and, where the catalogue says so, its copy, to the tenant's desks."""
    sends = [(route["message"], route["to"])]
    if route.get("copy"):
        sends.append((route["copy"], route["copy_to"]))
    sent = []
    for message_type, desk in sends:
        recipient = f"{uow.tenant}.{desk}"
        envelope = outbox.enqueue(
            uow,
            type=message_type,
            recipient=recipient,
            case_ref=f"cases/{case.id}",
            case_number=case.case_number,
            payload_json=payload,
            document_hashes=tuple(d.content_sha256 for d in attached),
        )
        topic = outbox.topic_for_site(recipient)
        sent.append(Sent(envelope.message_id, topic, message_type, recipient))
    return sent


def send_desk_document(
    uow: UnitOfWork,
    principal: Principal,
    calendar: WorkingCalendar,
    *,
    case_id: str,
    doc_id: str,
    only: str = "",
) -> list[Sent]:
    """Send an effective desk document as documents.yaml `sent_through` says: the
    criminal referral letter to `<tenant>.psb` and, in the same transaction, the copy of
    the package to `<tenant>.procuratorate` (Art 30); the reconsideration request to the
    psb; the supervision suggestion to the procuratorate; the enforcement application with
    the 强制执行案卷 to `<tenant>.court` within its 3 months (Art 40). The case then moves
    on."""
    case, doc = load_document(uow, case_id, doc_id, changing=True)
    role = _sender_role(principal, case, doc)
    s = _sendable(case, doc, only)
    procedure.check_within(doc.type, s, timeline.facts(uow, calendar, case))
    with_docs = (orm.latest_effective(uow, case.id, t) for t in s.sent_through.get("with", ()))
    attached = [doc, *(d for d in with_docs if d is not None)]
    sent = _enqueue(uow, case, s.sent_through, _package(case, doc, attached), attached)
    record(
        uow,
        case.id,
        principal,
        role,
        f"{doc.type}.sent",
        {"document": doc.id, "messages": [[m.type, m.recipient, m.message_id] for m in sent]},
        tuple(d.content_sha256 for d in attached),
    )
    advance(uow, principal, calendar, case, doc)
    return sent


def _sender_role(principal: Principal, case: Case, doc: Document) -> str:
    """Whoever drafts the document sends it: the handler its referral (Art 30), the review
    department the enforcement application to the court (Art 40)."""
    role = doc.drafted_role
    principal.require_role(role, action=f"sending {doc.type} to an outside desk")
    if role == "handler":
        case.require_handler(principal.user_id, f"sending {doc.type}")
    else:
        check_drafter(case, role, principal.user_id, document_type(doc.type))
    return role


def _check_sender(type_code: str, from_site: str, tenant: str) -> None:
    desks = [k for k in document_type(type_code).drafted_by if k in outbox.DESK_KINDS]
    if desks and from_site not in {f"{tenant}.{k}" for k in desks}:
        raise PermissionDenied(
            "WRONG_SENDER",
            f"{type_code} comes from the same-level {' or '.join(desks)}, not {from_site}",
            "发送单位不符",
            article="seed Art 30",
            field="from_site",
        )


def _check_inbound(principal: Principal, type_code: str, from_site: str, tenant: str) -> None:
    """Only routing records what comes from outside, only of an inbound type, and only
    from the sender the catalogue names."""
    principal.require_service(
        "routing",
        action="records documents received from another organisation",
        action_zh="记录外单位送达的文书",
    )
    if not lifecycle.step(type_code).inbound:
        raise FailedPrecondition(
            "UNEXPECTED_INBOUND",
            f"{type_code} is not received from outside",
            "该文书不由外单位送达",
            article="sites.yaml routes",
        )
    _check_sender(type_code, from_site, tenant)


def record_inbound_document(
    uow: UnitOfWork,
    principal: Principal,
    calendar: WorkingCalendar,
    *,
    case_id: str,
    type_code: str,
    content_json: str,
    from_site: str,
    correlation_id: str,
) -> Document:
    """A document from outside, arriving through routing: a peer's 协查回函 (Art 21(3)), the
    psb's referral receipt, filing decision and reconsideration decision (Art 30), the
    court's ruling (Art 38)."""
    _check_inbound(principal, type_code, from_site, uow.tenant)
    case = load_case(uow, case_id, changing=True)
    lifecycle.check_state(type_code, case.state)
    content = fields.validate(document_type(type_code), fields.parse(content_json), closed=False)
    doc = new_document(
        uow,
        case,
        type_code=type_code,
        content_json=ledger.canonical(content).decode(),
        drafted_by=f"site:{from_site}",
        role="peer",
        state="effective",
        from_site=from_site,
    )
    record(
        uow,
        case.id,
        principal,
        "service",
        f"{type_code}.received",
        {"document": doc.id, "from_site": from_site, "correlation_id": correlation_id},
        (doc.content_sha256,),
    )
    advance(uow, principal, calendar, case, doc)
    return doc
