"""The recording chapter's catalogue values (liuhen/platform/catalog/recording.yaml)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any

import yaml

from liuhen.platform.catalogue import HERE


@dataclass(frozen=True)
class RecordingRules:
    gap: timedelta  # longer than this between segments: an interruption (Art 24(3), 26)
    gap_source: str
    reasons: dict[str, str]  # Art 26's objective causes, code -> 中文
    statement_type: str  # the catalogue's 书面说明 (Art 26)
    kinds: dict[str, str]
    note_fields: tuple[str, ...]  # Art 41's note on an image


@cache
def rules() -> RecordingRules:
    data: Any = yaml.safe_load((HERE / "recording.yaml").read_text(encoding="utf-8"))
    gap = data["interruption"]
    return RecordingRules(
        gap=timedelta(seconds=int(gap["gap_seconds"])),
        gap_source=str(gap["source"]),
        reasons={str(k): str(v) for k, v in gap["reasons"].items()},
        statement_type=str(gap["statement_type"]),
        kinds={str(k): str(v) for k, v in data["kinds"].items()},
        note_fields=tuple(data["image_note"]["fields"]),
    )
