"""Entrusted service (委托送达, seed Art 37(5)): one site of the city asks another to serve
its document. The rules only; no I/O here.

The handling bureau's approved 委托送达函 (documents.yaml `service_entrustment`) names the
document to serve, the entrusted site, the recipient and the address; the entrusted site
serves it by one of the other methods of Art 37 with that method's evidence (methods.py)
and sends the 送达回执 back with the circumstances noted, or refuses it with the reason.
Until the receipt returns the entrustment is pending, with the catalogue's deadline
`entrusted_service_returned` (docs/entrusted-service.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from liuhen.platform import jsoncontent
from liuhen.platform.catalogue import site
from liuhen.platform.errors import FailedPrecondition, InvalidArgument, require
from liuhen.platform.outbox import SITE_LEVELS, kind_of
from services.enforcement.methods import Evidence
from services.enforcement.model import ELECTRONIC, METHODS, DocumentToServe

ART37_5 = "seed Art 37(5)"
LETTER = "service_entrustment"  # 劳动保障监察委托送达函
RULE = "entrusted_service_returned"
# Message types (routing): the letter out, the receipt or the refusal back.
SENT = "service_entrustment"
RECEIPT = "entrusted_service_receipt"
REFUSAL = "service_entrustment_refusal"
PENDING, SERVED, REFUSED = "pending", "served", "refused"
STATES = (PENDING, SERVED, REFUSED)  # the proto's Entrustment.State
REFUSAL_REASONS = {"not_its_area": "受送达人不在本辖区", "recipient_unknown": "受送达人不明"}


@dataclass(frozen=True)
class Letter:
    """The fields of an effective 委托送达函."""

    document: str
    entrusted_site: str
    recipient: str
    address: str
    method: str = ""
    return_days: int | None = None
    note: str = ""


@dataclass
class Entrustment:
    """One entrustment as the handling bureau keeps it."""

    id: str
    tenant_id: str
    case_id: str
    document_id: str
    document_type: str
    letter_id: str
    entrusted_site: str
    recipient: str
    address: str
    method: str
    message_id: str
    state: str
    deadline_id: str
    document_json: str  # what was sent: the document as it was served (DocumentToServe)
    sent_at: datetime
    answer_message_id: str = ""
    service_record_id: str = ""
    service_date: str = ""
    refusal_reason: str = ""
    note: str = ""
    answered_at: datetime | None = None

    @property
    def name(self) -> str:
        return f"cases/{self.case_id}/entrustments/{self.id}"

    @property
    def document(self) -> str:
        return f"cases/{self.case_id}/documents/{self.document_id}"

    @property
    def letter(self) -> str:
        return f"cases/{self.case_id}/documents/{self.letter_id}"


def parse_letter(content: Mapping[str, Any]) -> Letter:
    """The letter's fields (its form was checked against the catalogue when drafted)."""
    days = content.get("return_days")
    return Letter(
        document=str(content.get("document", "")).strip(),
        entrusted_site=str(content.get("entrusted_site", "")).strip(),
        recipient=str(content.get("recipient", "")).strip(),
        address=str(content.get("address", "")).strip(),
        method=str(content.get("method", "") or ""),
        return_days=days if isinstance(days, int) and not isinstance(days, bool) else None,
        note=str(content.get("note", "") or ""),
    )


def check_letter(type_code: str, state: str, case_id: str, served_case_id: str) -> None:
    """Only an approved 委托送达函, and only for a document of the same case."""
    if type_code != LETTER or state != "effective":
        raise FailedPrecondition(
            "ENTRUSTMENT_NOT_APPROVED",
            f"only an effective {LETTER} (委托送达函) approved as the catalogue says is sent; "
            f"this is a {type_code} that is {state or 'not effective'}",
            "委托送达函须经负责人批准生效后方可发出",
            article=ART37_5,
            field="letter",
        )
    if case_id != served_case_id:
        raise FailedPrecondition(
            "ENTRUSTED_DOCUMENT_OF_ANOTHER_CASE",
            "the letter names a document of another case",
            "委托送达文书不属于本案",
            article=ART37_5,
            field="letter",
        )


def check_entrusted_site(tenant: str, entrusted: str) -> None:
    """The city may entrust a district, a district the city or another district; never an
    outside desk, never itself."""
    if kind_of(entrusted)[0] not in SITE_LEVELS or entrusted == tenant:
        raise FailedPrecondition(
            "ENTRUSTED_SITE_NOT_ALLOWED",
            f"{entrusted or 'nobody'} cannot be entrusted: only the city or one of its "
            f"districts other than {tenant} serves on another's behalf",
            "仅可委托本市其他劳动保障监察机构代为送达",
            article=ART37_5,
            field="content_json.entrusted_site",
        )


