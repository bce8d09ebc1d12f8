"""The cases side of printing: a case's document that takes effect goes through the
platform's one effective point (liuhen.platform.printing.registry.on_effective), shared
with the intake's; the servicer then stores the PDF write-once beside the recordings."""

from __future__ import annotations

import json

from liuhen.platform.auth import Principal
from liuhen.platform.catalogue import document_type
from liuhen.platform.db import UnitOfWork
from liuhen.platform.printing import registry
from services.cases.model import Case, Document


def document_name(d: Document) -> str:
    return f"cases/{d.case_id}/documents/{d.id}"


def addressee(case: Case, doc: Document) -> str:
    """Whom a notice is addressed to: the party it is served on (or, unserved, the case's
    party), the complainant, or the organisation its content names (`to`: the peer
    bureau of a 委托协查函, the public security organ of a 移送书)."""
    served = document_type(doc.type).served_to
    if not served or "party" in served:
        return case.party
    if "complainant" in served:
        return case.complainant
    return str(json.loads(doc.content_json or "{}").get("to", ""))


def on_effective(uow: UnitOfWork, principal: Principal, case: Case, doc: Document) -> None:
    """The document took effect: print it once."""
    registry.on_effective(
        uow,
        principal,
        doc,
        subject=case.id,
        name=document_name(doc),
        case_number=case.case_number,
        addressee=addressee(case, doc),
        service="cases",
    )
