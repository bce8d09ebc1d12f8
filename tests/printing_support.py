"""Helpers for the printing tests: the text of a PDF (pdftotext) and its fonts (pdffonts),
both from poppler-utils, which `make system-packages` installs."""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path


def _run(tool: str, data: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        Path(f.name).write_bytes(data)
        out = subprocess.run(
            [tool, f.name, "-"] if tool == "pdftotext" else [tool, f.name],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
    return out.stdout


def pdf_text(data: bytes) -> str:
    """The PDF's text without whitespace (lines wrap anywhere in CJK text)."""
    return re.sub(r"\s+", "", _run("pdftotext", data))


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def fonts_embedded(data: bytes) -> list[tuple[str, str]]:
    """(font name, emb) for every font pdffonts lists."""
    lines = _run("pdffonts", data).splitlines()[2:]
    return [(line.split()[0], line.split()[-5]) for line in lines if line.strip()]
