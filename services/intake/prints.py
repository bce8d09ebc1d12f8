"""The intake side of printing (seed Art 11, 13-15, 41, 45): an intake's document that
takes effect, and the 立案审批表 once the head approves it, go through the platform's one
effective point, shared with the cases' documents (liuhen.platform.printing.registry
.on_effective): numbered, printed, the PDF's SHA-256 in the intake's ledger (the chain
the case continues once filed). The servicer then stores the PDF write-once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from liuhen.platform import ledger
from liuhen.platform.auth import Principal
from liuhen.platform.catalogue import document_type, sites
from liuhen.platform.db import UnitOfWork
from liuhen.platform.printing import registry
from liuhen.platform.printing.forms import bureau
from services.intake.documents import IntakeDocument
from services.intake.model import Intake

FILING_APPROVAL = "filing_approval"


@dataclass(frozen=True)
class FilingApproval:
    """The 立案审批表 as the effective point reads it: its fields, who drafted it and when
    the head's approval made it effective."""

    type: str
    state: str
    drafted_by: str
    drafted_role: str
    content_json: str
    content_sha256: str
    effective_at: datetime | None


def filing_content(intake: Intake) -> bytes:
    """The filing approval's fields, canonical: what its ledger entries reference."""
    return ledger.canonical(
        {"summary": intake.filing_summary, "within_jurisdiction": intake.within_jurisdiction}
    )


def filing_approval(intake: Intake, approved_at: datetime) -> FilingApproval:
    content = filing_content(intake)
    return FilingApproval(
        type=FILING_APPROVAL,
        state="effective",
        drafted_by=intake.filing_drafted_by,
        drafted_role="intake",
        content_json=content.decode(),
        content_sha256=ledger.sha256_hex(content),
        effective_at=approved_at,
    )


def filing_name(intake: Intake) -> str:
    return f"intakes/{intake.id}/{FILING_APPROVAL}"


def addressee(intake: Intake, type_code: str, recipient: str) -> str:
    """Whom the printed document is addressed to: the complainant (a named one) for a
    decision or notice served on them, the receiving bureau for a slip; none for a form
    kept in the file."""
    served_to = document_type(type_code).served_to
    if "complainant" in served_to:
        return "" if intake.anonymous else intake.complainant_name
    if recipient in sites():
        return bureau(recipient)
    return recipient


def on_effective(
    uow: UnitOfWork,
    principal: Principal,
    intake: Intake,
    doc: IntakeDocument | FilingApproval,
    name: str,
) -> None:
    """The one effective point of the intake's documents: print it once."""
    registry.on_effective(
        uow,
        principal,
        doc,
        subject=intake.id,
        name=name,
        case_number=intake.case_number,
        addressee=addressee(intake, doc.type, getattr(doc, "recipient", "")),
        service="intake",
    )
