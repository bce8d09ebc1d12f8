"""A document's form, built from the typed fields its type describes (cases
GetDocumentType, docs/documents.md), and the posted form turned back into content_json.

The console checks nothing itself: what it cannot parse it passes on as written, and
the service's refusal (naming `content_json.<field>`) is shown beside that field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from liuhen.cases.v1 import cases_pb2 as cpb
from liuhen.console.backend import Refusal

# How a compound field is entered: the parts of a person and an employer, and the
# columns of one line of a list ("甲 | 乙 | 丙").
PERSON_PARTS = (("name", "姓名"), ("unit", "单位"), ("certificate_no", "证件号"))
EMPLOYER_PARTS = (
    ("name", "名称"),
    ("uscc", "统一社会信用代码"),
    ("address", "地址"),
    ("legal_representative", "法定代表人"),
)
LINE_COLUMNS = {
    "person_list": ("name", "unit", "certificate_no"),
    "violations": ("fact", "basis"),
}
HINTS = {
    "person_list": "每行一人：姓名 | 单位 | 执法证号",
    "violations": "每行一项：违法事实 | 法律依据（法律及条款）",
    "text_list": "每行一项",
    "amount": "元，至多两位小数，如 5000.50",
    "datetime": "如 2026-12-01T09:00",
}


@dataclass(frozen=True)
class Field:
    """One field as the template draws it."""

    name: str
    label: str
    kind: str  # the FieldType without its prefix, lower case: text, date, person, ...
    required: bool
    options: tuple[str, ...]
    max_length: int
    source: str
    hint: str


def fields_of(doc_type: cpb.DocumentType) -> list[Field]:
    return [
        Field(
            name=f.name,
            label=f.label,
            kind=cpb.FieldType.Name(f.type).removeprefix("FIELD_TYPE_").lower(),
            required=f.required,
            options=tuple(f.options),
            max_length=f.max_length,
            source=f.source,
            hint=HINTS.get(cpb.FieldType.Name(f.type).removeprefix("FIELD_TYPE_").lower(), ""),
        )
        for f in doc_type.fields
    ]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _columns(line: str, keys: tuple[str, ...]) -> dict[str, str]:
    parts = [p.strip() for p in line.split("|")]
    return {k: v for k, v in zip(keys, parts, strict=False) if v}


def _integer(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        return text  # the service names the field


def _value(f: Field, form: Mapping[str, str]) -> Any:
    """The field's value, or None when left empty."""
    raw = form.get(f"f.{f.name}", "").strip()
    if f.kind == "boolean":
        return form.get(f"f.{f.name}") == "on"
    if f.kind in ("person", "employer"):
        parts = PERSON_PARTS if f.kind == "person" else EMPLOYER_PARTS
        value = {k: form.get(f"f.{f.name}.{k}", "").strip() for k, _ in parts}
        value = {k: v for k, v in value.items() if v}
        return value or None
    if f.kind == "period":
        amount = form.get(f"f.{f.name}.amount", "").strip()
        unit = form.get(f"f.{f.name}.unit", "working_days")
        return {"amount": _integer(amount), "unit": unit} if amount else None
    if not raw:
        return None
    if f.kind == "integer":
        return _integer(raw)
    if f.kind == "datetime" and len(raw) == 16:
        return f"{raw}:00+08:00"  # a datetime-local input: Wuhan time
    if f.kind in LINE_COLUMNS:
        return [_columns(line, LINE_COLUMNS[f.kind]) for line in _lines(raw)]
    if f.kind == "text_list":
        return _lines(raw)
    return raw


def content_json(fields: list[Field], form: Mapping[str, str]) -> str:
    """The posted form as the document's content (fields left empty are left out)."""
    content = {}
    for f in fields:
        value = _value(f, form)
        if value is not None and not (f.kind == "boolean" and not value and not f.required):
            content[f.name] = value
    return json.dumps(content, ensure_ascii=False)


def errors_beside(
    fields: list[Field], refusal: Refusal, extra: tuple[str, ...] = ()
) -> dict[str, Refusal]:
    """The refusal beside each form field it names: a document field as
    `content_json.<field>` (ErrorInfo's field or a BadRequest.FieldViolation), or one
    of the request's own fields in `extra` (e.g. `recipient`)."""
    out = {}
    for name, at in [(f.name, f"content_json.{f.name}") for f in fields] + [(x, x) for x in extra]:
        said = refusal.on(at)
        if said:
            out[name] = replace(refusal, message=said)
    return out