def check_requested_method(method: str, doc: DocumentToServe) -> None:
    """A decision document is never served by fax or e-mail (Art 37(4)), entrusted or not."""
    if method in ELECTRONIC and doc.decision_document:
        raise InvalidArgument(
            "SERVICE_METHOD_NOT_ALLOWED",
            f"{doc.title_zh} is an enforcement decision: it is never served by fax or e-mail",
            "行政执法决定文书不得通过传真、电子邮件送达",
            article="seed Art 37(4)",
            field="content_json.method",
        )


def check_entrusted_method(method: str) -> None:
    """The entrusted site serves the document itself: it does not entrust it again."""
    if method == "entrusted":
        raise InvalidArgument(
            "SERVICE_METHOD_NOT_ALLOWED",
            "an entrusted site serves the document by another method of Art 37",
            "受委托机构应以其他方式送达，不得再行委托",
            article=ART37_5,
            field="method",
        )


def check_open(state: str, what: str) -> None:
    """An entrustment is answered once: served or refused (Art 37(5))."""
    if state not in ("received", PENDING):
        raise FailedPrecondition(
            "ENTRUSTMENT_NOT_OPEN",
            f"{what} is {state}, not waiting for an answer",
            "该委托送达已答复",
            article=ART37_5,
            field="message",
        )


def require_circumstances(note: str) -> None:
    """Art 37(5): 委托送达的，在送达回执上注明情况."""
    require(note.strip(), "note", "the circumstances of the service", article=ART37_5)


def check_refusal(reason: str, note: str) -> None:
    if reason not in REFUSAL_REASONS:
        raise InvalidArgument(
            "REFUSAL_REASON_REQUIRED",
            "reason must be one of: " + ", ".join(REFUSAL_REASONS),
            "须说明不能代为送达的理由",
            article=ART37_5,
            field="reason",
        )
    require(note.strip(), "note", "what the entrusted site found", article=ART37_5)


def payload(letter: Letter, doc: DocumentToServe, printed: Mapping[str, str]) -> dict[str, Any]:
    """What travels to the entrusted site: the letter and the effective document (its
    content, hash and, once printed, the PDF's number, hash and object key)."""
    return {
        "letter": letter.__dict__,
        "document": snapshot(doc),
        "printed": dict(printed),
    }


def snapshot(doc: DocumentToServe) -> dict[str, Any]:
    return {
        "name": doc.name,
        "case_number": doc.case_number,
        "party": doc.party,
        "handler": doc.handler,
        "type": doc.type,
        "content_sha256": doc.content_sha256,
        "content": dict(doc.content),
        "decision_document": doc.decision_document,
    }


def answer_receipt(body: object) -> Mapping[str, Any]:
    """The entrusted site's 送达回执 as it arrives: refused unless it says when, how and
    with what circumstances the document was served."""
    if not isinstance(body, Mapping):
        raise _bad_answer("the receipt is not an object")
    for key in ("method", "recipient", "served_time", "note"):
        if not isinstance(body.get(key), str) or not body[key]:
            raise _bad_answer(f"the receipt has no {key}")
    if body["method"] not in METHODS or body["method"] == "entrusted":
        raise _bad_answer(f"the receipt names no method of Art 37: {body['method']!r}")
    try:
        datetime.fromisoformat(body["served_time"])
        if body.get("service_date"):  # "" when it did not reach the recipient (mail returned)
            date.fromisoformat(str(body["service_date"]))
    except ValueError:
        raise _bad_answer("the receipt's served_time or service_date is not a time") from None
    return body


def evidence_of(body: Mapping[str, Any], entrusted: str) -> tuple[Evidence, ...]:
    """The entrusted site's evidence, by hash; the objects stay in its own store."""
    out = []
    for e in body.get("evidence") or ():
        if not isinstance(e, Mapping):
            raise _bad_answer("an evidence entry is not an object")
        out.append(
            Evidence(
                kind=str(e.get("kind", "")),
                sha256=str(e.get("sha256", "")),
                object_key=f"{entrusted}:{e.get('object_key', '')}",
                size=int(e.get("size", 0)) if str(e.get("size", "0")).isdigit() else 0,
                content_type=str(e.get("content_type", "")),
                description=str(e.get("description", "")),
            )
        )
    return tuple(out)


def details_of(body: Mapping[str, Any], entrusted: str) -> dict[str, str]:
    """The handling bureau's record of the entrusted service (Art 37(5)): the entrusted
    body, the circumstances, and how the entrusted site served it."""
    theirs = body.get("details") if isinstance(body.get("details"), Mapping) else {}
    return {
        **{f"entrusted_{k}": str(v) for k, v in (theirs or {}).items() if str(v)},
        "entrusted_body": f"{site(entrusted).zh}（{entrusted}）",
        "entrusted_method": str(body["method"]),
        "note": str(body["note"]),
    }


def _bad_answer(why: str) -> InvalidArgument:
    return InvalidArgument(
        "BAD_ENTRUSTMENT_ANSWER", why, "委托送达回执内容不全", article=ART37_5, field="payload_json"
    )


def parse_json(text: str) -> dict[str, Any]:
    return jsoncontent.parse_object(text, "payload_json", article=ART37_5)
