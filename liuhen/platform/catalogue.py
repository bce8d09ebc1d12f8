"""The project's own catalogues: documents, deadline rules, roles, sites and routes.

Loaded once from `liuhen/platform/catalog/*.yaml` (the project's copy of the reference
catalogues; nothing reads `../shared` at run time).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from liuhen.platform.errors import InvalidArgument

HERE = Path(__file__).parent / "catalog"


def _load(name: str) -> Any:
    return yaml.safe_load((HERE / name).read_text(encoding="utf-8"))


def _list(value: Any) -> tuple[Any, ...]:
    if value is None:
        return ()
    return tuple(value) if isinstance(value, list) else (value,)


@dataclass(frozen=True)
class DocumentType:
    """One enforcement document (执法文书) and its workflow, as the catalogue says."""

    code: str
    zh: str
    stage: str
    articles: tuple[int, ...]
    drafted_by: tuple[str, ...]
    approval: tuple[str, ...]
    served_to: tuple[str, ...] = ()
    requires_effective: str = ""
    decision_document: bool = False
    deadline: Mapping[str, Any] = field(default_factory=dict)
    required: tuple[str, ...] = ()

    @property
    def article(self) -> int:
        return self.articles[0] if self.articles else 0


@dataclass(frozen=True)
class DeadlineRule:
    rule: str
    what: str
    amount: int
    unit: str
    source: str
    extended_amount: int = 0


@dataclass(frozen=True)
class Site:
    id: str
    zh: str
    level: str
    division_code: str


@cache
def documents() -> Mapping[str, DocumentType]:
    out = {}
    for d in _load("documents.yaml")["documents"]:
        out[d["code"]] = DocumentType(
            code=d["code"],
            zh=d["zh"],
            stage=d["stage"],
            articles=_list(d.get("article")),
            drafted_by=_list(d.get("drafted_by")),
            approval=_list(d.get("approval")),
            served_to=_list(d.get("served_to")),
            requires_effective=d.get("requires_effective", ""),
            decision_document=bool(d.get("decision_document", False)),
            deadline=d.get("deadline", {}),
            required=_list(d.get("required")),
        )
    return out


def document_type(code: str) -> DocumentType:
    try:
        return documents()[code]
    except KeyError:
        raise InvalidArgument(
            "UNKNOWN_DOCUMENT_TYPE",
            f"no document type {code!r} in the catalogue",
            f"文书目录中没有 {code!r}",
            field="type",
        ) from None


@cache
def deadline_rules() -> Mapping[str, DeadlineRule]:
    return {
        name: DeadlineRule(
            rule=name,
            what=r["what"],
            amount=int(r["amount"]),
            unit=r["unit"],
            source=r["source"],
            extended_amount=int(r.get("extended_amount", 0)),
        )
        for name, r in _load("deadlines.yaml")["rules"].items()
    }


@cache
def sites() -> Mapping[str, Site]:
    return {
        t["id"]: Site(t["id"], t["zh"], t["level"], str(t["division_code"]))
        for t in _load("sites.yaml")["tenants"]
    }


def witness_of(site_id: str) -> str:
    """The site that witnesses `site_id`'s ledger log (sites.yaml `witnesses`)."""
    return str(_load("sites.yaml")["witnesses"][sites()[site_id].level])


def site(site_id: str, field_name: str = "recipient") -> Site:
    try:
        return sites()[site_id]
    except KeyError:
        raise InvalidArgument(
            "UNKNOWN_SITE",
            f"{site_id!r} is not a site of this city",
            f"{site_id!r} 不是本市的监察机构",
            field=field_name,
        ) from None
