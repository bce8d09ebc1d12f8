"""How long a case file and its prints are kept (seed Art 43), from
`catalog/retention.yaml` and its legal sources."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import yaml

from liuhen.platform.catalogue import HERE


@dataclass(frozen=True)
class Retention:
    kind: str
    zh: str
    years: int | None  # None: permanent (永久)
    source: str
    source_zh: str = ""  # the source as the cover prints it

    @property
    def label(self) -> str:
        return "永久" if self.years is None else f"{self.years}年"

    def lock_years(self) -> int:
        return (
            self.years if self.years is not None else int(_raw()["object_lock_years_for_permanent"])
        )


@cache
def _raw() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((HERE / "retention.yaml").read_text("utf-8"))
    return loaded


def default_years() -> int:
    return int(_raw()["default_years"])


# Where a deployment's own period (LIUHEN_RETENTION_YEARS, the chart's
# config.retention.kinds) replaces the catalogue's: Art 43's second sentence.
OVERRIDE_SOURCE = "seed Art 43 (a superior organisation's rule): LIUHEN_RETENTION_YEARS"
OVERRIDE_SOURCE_ZH = "《办法》第四十三条：上级劳动保障监察机构的规定"


def for_case(
    *,
    major: bool,
    effective_types: Iterable[str],
    overrides: Mapping[str, int | None] | None = None,
) -> Retention:
    """The first kind in the catalogue that the case meets, with the deployment's own
    period for that kind where it sets one."""
    types = set(effective_types)
    for k in _raw()["kinds"]:
        hit = (k.get("when_major") and major) or types & set(k.get("when_effective", ()))
        if hit or not (k.get("when_major") or k.get("when_effective")):
            if overrides and k["kind"] in overrides:
                years = overrides[k["kind"]]
                return Retention(k["kind"], k["zh"], years, OVERRIDE_SOURCE, OVERRIDE_SOURCE_ZH)
            years = None if k["years"] == "permanent" else int(k["years"])
            return Retention(k["kind"], k["zh"], years, k["source"], k.get("source_zh", ""))
    raise LookupError("retention.yaml names no kind for every case")


def until(start: datetime, years: int) -> datetime:
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February
        return start.replace(year=start.year + years, month=3, day=1)


def kinds() -> tuple[str, ...]:
    """The case kinds of the catalogue, in the order they are tried."""
    return tuple(str(k["kind"]) for k in _raw()["kinds"])


def catalogue_years(kind: str) -> int | None:
    """A kind's period in the catalogue (None: permanent)."""
    for k in _raw()["kinds"]:
        if k["kind"] == kind:
            return None if k["years"] == "permanent" else int(k["years"])
    raise LookupError(f"retention.yaml has no case kind {kind!r}")


def parse_years(text: str) -> dict[str, int | None]:
    """`kind=years|permanent,...` (LIUHEN_RETENTION_YEARS, the chart's `retention.kinds`):
    a superior organisation's own periods (Art 43 second sentence), each a kind of the
    catalogue; a kind not named keeps the catalogue's period. ValueError names the fault."""
    out: dict[str, int | None] = {}
    for pair in filter(None, (p.strip() for p in text.split(","))):
        kind, sep, value = pair.partition("=")
        kind, value = kind.strip(), value.strip()
        if not sep or kind not in kinds():
            raise ValueError(f"{pair!r}: not kind=years of a kind in {', '.join(kinds())}")
        if value == "permanent":
            out[kind] = None
        elif value.isdigit() and 1 <= int(value) <= 1000:
            out[kind] = int(value)
        else:
            raise ValueError(f"{pair!r}: the years must be 1 to 1000 or 'permanent'")
    return out


def lock_years_for(years: int | None) -> int:
    """The Object Lock term of a period (permanent: `object_lock_years_for_permanent`)."""
    return years if years is not None else int(_raw()["object_lock_years_for_permanent"])
