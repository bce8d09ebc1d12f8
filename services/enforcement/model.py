"""Enforcement domain (送达执行, seed Art 37–40): serving a document, the 送达回执 that
records it, and the periods that service starts. No I/O here.

The catalogue (documents.yaml) is the authority on what a document is: whether it is
served and to whom, whether it is an enforcement decision (行政执法决定文书), and which
period its service starts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from liuhen.platform import jsoncontent
from liuhen.platform.catalogue import document_type as document_type_of
from liuhen.platform.errors import FailedPrecondition, InvalidArgument, require
from services.enforcement import methods
from services.enforcement.methods import Evidence

ART37 = "seed Art 37"
RECEIPT_ZH = "劳动保障监察送达回执"
# Served into the future is refused; a small allowance covers clock skew.
CLOCK_SKEW = timedelta(minutes=5)

METHODS = {
    "direct": "直接送达",
    "left_at_premises": "留置送达",
    "mail": "邮寄送达",
    "fax": "传真送达",
    "email": "电子邮件送达",
    "entrusted": "委托送达",
    "public_notice": "公告送达",
}
ELECTRONIC = frozenset({"fax", "email"})
# Parties outside the office's own service: other supervision organisations are
# reached through the routing service, not served a receipt.
ROUTED = frozenset({"peer"})
# A period that, once over, is followed by the handler's check (Art 28: 按期核实).
FOLLOW_UPS = {"rectification_period": "rectification_verified"}


@dataclass(frozen=True)
class ServeDocument:
    """Command: serve an effective document and record the 送达回执 (Art 37)."""

    document: str  # cases/{case}/documents/{document}
    method: str
    recipient: str
    signed_by: str
    served_at: datetime
    note: str = ""
    fax_number: str = ""
    place: str = ""
    details: Mapping[str, str] = field(default_factory=dict)
    evidence: tuple[Evidence, ...] = ()

    @property
    def all_details(self) -> dict[str, str]:
        """The method's particulars, with the note and fax number the request also names."""
        extra = {"note": self.note, "fax_number": self.fax_number}
        return {**{k: v for k, v in extra.items() if v}, **self.details}


@dataclass(frozen=True)
class DocumentToServe:
    """The document as the cases service holds it, with the catalogue's word on its
    type (served_to, decision_document, deadline)."""

    name: str
    case_id: str
    case_number: str
    party: str
    handler: str
    type: str
    title_zh: str
    state: str
    content_sha256: str
    content: Mapping[str, Any]
    served_to: tuple[str, ...]
    decision_document: bool
    article: int = 0
    deadline: Mapping[str, Any] = field(default_factory=dict)
    case_state: str = ""


@dataclass
class ServiceRecord:
    """One service of one document: the 送达回执 and what it started."""

    id: str
    tenant_id: str
    case_id: str
    document_id: str
    document_type: str
    method: str
    recipient: str
    signed_by: str
    served_at: datetime
    served_by: str
    note: str
    fax_number: str
    receipt_json: str
    receipt_sha256: str
    deadline_ids: str = ""  # comma-separated ids of the deadlines this service started

    @property
    def parent(self) -> str:
        """intakes/{id} for the intake's own documents (Art 11), else cases/{id}; an
        intake and the case it becomes share the id, and so the ledger."""
        return f"{collection_of(self.document_type)}/{self.case_id}"

    @property
    def document(self) -> str:
        return f"{self.parent}/documents/{self.document_id}"

    @property
    def name(self) -> str:
        return f"{self.parent}/services/{self.id}"

    @property
    def deadlines(self) -> list[str]:
        return [d for d in self.deadline_ids.split(",") if d]

    @property
    def body(self) -> dict[str, Any]:
        value = json.loads(self.receipt_json or "{}")
        return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class Period:
    """A period to open when the document is served (deadlines catalogue)."""

    rule: str
    amount: int | None  # None: the rule's default (deadlines.yaml)
    after: str = ""  # "previous": starts where the one before ends; "last": after all others


def validate_command(cmd: ServeDocument, now: datetime) -> None:
    """The request itself: a known method, a recipient, a time that has happened."""
    if cmd.method not in METHODS:
        raise InvalidArgument(
            "SERVICE_METHOD_REQUIRED",
            "method must be one of the ways of service of Art 37: " + ", ".join(METHODS),
            "须指明送达方式",
            article=ART37,
            field="method",
        )
    require(cmd.recipient, "recipient", "the person or unit served", article=ART37)
    if cmd.served_at > now + CLOCK_SKEW:
        raise InvalidArgument(
            "SERVED_IN_FUTURE",
            "served_time is in the future",
            "送达时间不得晚于当前时间",
            article=ART37,
            field="served_time",
        )


def collection_of(document_type: str) -> str:
    """Intake-stage documents (不予受理决定书, 告知补正, …) are the intake service's;
    every other document is the case's (documents catalogue: stage)."""
    return "intakes" if document_type_of(document_type).stage == "intake" else "cases"


def servers_of(document_type: str) -> tuple[str, ...]:
    """Who serves a document: the desk serves its own decisions on the complainant
    (Art 11: 制作…并送达投诉人); the 送达回执's drafters serve the rest (Art 37)."""
    drafters = document_type_of("service_receipt").drafted_by
    if collection_of(document_type) == "intakes":
        return ("intake", *drafters)
    return drafters


