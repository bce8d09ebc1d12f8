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
    field_kinds: dict[str, str]
    exceptions: dict[str, int]
    earliest: datetime
    latest: datetime
    json_depth: int
    json_number_chars: int

    def kind_of(self, field_name: str) -> str:
        """The kind of a string field, by its name."""
        if field_name.endswith("_json"):
            return "json"
        return self.field_kinds.get(field_name, "string")

    def chars(self, full_name: str) -> int:
        """How many characters the string field `package.Message.field` may hold."""
        field_name = full_name.rpartition(".")[2]
        return self.exceptions.get(full_name, self.kinds[self.kind_of(field_name)])


@cache
def limits() -> Limits:
    data: dict[str, Any] = yaml.safe_load((HERE / "limits.yaml").read_text(encoding="utf-8"))
    return Limits(
        message_bytes=int(data["message_bytes"]),
        kinds={k: int(v) for k, v in data["kinds"].items()},
        field_kinds={name: kind for kind, names in data["fields"].items() for name in names},
        exceptions={k: int(v) for k, v in data["exceptions"].items()},
        earliest=datetime.fromisoformat(data["timestamps"]["earliest"]),
        latest=datetime.fromisoformat(data["timestamps"]["latest"]),
        json_depth=int(data["json"]["depth"]),
        json_number_chars=int(data["json"]["number_chars"]),
    )
