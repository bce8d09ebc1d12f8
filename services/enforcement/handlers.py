"""Enforcement commands: unit of work → domain → ledger and deadlines. Handlers never
commit; the idempotent transaction around them does."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from liuhen.platform import deadlines, ledger
from liuhen.platform.auth import Principal
from liuhen.platform.calendar import WorkingCalendar
from liuhen.platform.catalogue import document_type
from liuhen.platform.db import UnitOfWork
from liuhen.platform.errors import not_found
from services.enforcement import orm, receipts
from services.enforcement.model import (
    DocumentToServe,
    ServeDocument,
    ServiceRecord,
    check_method,
    check_serviceable,
    parse_content,
    periods,
    receipt,
    servers_of,
    validate_command,
)

SERVICE = "enforcement"


def authorise_service(principal: Principal, document_type: str) -> None:
    principal.require_role(*servers_of(document_type), action="serving a document (送达)")


def document_to_serve(
    *,
    name: str,
    case_id: str,
    case_number: str,
    party: str,
    handler: str,
    type_code: str,
    state: str,
    content_sha256: str,
    content_json: str,
    decision_document: bool,
    case_state: str = "",
) -> DocumentToServe:
    """The document the cases service returned, judged by the catalogue: a document is
    a decision document if either says so (Art 37(4) errs on the side of refusal)."""
    spec = document_type(type_code)
    return DocumentToServe(
        name=name,
        case_id=case_id,
        case_number=case_number,
        party=party,
        handler=handler,
        type=type_code,
        title_zh=spec.zh,
        state=state,
        content_sha256=content_sha256,
        content=parse_content(content_json) if state == "effective" else {},
        served_to=spec.served_to,
        decision_document=spec.decision_document or decision_document,
        deadline=spec.deadline,
        article=spec.article,
        case_state=case_state,
    )


def check_request(cmd: ServeDocument, doc: DocumentToServe, now: datetime) -> None:
    """What Art 37 asks of the request itself, whatever state the case is in; run before
    the evidence is stored, so a refused service leaves no objects behind."""
    validate_command(cmd, now)
    check_method(cmd, doc)


def serve_document(
    uow: UnitOfWork,
    principal: Principal,
    calendar: WorkingCalendar,
    *,
    cmd: ServeDocument,
    doc: DocumentToServe,
    now: datetime,
) -> tuple[ServiceRecord, list[deadlines.DeadlineRow]]:
    """Serve `doc` (Art 37), record the 送达回执 and start the periods that run from
    service (Art 28)."""
    authorise_service(principal, doc.type)
    validate_command(cmd, now)
    check_serviceable(doc)
    check_method(cmd, doc)
    actor = ledger.actor_of(principal, principal.acting_role(servers_of(doc.type)))
    body = receipt(cmd, doc, actor)
    return record_service(
        uow, principal, calendar, cmd=cmd, doc=doc, body=body, served_by=principal.user_id, now=now
    )


def record_service(
    uow: UnitOfWork,
    principal: Principal,
    calendar: WorkingCalendar,
    *,
    cmd: ServeDocument,
    doc: DocumentToServe,
    body: dict[str, Any],
    served_by: str,
    now: datetime,
) -> tuple[ServiceRecord, list[deadlines.DeadlineRow]]:
    """Record a service whose 送达回执 is `body`: the ledger entry, the periods from its
    date of service, the record and the printed receipt (served here, or by an entrusted
    site, Art 37(5))."""
    actor = body["served_by"]
    receipt_sha = ledger.sha256_hex(ledger.canonical(body))
    # The entry first: on PostgreSQL its lock serialises the steps on this case, so two
    # services of one document cannot both see "no period yet".
    ledger.append(
        uow,
        case_id=doc.case_id,
        service=SERVICE,
        action="document.served",
        actor=actor,
        payload=body,
        refs=[doc.content_sha256, receipt_sha, *(e.sha256 for e in cmd.evidence)],
    )
    served_on = body["service_date"]
    rows = []
    if served_on:
        rows = start_periods(uow, calendar, doc, served_on=date.fromisoformat(served_on))
        for rule in doc.deadline.get("meets", ()):  # 行政处罚法 Art 61: served within 7 days
            deadlines.meet(uow, rule=str(rule), subject=doc.name)
    record = ServiceRecord(
        id=str(uuid.uuid4()),
        tenant_id=uow.tenant,
        case_id=doc.case_id,
        document_id=doc.name.rsplit("/", 1)[-1],
        document_type=doc.type,
        method=cmd.method,
        recipient=cmd.recipient,
        signed_by=cmd.signed_by,
        served_at=cmd.served_at,
        served_by=served_by,
        note=cmd.note,
        fax_number=cmd.fax_number,
        receipt_json=ledger.canonical(body).decode(),
        receipt_sha256=receipt_sha,
        deadline_ids=",".join(row.id for row in rows),
    )
    uow.add(record)
    receipts.print_receipt(uow, principal, actor["role"], record, doc, body, receipt_sha, now)
    return record, rows


def start_periods(
    uow: UnitOfWork, calendar: WorkingCalendar, doc: DocumentToServe, *, served_on: date
) -> list[deadlines.DeadlineRow]:
    """The periods run from the date of service (Art 37; a public notice's deemed date); a
    follow-up starts where the one before it ends (the check of Art 28 is due on the day
    the rectification period is over), the court application's 3 months where the review
    and suit windows end (行政强制法 Art 53); a period starts once per document."""
    rule = str(doc.deadline.get("rule", ""))
    started = bool(rule) and orm.period_started(
        uow, case_id=doc.case_id, subject=doc.name, rule=rule
    )
    rows: list[deadlines.DeadlineRow] = []
    for period in periods(doc, already_started=started):
        start = served_on
        if period.after == "previous":
            start = rows[-1].due_on
        elif period.after == "last":
            start = max(row.due_on for row in rows)
        rows.append(
            deadlines.open_deadline(
                uow,
                calendar,
                rule=period.rule,
                case_id=doc.case_id,
                subject=doc.name,
                start=start,
                officer=doc.handler,
                amount=period.amount,
            )
        )
    return rows


def load(uow: UnitOfWork, collection: str, case_id: str, record_id: str) -> ServiceRecord:
    """A service record by name: `cases/{id}/services/{id}` or `intakes/{id}/...`."""
    record = orm.get(uow, case_id, record_id)
    if record is None or not record.parent.startswith(collection):
        raise not_found("service record", f"{collection}/{case_id}/services/{record_id}")
    return record


def with_deadlines(
    uow: UnitOfWork, record: ServiceRecord
) -> tuple[ServiceRecord, list[deadlines.DeadlineRow]]:
    return record, orm.deadlines_of(uow, record)
