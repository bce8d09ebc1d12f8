"""Valid content for any document type, built from its catalogue schema (documents.yaml
`fields`): what the tests draft when a test is not about the fields themselves."""

from __future__ import annotations

from typing import Any

from liuhen.platform.catalogue import FieldSpec, document_type

# Real unified social credit codes (GB 32100-2015 check digit correct): Huawei,
# Alibaba (China), Tencent; and one made for the tests with its check digit computed.
VALID_USCC = ("914403001922038216", "91330100716105852F", "9144030071526726XG")
EMPLOYER = {
    "name": "武汉某建筑工程有限公司",
    "uscc": "91420102MA4KLY3N27",
    "address": "武汉市江岸区解放大道1号",
    "legal_representative": "王五",
}
OFFICERS = [
    {"name": "承办人甲", "unit": "江岸区劳动保障监察大队", "certificate_no": "JA-0201"},
    {"name": "承办人乙", "unit": "江岸区劳动保障监察大队", "certificate_no": "JA-0202"},
]
VIOLATIONS = [
    {
        "fact": "拖欠3名劳动者2026年9月至10月工资共计45000元",
        "basis": "《劳动保障监察条例》第二十六条",
    }
]


def sample_value(spec: FieldSpec) -> Any:
    """A valid value of a field of this type."""
    text = f"{spec.label}（示例）"
    by_type: dict[str, Any] = {
        "text": text[: spec.max_length] if spec.max_length else text,
        "date": "2026-11-30",
        "datetime": "2026-11-30T09:00:00+08:00",
        "amount": "5000.00",
        "integer": max(spec.minimum or 1, 1),
        "boolean": True,
        "choice": spec.options[0] if spec.options else "",
        "person": {"name": "张三", "role": spec.label},
        "person_list": OFFICERS,
        "employer": EMPLOYER,
        "violations": VIOLATIONS,
        "period": {"amount": 10, "unit": "calendar_days"},
        "text_list": [text],
    }
    return by_type[spec.type]


def sample_content(type_code: str, *, required_only: bool = True, **values: Any) -> dict[str, Any]:
    """Every required field of the type (all fields, unless `required_only`), with a valid
    value; `values` replace or add fields."""
    out = {
        f.name: sample_value(f)
        for f in document_type(type_code).fields
        if f.required or not required_only
    }
    return {**out, **values}
