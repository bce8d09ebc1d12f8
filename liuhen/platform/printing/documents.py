"""One document's PDF from its `Sheet`, in the layout its form names (notice, table,
record, receipt), on the one base layout of `pen.py`."""

from __future__ import annotations

from datetime import datetime

from reportlab.lib.colors import red

from liuhen.platform.printing.forms import Sheet, day_zh
from liuhen.platform.printing.pen import BODY, HEADING, TITLE, Meta, Pen, render

VERIFY_TAG = "liuhen-verify:"


def qr_payload(tenant: str, code: str) -> str:
    return f"LIUHEN:{tenant}:{code}"


def pdf(sheet: Sheet) -> bytes:
    """The document's PDF; the same sheet gives the same bytes."""
    meta = Meta(
        title=sheet.title,
        author=sheet.bureau,
        subject=sheet.document,
        keywords=f"{VERIFY_TAG}{sheet.code}",
        issued=datetime.fromisoformat(sheet.issued),
        identity=f"{sheet.tenant}/{sheet.document}/{sheet.code}",
    )
    footer = f"验证码 {sheet.code}（liuhen verify 核验）  {sheet.document}"
    return render(
        lambda pen: draw(pen, sheet), meta, footer=footer, qr=qr_payload(sheet.tenant, sheet.code)
    )


def draw(pen: Pen, s: Sheet) -> None:
    """The sheet on the pen's pages (also bound into the case file)."""
    pen.centred(s.bureau, TITLE, pen.title_pt, bold=True, color=red)
    pen.centred(s.title, TITLE, pen.title_pt, bold=True)
    if s.number:
        pen.centred(s.number, BODY, pen.body_pt)
    if s.case_number and s.layout != "notice":
        pen.paragraph(f"案号：{s.case_number}", indent_chars=0, size=pen.table_pt)
    {"notice": _notice, "record": _record, "receipt": _receipt}.get(s.layout, _table)(pen, s)


def _day(s: Sheet) -> str:
    return day_zh(datetime.fromisoformat(s.issued))


def _notice(pen: Pen, s: Sheet) -> None:
    if s.addressee:
        pen.paragraph(f"{s.addressee}：", indent_chars=0)
    for r in s.rows:
        pen.paragraph(f"{r.label}：{r.text}")
    if s.closing:
        pen.paragraph(s.closing)
    if s.case_number:
        pen.paragraph(f"（案号：{s.case_number}）")
    if s.seal:
        pen.seal(s.bureau, _day(s))
    _signatures(pen, s)


def _table(pen: Pen, s: Sheet) -> None:
    pen.gap(0.3)
    for r in s.rows:
        pen.row(r.label, r.text)
    for sig in s.signatures:
        opinion = f"{sig.opinion}。\n" if sig.opinion else ""
        pen.row(sig.role, f"{opinion}{sig.name}    {sig.day}")
    if s.seal:
        pen.seal(s.bureau, _day(s))


def _record(pen: Pen, s: Sheet) -> None:
    for r in s.rows:
        pen.paragraph(f"{r.label}：{r.text}", indent_chars=0)
    _signatures(pen, s)
    pen.gap(0.5)
    for signer in s.signers:
        pen.paragraph(f"{signer}（签名）：____________    ____年___月___日", indent_chars=0)


def _receipt(pen: Pen, s: Sheet) -> None:
    pen.gap(0.3)
    for r in s.rows:
        pen.row(r.label, r.text)
    for signer in s.signers:
        pen.row(f"{signer}签名（盖章）", "\n\n                    ____年___月___日", min_lines=3)
    pen.seal(s.bureau, _day(s))


def _signatures(pen: Pen, s: Sheet) -> None:
    """The approvals that made the document effective, with names and dates."""
    if not s.signatures:
        return
    pen.gap(0.3)
    for sig in s.signatures:
        opinion = f"（{sig.opinion}）" if sig.opinion else ""
        pen.paragraph(
            f"{sig.role}：{sig.name}{opinion}    {sig.day}", indent_chars=0, size=pen.small_pt
        )


__all__ = ["HEADING", "VERIFY_TAG", "pdf", "qr_payload"]


def code_in(pdf: bytes) -> str:
    """The verification code a Liuhen PDF carries in its keywords ('' if none)."""
    import re

    found = re.search(rb"liuhen-verify:([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{2})", pdf)
    return found.group(1).decode() if found else ""
