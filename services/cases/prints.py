"""The cases side of printing: a case's document that takes effect goes through the
platform's one effective point (liuhen.platform.printing.registry.on_effective), shared
with the intake's; the servicer then stores the PDF write-once beside the recordings."""

from __future__ import annotations

from liuhen.platform.auth import Principal
from liuhen.platform.db import UnitOfWork
from liuhen.platform.printing import registry
from services.cases.model import Case, Document


def document_name(d: Document) -> str:
    return f"cases/{d.case_id}/documents/{d.id}"


def on_effective(uow: UnitOfWork, principal: Principal, case: Case, doc: Document) -> None:
    """The document took effect: print it once, addressed to the case's party."""
    registry.on_effective(
        uow,
        principal,
        doc,
        subject=case.id,
        name=document_name(doc),
        case_number=case.case_number,
        addressee=case.party,
        service="cases",
    )
