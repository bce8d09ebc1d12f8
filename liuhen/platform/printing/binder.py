"""The bound case file (卷宗, seed Art 41–42) as one PDF: the cover (卷皮), the catalogue
of contents (卷内目录) by the four stages of Art 41 with page numbers, every document and
material, the notes Art 41 asks for screenshots and photos, the evidence bag list
(证据袋) and the 证据材料备考表 for every recording; and a manifest of every item's
SHA-256. Deterministic, like every print."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from reportlab.lib.colors import red

from liuhen.platform.printing.documents import draw
from liuhen.platform.printing.forms import Sheet, day_zh
from liuhen.platform.printing.pen import TITLE, Meta, Pen, render

STAGES = {
    "intake": "受理立案",
    "investigation": "调查取证",
    "decision": "审查决定",
    "service": "送达执行",
    "records": "归档管理",
}


@dataclass(frozen=True)
class Item:
    seq: int
    stage: str
    kind: str  # document | material | receipt | recording
    name: str
    title: str
    number: str
    time: datetime
    sha256: str
    sheet: Sheet | None  # None: a recording, which is not bound (备考表)
    pdf_sha256: str = ""
    sender: str = ""  # a document received from outside: who sent it (its number is theirs)


@dataclass(frozen=True)
class Recording:
    """A line of the 证据材料备考表 (Art 42)."""

    name: str
    content: str
    time: str
    place: str
    recorder: str  # name and identity
    storage: str
    sha256: str


@dataclass(frozen=True)
class Bagged:
    """A line of the evidence bag list (证据袋, Art 42)."""

    name: str
    quantity: str
    time: str
    place: str


@dataclass(frozen=True)
class Cover:
    tenant: str
    case: str
    bureau: str
    case_number: str
    party: str
    matter: str
    filed: str
    handler: str
    state: str
    retention: str
    retention_source: str
    issued: datetime
    extra: dict[str, str] = field(default_factory=dict)


def bind(
    cover: Cover, items: Sequence[Item], recordings: Sequence[Recording], bag: Sequence[Bagged]
) -> tuple[bytes, dict[str, Any]]:
    starts: dict[int, tuple[int, int]] = {}
    meta = Meta(
        title=f"劳动保障监察案卷 {cover.case_number}",
        author=cover.bureau,
        subject=cover.case,
        keywords=f"liuhen-casefile:{cover.case}",
        issued=cover.issued,
        identity=f"{cover.tenant}/{cover.case}/{len(items)}",
    )

    def lay_out(pen: Pen) -> None:
        _cover(pen, cover, len(items))
        _catalogue(pen, items, starts)
        for it in items:
            if it.sheet is None:
                continue
            pen.new_page()
            first = pen.page
            draw(pen, it.sheet)
            starts[it.seq] = (first, pen.page - first + 1)
        _notes(pen, bag, recordings, cover.bureau)

    pdf = render(lay_out, meta, footer=f"案号 {cover.case_number}  {cover.case}")
    manifest = {
        "case": cover.case,
        "case_number": cover.case_number,
        "retention": cover.retention,
        "retention_source": cover.retention_source,
        "items": [
            {
                "seq": it.seq,
                "stage": it.stage,
                "stage_zh": STAGES.get(it.stage, ""),
                "kind": it.kind,
                "name": it.name,
                "title": it.title,
                "number": it.number,
                "sender": it.sender,
                "time": it.time.isoformat(),
                "sha256": it.sha256,
                "pdf_sha256": it.pdf_sha256,
                "first_page": starts.get(it.seq, (0, 0))[0],
                "pages": starts.get(it.seq, (0, 0))[1],
            }
            for it in items
        ],
        "recordings": [r.__dict__ for r in recordings],
        "evidence_bag": [b.__dict__ for b in bag],
    }
    return pdf, manifest


def _cover(pen: Pen, c: Cover, count: int) -> None:
    pen.gap(1)
    pen.centred(c.bureau, TITLE, pen.title_pt, bold=True, color=red)
    pen.gap(1)
    pen.centred("劳动保障监察案卷", TITLE, 26, bold=True)
    pen.gap(1)
    for label, value in (
        ("案号", c.case_number),
        ("当事人", c.party),
        ("案由", c.matter),
        ("立案日期", c.filed),
        ("承办人", c.handler),
        ("案件状态", c.state),
        ("卷内文件", f"{count} 件"),
        ("本卷页数", f"共 {pen.total or 0} 页"),
        ("保管期限", f"{c.retention}（{c.retention_source}）"),
        ("立卷单位", "案件审理部门"),
    ):
        pen.row(label, value)


def _catalogue(pen: Pen, items: Sequence[Item], starts: dict[int, tuple[int, int]]) -> None:
    pen.new_page()
    pen.centred("卷 内 目 录", TITLE, pen.title_pt, bold=True)
    widths = [0.08, 0.13, 0.44, 0.23, 0.12]
    pen.grid(["序号", "阶段", "题名（文号）", "日期", "页号"], widths, head=True)
    for it in items:
        page = "备考表" if it.sheet is None else _pages(starts.get(it.seq))
        title = _title(it)
        pen.grid(
            [str(it.seq), STAGES.get(it.stage, it.stage), title, day_zh(it.time), page], widths
        )


def _title(it: Item) -> str:
    """题名（文号）: a received document names its sender, and its number is the sender's."""
    if it.sender:
        return f"{it.title}（{it.sender}来文{' ' + it.number if it.number else ''}）"
    return f"{it.title}（{it.number}）" if it.number else it.title


def _pages(span: tuple[int, int] | None) -> str:
    if span is None:
        return ""
    first, n = span
    return str(first) if n == 1 else f"{first}-{first + n - 1}"


def _notes(pen: Pen, bag: Sequence[Bagged], recordings: Sequence[Recording], bureau: str) -> None:
    pen.new_page()
    pen.centred("截屏、截图、拍照资料说明", TITLE, pen.title_pt, bold=True)
    pen.paragraph(
        "本案以截屏、截图、拍照等形式记录的资料：无（音、视频记录见证据材料备考表）。"
        "依第四十一条，此类资料应打印并注明时间、地点、内容、记录人员姓名及身份。"
    )
    pen.gap(0.5)
    pen.centred("证据袋清单", TITLE, pen.title_pt, bold=True)
    widths = [0.08, 0.40, 0.12, 0.22, 0.18]
    pen.grid(["序号", "证据名称", "数量", "收取时间", "收取地点"], widths, head=True)
    for i, b in enumerate(bag, start=1):
        pen.grid([str(i), b.name, b.quantity, b.time, b.place or bureau], widths)
    if not bag:
        pen.grid(["—", "无（均为已核对的复印件，随卷装订）", "", "", ""], widths)
    pen.new_page()
    pen.centred("证据材料备考表", TITLE, pen.title_pt, bold=True)
    for i, r in enumerate(recordings, start=1):
        for label, value in (
            (f"{i}. 录制内容", r.content),
            ("录制时间", r.time),
            ("录制地点", r.place),
            ("录制人员及身份", r.recorder),
            ("存放地点", r.storage),
            ("SHA-256", r.sha256),
        ):
            pen.row(label, value)
        pen.gap(0.3)
    if not recordings:
        pen.paragraph("本案无音、视频记录。")
