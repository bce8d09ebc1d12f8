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
        *_details(body),
        ("service_date", "送达日期（期间起算）", _service_date(body)),
        *(
            (f"evidence_{i}", f"送达证据{i + 1}", f"{e['kind']} sha256:{e['sha256']}")
            for i, e in enumerate(body.get("evidence") or ())
        ),
    ]
    return [FieldRow(name, label, str(text)) for name, label, text in values if text]


# The particulars of Art 37 by their labels on the form (note and fax number above).
DETAIL_LABELS = {
    "refusal": "拒收情况",
    "witnesses": "见证人",
    "tracking_number": "邮件单号",
    "receipt_signed_on": "回执签收日期",
    "returned_reason": "退回原因",
    "received_time": "到达时间",
    "email_address": "电子邮件地址",
    "entrusted_body": "受委托单位",
    "reason": "公告原因",
    "notice_method": "公告方式",
    "notice_text": "公告内容",
}


def _details(body: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    details = body.get("details") or {}
    return [(k, label, details[k]) for k, label in DETAIL_LABELS.items() if details.get(k)]


def _service_date(body: Mapping[str, Any]) -> str:
    on = body.get("service_date", "")
    if not on:
        return "未送达（邮件退回）" if body.get("method") == "mail" else ""
    return (
        f"{on}（公告期满视为送达，{body.get('service_date_source', '')}）"
        if body.get("deemed")
        else on
    )


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
