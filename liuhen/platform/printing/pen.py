"""A small page writer on ReportLab's canvas: A4 pages with the GB/T 9704-2012 type area,
CJK text wrapped by width in faces that have every glyph, and a footer of page numbers
and the verification code. Laid out twice: a dry pass counts the pages so that each
footer can say 第 N 页 共 M 页."""

from __future__ import annotations

import calendar
import io
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from reportlab.graphics.barcode import qrencoder
from reportlab.lib.colors import Color, black, red
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from liuhen.platform.printing import fonts
from liuhen.platform.printing.forms import base

TITLE, BODY, HEADING = "UMingCN", "UKaiCN", "ZenHei"


@dataclass(frozen=True)
class Meta:
    """The PDF's information dictionary; `issued` fixes its dates and `identity` its ID."""

    title: str
    author: str
    subject: str
    keywords: str
    issued: datetime
    identity: str


class Pen:
    def __init__(self, meta: Meta, total_pages: int = 0, footer: str = "", qr: str = "") -> None:
        fonts.register()
        g = base()["page"]
        self.left = g["left_mm"] * mm
        self.width = g["width_mm"] * mm
        self.top = A4[1] - g["top_mm"] * mm
        self.bottom = self.top - g["height_mm"] * mm
        self.body_pt, self.line_pt = float(g["body_pt"]), float(g["line_pt"])
        self.title_pt, self.table_pt = float(g["title_pt"]), float(g["table_pt"])
        self.small_pt = float(g["small_pt"])
        self.total, self.footer, self.qr = total_pages, footer, qr
        self.page = 1
        self.y = self.top
        self.c: Canvas | None = _canvas(meta) if total_pages else None

    # --- pages ---------------------------------------------------------------------

    def room(self, height: float) -> None:
        """Start a new page unless `height` fits above the bottom of the type area."""
        if self.y - height < self.bottom:
            self.new_page()

    def new_page(self) -> None:
        self._foot()
        if self.c is not None:
            self.c.showPage()
        self.page += 1
        self.y = self.top

    def finish(self) -> bytes:
        self._foot()
        if self.c is None:
            return b""
        self.c.showPage()
        data: bytes = self.c.getpdfdata()
        return data

    def _foot(self) -> None:
        c = self.c
        if c is None:
            return
        label = f"第 {self.page} 页 共 {self.total} 页"
        y = self.bottom - 12 * mm
        self.text(self.left + (self.width - fonts.width(label, BODY, 14)) / 2, y, label, BODY, 14)
        if self.footer:  # beside the QR code, never under it: wrapped to two lines at most
            room = self.width - (20 * mm if self.qr else 0)
            for i, line in enumerate(self.wrap(self.footer, BODY, 8, room)[:2]):
                self.text(self.left, y - (5 + 3.6 * i) * mm, line, BODY, 8)
        if self.qr:
            self._qr(self.left + self.width - 18 * mm, y - 8 * mm, 18 * mm)

    def _qr(self, x: float, y: float, side: float) -> None:
        """The verification code as a QR code, drawn module by module (ReportLab's
        widget renderer would bring in Helvetica, a font it does not embed)."""
        assert self.c is not None
        qr = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
        qr.addData(self.qr)
        qr.make()
        n = qr.getModuleCount()
        box = side / (n + 2)
        self.c.setFillColor(black)
        for r, modules in enumerate(qr.modules):
            for col, dark in enumerate(modules):
                if dark:
                    self.c.rect(x + (col + 1) * box, y + side - (r + 2) * box, box, box, 0, 1)

    # --- text ----------------------------------------------------------------------

    def text(
        self,
        x: float,
        y: float,
        s: str,
        font: str,
        size: float,
        *,
        bold: bool = False,
        color: Color = black,
    ) -> None:
        c = self.c
        if c is None or not s:
            return
        t = c.beginText(x, y)
        c.setFillColor(color)
        c.setStrokeColor(color)
        if bold:  # no bold face is installed: stroke the outline too (faux bold)
            c.setLineWidth(size / 40)
            t.setTextRenderMode(2)
        for face, part in fonts.runs(s, font):
            t.setFont(face, size)
            t.textOut(part)
        c.drawText(t)
        c.setFillColor(black)
        c.setStrokeColor(black)

    def wrap(self, s: str, font: str, size: float, width: float, indent: float = 0) -> list[str]:
        """Lines of at most `width` points (the first `indent` narrower); CJK text
        breaks between any two characters, and a line never starts with ，。；：、）."""
        lines: list[str] = []
        for para in s.split("\n"):
            line, room = "", width - indent
            for ch in para:
                if (
                    line
                    and fonts.width(line + ch, font, size) > room
                    and ch not in "，。；：、）》」"
                ):
                    lines.append(line)
                    line, room = "", width
                line += ch
            lines.append(line)
        return lines

    def centred(
        self, s: str, font: str, size: float, *, bold: bool = False, color: Color = black
    ) -> None:
        for line in self.wrap(s, font, size, self.width):
            self.room(size * 1.6)
            self.y -= size * 1.4
            x = self.left + (self.width - fonts.width(line, font, size)) / 2
            self.text(x, self.y, line, font, size, bold=bold, color=color)
        self.y -= size * 0.4

    def paragraph(
        self, s: str, *, size: float = 0, indent_chars: int = 2, font: str = BODY
    ) -> None:
        size = size or self.body_pt
        indent = indent_chars * size
        for i, line in enumerate(self.wrap(s, font, size, self.width, indent)):
            self.room(self.line_pt)
            self.y -= self.line_pt
            self.text(self.left + (indent if i == 0 else 0), self.y, line, font, size)

    def right(self, s: str, *, size: float = 0, margin_chars: int = 4) -> None:
        size = size or self.body_pt
        self.room(self.line_pt)
        self.y -= self.line_pt
        x = self.left + self.width - margin_chars * size - fonts.width(s, BODY, size)
        self.text(x, self.y, s, BODY, size)

    def gap(self, lines: float = 1) -> None:
        self.y -= self.line_pt * lines

    # --- tables ----------------------------------------------------------------------

    def row(self, label: str, value: str, *, min_lines: int = 1, label_ratio: float = 0.28) -> None:
        """One row of a bordered two-column table; a long value continues on the next
        page as a row of its own."""
        size, pad = self.table_pt, 2 * mm
        lw = self.width * label_ratio
        vw = self.width - lw
        # A label on one line where a smaller size allows (text extraction then reads a
        # row as label, value), wrapped only when even 9 pt is too wide.
        label_pt = size
        while label_pt > 9 and fonts.width(label, HEADING, label_pt) > lw - 2 * pad:
            label_pt -= 0.5
        label_lines = self.wrap(label, HEADING, label_pt, lw - 2 * pad)
        lines = self.wrap(value, BODY, size, vw - 2 * pad)
        lines += [""] * max(0, min_lines - len(lines))
        step = size * 1.5
        while lines:
            fit = max(1, int((self.y - self.bottom - 2 * pad) // step))
            if fit < min(len(lines), 2) and self.y < self.top:
                self.new_page()
                continue
            chunk, lines = lines[:fit], lines[fit:]
            height = max(len(chunk), len(label_lines)) * step + 2 * pad
            self._cell_box(lw, height)
            for i, line in enumerate(label_lines):
                self.text(
                    self.left + pad,
                    self.y - pad - (i + 1) * step + size * 0.3,
                    line,
                    HEADING,
                    label_pt,
                )
            for i, line in enumerate(chunk):
                self.text(
                    self.left + lw + pad,
                    self.y - pad - (i + 1) * step + size * 0.3,
                    line,
                    BODY,
                    size,
                )
            self.y -= height
            label_lines = [f"{label}（续）"] if lines else label_lines

    def grid(self, cells: list[str], widths: list[float], *, head: bool = False) -> None:
        """One row of a bordered table of several columns (widths as fractions)."""
        size, pad = self.small_pt + 1, 1.5 * mm
        cols = [w * self.width for w in widths]
        font = HEADING if head else BODY
        wrapped = [self.wrap(c, font, size, w - 2 * pad) for c, w in zip(cells, cols, strict=True)]
        height = max(len(w) for w in wrapped) * size * 1.45 + 2 * pad
        self.room(height)
        x = self.left
        for lines, w in zip(wrapped, cols, strict=True):
            if self.c is not None:
                self.c.setLineWidth(0.6)
                self.c.rect(x, self.y - height, w, height)
            for i, line in enumerate(lines):
                self.text(
                    x + pad, self.y - pad - (i + 1) * size * 1.45 + size * 0.3, line, font, size
                )
            x += w
        self.y -= height

    def _cell_box(self, lw: float, height: float) -> None:
        if self.c is None:
            return
        self.c.setLineWidth(0.6)
        self.c.rect(self.left, self.y - height, self.width, height)
        self.c.line(self.left + lw, self.y, self.left + lw, self.y - height)

    def seal(self, bureau: str, day: str) -> None:
        """The seal place (印章处): the bureau and the date right-aligned, in a dashed
        circle where the seal is pressed."""
        self.room(self.line_pt * 4)
        self.gap(1)
        self.right(bureau)
        self.right(day)
        if self.c is not None:
            r = 21 * mm
            cx = (
                self.left
                + self.width
                - 4 * self.body_pt
                - fonts.width(bureau, BODY, self.body_pt) / 2
            )
            self.c.setDash(3, 3)
            self.c.setStrokeColor(red)
            self.c.circle(cx, self.y + self.line_pt * 0.5, r)
            self.c.setDash()
            self.c.setStrokeColor(black)
            self.text(
                cx - fonts.width("（印章）", BODY, 9) / 2,
                self.y + self.line_pt * 0.5 - r + 4,
                "（印章）",
                BODY,
                9,
                color=red,
            )


def _canvas(meta: Meta) -> Canvas:
    c = Canvas(io.BytesIO(), pagesize=A4, invariant=1, initialFontName=BODY, pageCompression=1)
    c.setTitle(meta.title)
    c.setAuthor(meta.author)
    c.setSubject(meta.subject)
    c.setKeywords(meta.keywords)
    c.setCreator("Liuhen 留痕")
    _fix_dates(c, meta)
    return c


def _fix_dates(c: Canvas, meta: Meta) -> None:
    """Dates and the file ID from the document, not the clock: the same document always
    renders to the same bytes. ReportLab's invariant mode fixes them to 2000-01-01; we
    set them to the time the document took effect."""
    doc = c._doc
    moment = meta.issued.astimezone(UTC)
    stamp = doc._timeStamp
    stamp.t = calendar.timegm(moment.timetuple())
    stamp.lt = moment.timetuple()
    stamp.YMDhms = tuple(moment.timetuple())[:6]
    stamp.dhh = stamp.dmm = 0
    doc.updateSignature(meta.identity)


# ReportLab's registered TrueType fonts keep their subsetting state per font, shared by
# every document being drawn: two threads rendering at once broke each other's subsets
# (IndexError in ttfonts.addSubsetObjects once approvals rendered after their commit, in
# parallel). One rendering at a time per process; with the GIL it costs no throughput.
_RENDERING = threading.RLock()


def render(draw: Callable[[Pen], None], meta: Meta, *, footer: str = "", qr: str = "") -> bytes:
    """Lay out twice: count the pages, then draw them with 第 N 页 共 M 页."""
    with _RENDERING:
        dry = Pen(meta)
        draw(dry)
        pen = Pen(meta, total_pages=dry.page, footer=footer, qr=qr)
        draw(pen)
        return pen.finish()
