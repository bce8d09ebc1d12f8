"""The CJK fonts the printing embeds (docs/printing.md), installed by the Makefile from
Debian (`make system-packages`): TrueType collections, because ReportLab embeds glyf
outlines only (Debian's Noto CJK is CFF and will not load).

Each role has a face; a character the face lacks falls back to WenQuanYi Zen Hei and
then DejaVu Sans, so that no glyph prints as an empty box."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_DIRS = (Path("/usr/share/fonts/truetype"), Path("/usr/local/share/fonts"))


@dataclass(frozen=True)
class Face:
    name: str  # the name registered with ReportLab
    file: str  # relative to a font directory
    subfont: int = 0  # index within a .ttc collection
    package: str = ""  # the Debian package that carries it


# AR PL UMing CN (明体, the nearest free relative of 小标宋) for titles; AR PL UKai CN
# (楷体, the usual stand-in where 仿宋 is missing) for the body; Zen Hei (黑体) for
# headings and as the first fallback.
FACES = {
    "title": Face("UMingCN", "arphic/uming.ttc", 0, "fonts-arphic-uming"),
    "body": Face("UKaiCN", "arphic/ukai.ttc", 0, "fonts-arphic-ukai"),
    "heading": Face("ZenHei", "wqy/wqy-zenhei.ttc", 0, "fonts-wqy-zenhei"),
    "latin": Face("DejaVuSans", "dejavu/DejaVuSans.ttf", 0, "fonts-dejavu-core"),
}
FALLBACKS = ("heading", "latin")


class FontMissing(RuntimeError):
    """A font the printing needs is not installed: run `make system-packages`."""


def _path(face: Face) -> Path:
    extra = os.environ.get("LIUHEN_FONT_DIR")
    dirs = ((Path(extra),) if extra else ()) + FONT_DIRS
    for d in dirs:
        if (d / face.file).is_file():
            return d / face.file
    raise FontMissing(f"{face.file} ({face.package}) not found under {', '.join(map(str, dirs))}")


@cache
def register() -> dict[str, str]:
    """Register every face once per process; returns role → registered name."""
    for face in FACES.values():
        if face.name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(face.name, str(_path(face)), subfontIndex=face.subfont))
    return {role: face.name for role, face in FACES.items()}


@cache
def _cmap(name: str) -> frozenset[int]:
    return frozenset(pdfmetrics.getFont(name).face.charToGlyph)


def has_glyph(font: str, ch: str) -> bool:
    return ord(ch) in _cmap(font)


def face_for(font: str, ch: str) -> str:
    """`font` if it has the glyph, else the first fallback that has it."""
    if ch.isspace() or has_glyph(font, ch):
        return font
    for role in FALLBACKS:
        name = FACES[role].name
        if has_glyph(name, ch):
            return name
    return font


def runs(text: str, font: str) -> Iterator[tuple[str, str]]:
    """Split `text` into (font, text) runs, each drawn in a face that has its glyphs."""
    current, start = "", 0
    for i, ch in enumerate(text):
        f = face_for(font, ch)
        if f != current and i > start:
            yield current, text[start:i]
            start = i
        current = f
    if start < len(text):
        yield current, text[start:]


def width(text: str, font: str, size: float) -> float:
    return float(sum(pdfmetrics.stringWidth(t, f, size) for f, t in runs(text, font)))


def missing_glyphs(text: str, font: str) -> set[str]:
    """Characters no face can draw (the tests require none)."""
    return {ch for ch in text if not ch.isspace() and not has_glyph(face_for(font, ch), ch)}
