"""Typed document fields: one check of a form's content against its catalogue schema
(documents.yaml `fields`), for every draft and correction of every service.

A missing or malformed field is INVALID_ARGUMENT naming it (`content_json.<name>`) and
its Chinese label; an unknown field is refused too, so that a form has exactly the
fields the catalogue lists. Amounts are yuan as a decimal string with at most two
places ("5000", "5000.50"): the form prints what was typed and no float rounds it. No
I/O here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from liuhen.platform import jsoncontent
from liuhen.platform.catalogue import DocumentType, FieldSpec, period_days
from liuhen.platform.errors import InvalidArgument

# GB 32100-2015 法人和其他组织统一社会信用代码编码规则: 31 characters (no I, O, Z, S, V),
# weights 3^i mod 31 for the first 17 positions, check = 31 - (sum mod 31), 31 -> 0.
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
PERIOD_UNITS = ("working_days", "calendar_days")
AMOUNT = re.compile(r"(0|[1-9][0-9]*)(\.[0-9]{1,2})?")
PERSON_KEYS = ("name", "id_number", "role", "certificate_no", "unit")
EMPLOYER_KEYS = ("name", "uscc", "address", "legal_representative")


class Malformed(ValueError):
    """A value that is not of its field's type; the message says what it should be."""

    def __init__(self, message: str, message_zh: str) -> None:
        super().__init__(message)
        self.message_zh = message_zh


def uscc_check_digit(first17: str) -> str:
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31]


def is_valid_uscc(code: str) -> bool:
    """An 18-character unified social credit code whose last character is the check
    digit of the first 17 (GB 32100-2015 §4, §5); positions 3-8 are the division code."""
    if len(code) != 18 or any(c not in USCC_CHARS for c in code):
        return False
    if not code[2:8].isdigit():
        return False
    return uscc_check_digit(code[:17]) == code[17]


def _text(value: Any, spec: FieldSpec) -> str:
    if not isinstance(value, str):
        raise Malformed("must be text", "应为文本")
    if spec.max_length and len(value) > spec.max_length:
        raise Malformed(f"is longer than {spec.max_length} characters", f"超过{spec.max_length}字")
    return value


def _date(value: Any, spec: FieldSpec) -> str:
    try:
        if not isinstance(value, str) or len(value) != 10:
            raise ValueError
        date.fromisoformat(value)
    except ValueError:
        raise Malformed("must be a date YYYY-MM-DD", "日期格式应为 YYYY-MM-DD") from None
    return value


def _datetime(value: Any, spec: FieldSpec) -> str:
    try:
        if not isinstance(value, str) or "T" not in value:
            raise ValueError
        datetime.fromisoformat(value)
    except ValueError:
        raise Malformed(
            "must be an ISO 8601 date and time (2026-12-01T09:00:00+08:00)",
            "时间格式应为 ISO 8601（如 2026-12-01T09:00:00+08:00）",
        ) from None
    return value


def _amount(value: Any, spec: FieldSpec) -> str:
    if not isinstance(value, str) or not AMOUNT.fullmatch(value):
        raise Malformed(
            'must be yuan as a decimal string with at most 2 places ("5000.50")',
            "金额应为以元为单位、最多两位小数的字符串",
        )
    return value


def _integer(value: Any, spec: FieldSpec) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Malformed(f"must be a whole number, not {json.dumps(value)}", "应为整数")
    if spec.minimum is not None and value < spec.minimum:
        raise Malformed(f"must be at least {spec.minimum}", f"不得小于{spec.minimum}")
    return value


def _boolean(value: Any, spec: FieldSpec) -> bool:
    if not isinstance(value, bool):
        raise Malformed("must be true or false", "应为是或否")
    return value


def _choice(value: Any, spec: FieldSpec) -> str:
    if value not in spec.options:
        raise Malformed(f"must be one of {', '.join(spec.options)}", "不是可选值之一")
    return str(value)