def check_serviceable(doc: DocumentToServe) -> None:
    """Only an effective document that the catalogue serves on someone is served here,
    and nothing once the case file is archived (Art 42)."""
    if doc.case_state == "archived":
        raise FailedPrecondition(
            "CASE_ARCHIVED",
            "the case file is archived and closed to changes",
            "案件已立卷归档，不得变更",
            article="seed Art 42",
            field="document",
        )
    if doc.state != "effective":
        raise FailedPrecondition(
            "DOCUMENT_NOT_EFFECTIVE",
            f"{doc.name} is "
            f"{doc.state or 'not effective'}: submit and approve it "
            "(SubmitDocument, ApproveDocument) before serving it",
            f"{doc.title_zh}尚未生效，须先提交审批",
            article=ART37,
            field="document",
        )
    if not doc.served_to:
        raise FailedPrecondition(
            "DOCUMENT_NOT_SERVED",
            f"{doc.type} ({doc.title_zh}) is not served on anyone",
            f"{doc.title_zh}无需送达",
            article=ART37,
            field="document",
        )
    if set(doc.served_to) <= ROUTED:
        raise FailedPrecondition(
            "SERVED_THROUGH_ROUTING",
            f"{doc.type} goes to another supervision organisation: send it through routing",
            f"{doc.title_zh}应通过协作渠道发送",
            article=ART37,
            field="document",
        )


def check_method(cmd: ServeDocument, doc: DocumentToServe) -> None:
    """What each way of service must record (Art 37(1)–(6), methods.py)."""
    if cmd.method in ELECTRONIC and doc.decision_document:
        raise InvalidArgument(
            "SERVICE_METHOD_NOT_ALLOWED",
            f"{doc.title_zh} is an enforcement decision: it is never served by fax or e-mail",
            "行政执法决定文书不得通过传真、电子邮件送达",
            article="seed Art 37(4)",
            field="method",
        )
    methods.check_details(cmd.method, cmd.all_details, cmd.evidence, cmd.signed_by)


def receipt(
    cmd: ServeDocument, doc: DocumentToServe, served_by: Mapping[str, str]
) -> dict[str, Any]:
    """The 送达回执 (Art 37): what was served, on whom, how, when and by whom, the method's
    particulars and evidence, and the date of service the periods run from."""
    when = methods.service_date(cmd.method, cmd.served_at, cmd.all_details)
    return {
        "form": RECEIPT_ZH,
        "case_number": doc.case_number,
        "party": doc.party,
        "document": doc.name,
        "document_type": doc.type,
        "document_title": doc.title_zh,
        "document_sha256": doc.content_sha256,
        "method": cmd.method,
        "method_zh": METHODS[cmd.method],
        "recipient": cmd.recipient,
        "signed_by": cmd.signed_by,
        "served_time": cmd.served_at.isoformat(),
        "served_by": dict(served_by),
        "note": cmd.note,
        "fax_number": cmd.fax_number,
        "place": cmd.place,
        "details": dict(sorted(cmd.all_details.items())),
        "evidence": [e.__dict__ for e in cmd.evidence],
        "service_date": when.on.isoformat() if when.on else "",
        "deemed": when.deemed,
        "service_date_source": when.source,
    }


def period_amount(doc: DocumentToServe) -> int:
    """The period the document sets, where the catalogue lets it adjust the default:
    Art 28 — 一般为10日 … 特殊情况予以缩短或延长 (`period_days` in the order); a decision's
    履行期限 (`performance_period`: {amount, unit}, counted in the rule's unit)."""
    default = int(doc.deadline["days"])
    name = str(doc.deadline.get("field", "period_days"))
    if not doc.deadline.get("adjustable") or name not in doc.content:
        return default
    days = doc.content[name]
    if isinstance(days, Mapping):
        days = days.get("amount")
    if isinstance(days, bool) or not isinstance(days, int) or days <= 0:
        raise FailedPrecondition(
            "BAD_PERIOD",
            f"period_days in {doc.name} must be a positive number of days, not {json.dumps(days)}",
            "改正期限应为正整数天数",
            article=f"seed Art {doc.article}",
            field="content_json.period_days",
        )
    return days


def periods(doc: DocumentToServe, *, already_started: bool) -> list[Period]:
    """The period that serving `doc` starts, and the check that follows it; none when a
    previous service of the same document already started it."""
    spec = doc.deadline
    if not spec or spec.get("from") != "served" or already_started:
        return []
    out = [Period(str(spec["rule"]), period_amount(doc))]
    if follow := FOLLOW_UPS.get(out[0].rule):
        out.append(Period(follow, None, after="previous"))
    out += [Period(str(rule), None) for rule in spec.get("also", ())]
    if "then" in spec:
        out.append(Period(str(spec["then"]), None, after="last"))
    return out


def parse_content(content_json: str) -> Mapping[str, Any]:
    """The fields of the effective document being served, as the cases service holds them."""
    return jsoncontent.parse_object(content_json, "document", error=FailedPrecondition)
