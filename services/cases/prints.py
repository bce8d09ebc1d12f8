"""The cases side of printing: when a document of a case takes effect it is numbered,
rendered and its PDF's hash appended to the case's ledger (liuhen.platform.printing);
the servicer then stores the PDF write-once beside the recordings."""

from __future__ import annotations

import json
from datetime import datetime

from liuhen.platform.auth import Principal
from liuhen.platform.db import UnitOfWork
from liuhen.platform.printing import registry
from services.cases.model import Case, Document


def document_name(d: Document) -> str:
    return f"cases/{d.case_id}/documents/{d.id}"


def subject(case: Case, doc: Document, issued: datetime) -> registry.Subject:
    return registry.Subject(
        case_id=case.id,
        document=document_name(doc),
        type=doc.type,
        content=json.loads(doc.content_json),
        content_sha256=doc.content_sha256,
        case_number=case.case_number,
        addressee=case.party,
        issued=issued,
    )


def on_effective(uow: UnitOfWork, principal: Principal, case: Case, doc: Document) -> None:
    """The document took effect: print it once (文号, verification code, PDF hash in the
    ledger). A draft or a document still in its approval chain is not printed."""
    if doc.state != "effective" or doc.effective_at is None:
        return
    role = doc.drafted_role if principal.user_id == doc.drafted_by else ""
    registry.issue(uow, principal, role, subject(case, doc, doc.effective_at), service="cases")
