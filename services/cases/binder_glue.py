"""The case file as one bound PDF (Art 41–42): the file items of casefile.py, each
printed from its own print where it has one, and the recordings' 备考表; the retention
period from the case's kind (Art 43, catalogue retention.yaml)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC
from typing import Any

from liuhen.media.v1 import media_pb2
from liuhen.platform.catalogue import state_zh
from liuhen.platform.db import UnitOfWork
from liuhen.platform.printing import binder, registry, retention
from liuhen.platform.printing.forms import (
    FieldRow,
    Sheet,
    bureau,
    day_zh,
    sender_name,
    sheet,
    time_zh,
)
from services.cases import orm
from services.cases.casefile import FileItem
from services.cases.model import Case

KINDS_ZH = {"audio": "录音", "video": "录像"}
SENDER_NUMBER = "sender_number"  # 来文文号, a field of every inbound type (documents.yaml)


def retention_of(
    uow: UnitOfWork, case: Case, overrides: Mapping[str, int | None]
) -> retention.Retention:
    """The file's period by its kind (Art 43), the deployment's where it sets one."""
    return retention.for_case(
        major=case.major, effective_types=orm.effective_types(uow, case.id), overrides=overrides
    )


def _sheet(uow: UnitOfWork, case: Case, it: FileItem) -> tuple[Sheet, str, str]:
    """The item's sheet, its 文号 and its PDF's hash: from its print, or made now from its
    fields (the intake's forms, materials, receipts) without a number."""
    row = registry.find(uow, it.name)
    if row is not None:
        return Sheet.from_json(row.sheet_json), row.number, registry.pdf_sha256(row)
    content = json.loads(it.content_json or "{}")
    number = str(content.pop(SENDER_NUMBER, "")) if it.sender else ""
    made = sheet(
        tenant=uow.tenant,
        document=it.name,
        type_code=it.type,
        content=content,
        number=number,
        case_number=case.case_number,
        addressee="" if it.sender else case.party,
        signatures=(),
        issued=it.time if it.time.tzinfo else it.time.replace(tzinfo=UTC),
        code="",  # not a print of its own: nothing to verify it against
        extra_rows=_received(it, number),
    )
    if it.sender:  # the sender's document: its organ heads it, not this bureau
        made = replace(made, bureau=sender_name(it.sender))
    if made.title != it.title_zh:  # an item the file names itself (materials at the desk)
        made = replace(made, title=it.title_zh)
    return made, number, ""


def _received(it: FileItem, number: str) -> tuple[FieldRow, ...]:
    """A document received from outside (police, court, a peer's reply) is not this
    bureau's: it keeps the sender's own number, if its content gives one, and is filed as
    received (docs/printing.md, "Documents received from outside")."""
    if not it.sender:
        return ()
    theirs = f"（来文文号{number}）" if number else "（来文未载文号）"
    note = (
        f"{time_zh(it.time)}收到{sender_name(it.sender)}来文{theirs}。外来文书，"
        "按来文内容归档，本机关不另编文号、不加盖印章"
    )
    return (FieldRow("received", "收文", note),)


def _recording(r: media_pb2.Recording) -> binder.Recording:
    start, end = r.start_time.ToDatetime(tzinfo=UTC), r.end_time.ToDatetime(tzinfo=UTC)
    related = f"，关联 {r.related_document}" if r.related_document else ""
    return binder.Recording(
        name=r.name,
        content=f"{KINDS_ZH.get(r.kind, r.kind)}（{r.device}{related}）",
        time=f"{time_zh(start)} 至 {time_zh(end)}",
        place=r.place,
        recorder=f"{r.labels.handler or r.recorder}（执法人员，承办人；用户 {r.recorder}）",
        storage=f"专用存储器 {r.object_key}（异地备份，保存至 {r.retain_until}）",
        sha256=r.sha256,
    )


def _bag(items: Sequence[FileItem], place: str) -> list[binder.Bagged]:
    """Originals handed in cannot be bound with the documents: into the evidence bag."""
    out = []
    for it in items:
        content: dict[str, Any] = json.loads(it.content_json or "{}")
        if it.type == "submitted_material" and content.get("is_copy") is False:
            pages = content.get("pages") or 1
            out.append(
                binder.Bagged(
                    str(content.get("description", "")), f"{pages}页", time_zh(it.time), place
                )
            )
    return out


def bind(
    uow: UnitOfWork,
    case: Case,
    items: Sequence[FileItem],
    media: Sequence[media_pb2.Recording],
    overrides: Mapping[str, int | None],
) -> tuple[bytes, dict[str, Any]]:
    kept = retention_of(uow, case, overrides)
    bound = []
    for it in items:
        made: tuple[Sheet | None, str, str] = (None, "", "")
        if it.kind != "recording":
            made = _sheet(uow, case, it)
        bound.append(
            binder.Item(
                it.seq,
                it.stage,
                it.kind,
                it.name,
                it.title_zh,
                made[1],
                it.time,
                it.sha256,
                made[0],
                made[2],
                sender_name(it.sender) if it.sender else "",
            )
        )
    registration = next((i for i in items if i.name.endswith("/registration")), None)
    matter = json.loads(registration.content_json).get("violation", "") if registration else ""
    times = [i.time for i in items] or [case.filed_at]
    cover = binder.Cover(
        tenant=uow.tenant,
        case=f"cases/{case.id}",
        bureau=bureau(uow.tenant),
        case_number=case.case_number,
        party=case.party,
        matter=matter,
        filed=day_zh(case.filed_at),
        handler=case.handler_name,
        state=state_zh("case", case.state),
        retention=kept.label,
        retention_source=kept.source_zh or kept.source,
        issued=max(t if t.tzinfo else t.replace(tzinfo=UTC) for t in times),
    )
    return binder.bind(cover, bound, [_recording(r) for r in media], _bag(items, cover.bureau))