def _object(value: Any, keys: tuple[str, ...], what: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise Malformed(f"must be an object {{{', '.join(keys)}}}", f"应为{what}")
    extra = sorted(set(value) - set(keys))
    if extra:
        raise Malformed(f"has unknown keys {', '.join(extra)}", f"{what}含未知项")
    if any(not isinstance(v, str) for v in value.values()):
        raise Malformed("holds text values only", f"{what}各项应为文本")
    if not str(value.get("name", "")).strip():
        raise Malformed("needs a name", f"{what}缺少名称")
    return dict(value)


def _person(value: Any, spec: FieldSpec) -> dict[str, str]:
    return _object(value, PERSON_KEYS, "人员")


def _person_list(value: Any, spec: FieldSpec) -> list[dict[str, str]]:
    if not isinstance(value, list) or not value:
        raise Malformed("must be a non-empty list of persons", "应为非空人员列表")
    return [_person(v, spec) for v in value]


def _employer(value: Any, spec: FieldSpec) -> dict[str, str]:
    employer = _object(value, EMPLOYER_KEYS, "用人单位")
    if not is_valid_uscc(employer.get("uscc", "")):
        raise Malformed(
            "needs its unified social credit code (uscc, 18 characters, check digit of "
            "GB 32100-2015)",
            "统一社会信用代码无效（18位，校验码按 GB 32100-2015）",
        )
    return employer


def _violations(value: Any, spec: FieldSpec) -> list[dict[str, str]]:
    if not isinstance(value, list) or not value:
        raise Malformed("must be a non-empty list of {fact, basis}", "应列明违法事实及依据")
    for v in value:
        if not isinstance(v, dict) or set(v) != {"fact", "basis"}:
            raise Malformed("each item is exactly {fact, basis}", "每项应含违法事实和法律依据")
        if not all(isinstance(x, str) and x.strip() for x in v.values()):
            raise Malformed("fact and basis are non-empty text", "违法事实和法律依据不得为空")
        if "第" not in v["basis"] and "Art" not in v["basis"]:
            raise Malformed("basis names the law and its article", "法律依据应写明法律名称及条款")
    return list(value)


def _period(value: Any, spec: FieldSpec) -> dict[str, Any]:
    ok = isinstance(value, dict) and set(value) == {"amount", "unit"}
    amount = value.get("amount") if ok else None
    if (
        not ok
        or isinstance(amount, bool)
        or not isinstance(amount, int)
        or amount <= 0
        or value["unit"] not in PERIOD_UNITS
    ):
        raise Malformed(
            "must be {amount: a positive whole number, unit: working_days|calendar_days}",
            "期限应为正整数并注明工作日或自然日",
        )
    return dict(value)


def _text_list(value: Any, spec: FieldSpec) -> list[str]:
    if not isinstance(value, list) or not value:
        raise Malformed("must be a non-empty list of text", "应为非空文本列表")
    return [_text(v, spec) for v in value]


CHECKS: Mapping[str, Callable[[Any, FieldSpec], Any]] = {
    "text": _text,
    "date": _date,
    "datetime": _datetime,
    "amount": _amount,
    "integer": _integer,
    "boolean": _boolean,
    "choice": _choice,
    "person": _person,
    "person_list": _person_list,
    "employer": _employer,
    "violations": _violations,
    "period": _period,
    "text_list": _text_list,
}


def is_empty(value: Any) -> bool:
    """Absent or blank (a boolean false and a zero are values)."""
    if isinstance(value, str):
        return not value.strip()
    return value is None or value == [] or value == {}


def _article(doc_type: DocumentType, spec: FieldSpec | None = None) -> str:
    return (spec.source if spec else "") or f"seed Art {doc_type.article}"


def validate(
    doc_type: DocumentType, content: Mapping[str, Any], *, closed: bool = True
) -> dict[str, Any]:
    """The content of a `doc_type` form, checked against its schema: every required
    field present, every field of its type, no field the form does not have. A document
    received from outside (`closed=False`: a court's ruling, the police's decision) keeps
    what else its author wrote."""
    unknown = sorted(set(content) - {f.name for f in doc_type.fields})
    if unknown and closed:
        raise InvalidArgument(
            "UNKNOWN_FIELD",
            f"a {doc_type.code} has no field {unknown[0]!r}; its fields are "
            f"{', '.join(f.name for f in doc_type.fields)}",
            f"{doc_type.zh}没有“{unknown[0]}”一项",
            article=_article(doc_type),
            field=f"content_json.{unknown[0]}",
        )
    _check_period(doc_type, content)
    out: dict[str, Any] = {k: content[k] for k in unknown}
    for spec in doc_type.fields:
        value = content.get(spec.name)
        if is_empty(value):
            if spec.required:
                raise InvalidArgument(
                    "MISSING_FIELD",
                    f"{doc_type.code} needs {spec.name} ({spec.label})",
                    f"{doc_type.zh}缺少必填项“{spec.label}”",
                    article=_article(doc_type, spec),
                    field=f"content_json.{spec.name}",
                )
            continue
        try:
            out[spec.name] = CHECKS[spec.type](value, spec)
        except Malformed as bad:
            raise InvalidArgument(
                "MALFORMED_FIELD",
                f"{spec.name} ({spec.label}) {bad}",
                f"“{spec.label}”{bad.message_zh}",
                article=_article(doc_type, spec),
                field=f"content_json.{spec.name}",
            ) from None
    return out


def _check_period(doc_type: DocumentType, content: Mapping[str, Any]) -> None:
    """An adjustable period (Art 28: 一般为10日, shortened or lengthened) stays within the
    catalogue's bounds (`deadline.max_days`)."""
    try:
        period_days(doc_type.deadline, content)
    except ValueError as exc:
        raise InvalidArgument(
            "BAD_PERIOD",
            str(exc),
            "改正期限应为合理的整天数",
            article=f"seed Art {doc_type.article}",
            field="content_json.period_days",
        ) from None


def parse(content_json: str) -> dict[str, Any]:
    """A form's content as sent: a JSON object, within the platform's limits on depth,
    numbers and size (jsoncontent.py)."""
    return jsoncontent.parse_object(content_json, "content_json")
