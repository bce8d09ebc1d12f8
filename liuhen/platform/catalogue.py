"""The project's own catalogues: documents, deadline rules, roles, sites and routes,
the Chinese names of the states.

Loaded once from `liuhen/platform/catalog/*.yaml` (the project's copy of the reference
catalogues; nothing reads `../shared` at run time).
"""

from __future__ import annotations

import json
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


LEVELS = ("city", "district")
FIELD_TYPES = (
    "text",
    "date",
    "datetime",
    "amount",
    "integer",
    "boolean",
    "choice",
    "person",
    "person_list",
    "employer",
    "violations",
    "period",
    "text_list",
)


@dataclass(frozen=True)
class FieldSpec:
    """One field of a document's form (documents.yaml `fields`, checked by fields.py)."""

    name: str
    label: str  # the form's Chinese label, named in a refusal
    type: str  # one of FIELD_TYPES
    required: bool
    options: tuple[str, ...] = ()  # a choice's values
    option_labels: tuple[tuple[str, str], ...] = ()  # (value, what the form prints)
    max_length: int = 0  # a text's limit in characters (0: none)
    minimum: int | None = None  # an integer's least value
    source: str = ""  # the law or article that demands the field


@dataclass(frozen=True)
class DocumentType:
    """One enforcement document (执法文书) and its workflow, as the catalogue says."""

    code: str
    zh: str
    stage: str
    articles: tuple[int, ...]
    drafted_by: tuple[str, ...]  # every role that drafts it, at any level
    approval: tuple[str, ...]
    served_to: tuple[str, ...] = ()
    requires_effective: str = ""
    decision_document: bool = False
    deadline: Mapping[str, Any] = field(default_factory=dict)
    fields: tuple[FieldSpec, ...] = ()
    # level (city, district) -> the roles that draft it there; a level absent: not there
    drafters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    recorded_by: tuple[str, ...] = ()  # who records a form an outsider fills in
    inbound: bool = False  # received from outside through routing

    @property
    def article(self) -> int:
        return self.articles[0] if self.articles else 0

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.required)

    def field_spec(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)

    def drafters_at(self, level: str) -> tuple[str, ...]:
        """The roles that draft it (or record it) at a city or a district."""
        return (*self.drafters.get(level, ()), *self.recorded_by)


@dataclass(frozen=True)
class DeadlineRule:
    rule: str
    what: str
    amount: int
    unit: str
    source: str
    extended_amount: int = 0
    late_allowed: bool = True  # a step after the due date is recorded late, not refused
    replaced_by: tuple[str, ...] = ()  # documents that settle it through another route
    zh: str = ""  # what, in the officers' words (the console shows it)


@dataclass(frozen=True)
class Site:
    id: str
    zh: str
    level: str
    division_code: str


def _field(f: Mapping[str, Any]) -> FieldSpec:
    if f["type"] not in FIELD_TYPES:
        raise ValueError(f"documents.yaml: field {f['name']} has unknown type {f['type']!r}")
    # A choice's options: a list of values, or {value: the Chinese the form prints}.
    raw = f.get("options") or {}
    options = {str(k): str(v) for k, v in raw.items()} if isinstance(raw, Mapping) else {}
    options = options or {str(v): "" for v in _list(raw)}
    return FieldSpec(
        name=f["name"],
        label=f["label"],
        type=f["type"],
        required=bool(f["required"]),
        options=tuple(options),
        option_labels=tuple((k, v) for k, v in options.items() if v),
        max_length=int(f.get("max_length", 0)),
        minimum=f.get("min"),
        source=str(f.get("source", "")),
    )


def _drafters(value: Any) -> dict[str, tuple[str, ...]]:
    """`drafted_by: [roles]` (the same at every level) or `{city: [...], district: [...]}`."""
    if isinstance(value, Mapping):
        return {level: _list(value.get(level)) for level in LEVELS if value.get(level)}
    return {level: _list(value) for level in LEVELS}


def _document(d: Mapping[str, Any]) -> DocumentType:
    drafters = _drafters(d.get("drafted_by"))
    return DocumentType(
        code=d["code"],
        zh=d["zh"],
        stage=d["stage"],
        articles=_list(d.get("article")),
        drafted_by=tuple(dict.fromkeys(r for roles in drafters.values() for r in roles)),
        approval=_list(d.get("approval")),
        served_to=_list(d.get("served_to")),
        requires_effective=d.get("requires_effective", ""),
        decision_document=bool(d.get("decision_document", False)),
        deadline=d.get("deadline", {}),
        fields=tuple(_field(f) for f in d.get("fields") or ()),
        drafters=drafters,
        recorded_by=_list(d.get("recorded_by")),
        inbound=bool(d.get("inbound", False)),
    )


@cache
def documents() -> Mapping[str, DocumentType]:
    return {d["code"]: _document(d) for d in _load("documents.yaml")["documents"]}


@cache
def drafted_in(state: str) -> tuple[str, ...]:
    """The documents a case in `state` may have drafted next (documents.yaml
    `from_states`): the next steps a work list names."""
    return tuple(
        d["code"] for d in _load("documents.yaml")["documents"] if state in d.get("from_states", ())
    )


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


def period_days(deadline: Mapping[str, Any], content: Mapping[str, Any]) -> int | None:
    """The period a document sets where its deadline is `adjustable` (Art 28: 一般为10日，
    特殊情况予以缩短或延长): `period_days` in its content, whole days from 1 to the
    deadline's `max_days`; None when the content keeps the default. ValueError otherwise."""
    if not deadline.get("adjustable") or "period_days" not in content:
        return None
    days, most = content["period_days"], int(deadline.get("max_days", 365))
    if isinstance(days, bool) or not isinstance(days, int) or not 0 < days <= most:
        shown = json.dumps(days)[:40]
        raise ValueError(f"period_days must be whole days from 1 to {most}, not {shown}")
    return days


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
            late_allowed=bool(r.get("late_allowed", True)),
            replaced_by=_list(r.get("replaced_by")),
            zh=str(r.get("zh", "")),
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


@dataclass(frozen=True)
class StateName:
    """The Chinese name of an intake's or a case's state (states.yaml) and its source."""

    state: str
    zh: str
    source: str


@cache
def state_names(subject: str) -> Mapping[str, StateName]:
    """Every state of `subject` ("intake" or "case") with its Chinese name."""
    return {
        state: StateName(state, str(v["zh"]), str(v["source"]))
        for state, v in _load("states.yaml")[subject].items()
    }


def state_zh(subject: str, state: str) -> str:
    """The state as the cover and the console show it: 限期改正中 for `rectifying`; a state
    the catalogue does not name yet shows as it is (tests/unit/test_state_names.py keeps
    the catalogue complete)."""
    known = state_names(subject).get(state)
    return known.zh if known else state
