"""The sizes a request may carry, from `catalog/limits.yaml`: one default per kind of
field and named exceptions (issue 10; DESIGN §8)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent / "catalog"


@dataclass(frozen=True)
class Limits:
    message_bytes: int
    kinds: dict[str, int]
    text_fields: frozenset[str]
    exceptions: dict[str, int]
    earliest: datetime
    latest: datetime
    json_depth: int
    json_number_chars: int

    def kind_of(self, field_name: str) -> str:
        """`json`, `text` or `string`: the kind of a string field, by its name."""
        if field_name.endswith("_json"):
            return "json"
        return "text" if field_name in self.text_fields else "string"

    def chars(self, full_name: str, field_name: str) -> int:
        """How many characters a string field may hold."""
        return self.exceptions.get(full_name, self.kinds[self.kind_of(field_name)])


@cache
def limits() -> Limits:
    data: dict[str, Any] = yaml.safe_load((HERE / "limits.yaml").read_text(encoding="utf-8"))
    return Limits(
        message_bytes=int(data["message_bytes"]),
        kinds={k: int(v) for k, v in data["kinds"].items()},
        text_fields=frozenset(data["text_fields"]),
        exceptions={k: int(v) for k, v in data["exceptions"].items()},
        earliest=datetime.fromisoformat(data["timestamps"]["earliest"]),
        latest=datetime.fromisoformat(data["timestamps"]["latest"]),
        json_depth=int(data["json"]["depth"]),
        json_number_chars=int(data["json"]["number_chars"]),
    )
