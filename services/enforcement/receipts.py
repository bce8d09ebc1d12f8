"""The 送达回执 prints (seed Art 37): when a service is recorded its receipt is numbered
like any effective document, rendered with the service's details and the recipient's
signature field, and its PDF's hash appended to the case's ledger."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from liuhen.platform.auth import Principal
from liuhen.platform.db import UnitOfWork
from liuhen.platform.printing import registry
from liuhen.platform.printing.forms import FieldRow, time_zh
from services.enforcement.model import DocumentToServe, ServiceRecord


def rows(body: Mapping[str, Any], served_number: str, served_at: datetime) -> list[FieldRow]:
    """送达文书名称及文号, 受送达人, 送达地点, 送达方式, 送达时间, 送达人, 签收人, 备注."""
    served_by = body.get("served_by") or {}
    title = (
        f"{body['document_title']}（{served_number}）" if served_number else body["document_title"]
    )
    values = [
        ("document", "送达文书名称及文号", title),
        ("recipient", "受送达人", body["recipient"]),
        ("place", "送达地点", body.get("place", "")),
        ("method", "送达方式", body["method_zh"]),
        ("served_time", "送达时间", time_zh(served_at)),
        ("served_by", "送达人", served_by.get("name") or served_by.get("user_id", "")),
        ("signed_by", "签收人", body.get("signed_by", "")),
        ("fax_number", "传真号码", body.get("fax_number", "")),
        ("note", "备注（送达情况）", body.get("note", "")),
    ]
    return [FieldRow(name, label, str(text)) for name, label, text in values if text]


def print_receipt(
    uow: UnitOfWork,
    principal: Principal,
    role: str,
    record: ServiceRecord,
    doc: DocumentToServe,
    body: Mapping[str, Any],
    receipt_sha256: str,
    now: datetime,
) -> None:
    served = registry.find(uow, doc.name)
    subject = registry.Subject(
        case_id=doc.case_id,
        document=record.name,
        type="service_receipt",
        content={},
        content_sha256=receipt_sha256,
        case_number=doc.case_number,
        addressee=doc.party,
        issued=now,
        extra_rows=rows(body, served.number if served else "", record.served_at),
    )
    registry.issue(uow, principal, role, subject, service="enforcement")
