"""Every document type of the catalogue prints (docs/printing.md; seed Art 41, 45): its
title, number and every field value are in the PDF's text, every font is embedded, no
glyph is missing, and two renders are byte-identical."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from liuhen.platform.catalogue import DocumentType, documents
from liuhen.platform.printing import documents as printed
from liuhen.platform.printing import fonts, retention
from liuhen.platform.printing.forms import Signature, field_text, form, format_number, sheet
from liuhen.platform.printing.registry import normalise_code, verification_code
from tests.printing_support import fonts_embedded, pdf_text, squeeze

SAMPLE: dict[str, Any] = {
    "employer": {"name": "武汉某某建筑劳务有限公司", "uscc": "91420102MA4K12345G"},
    "violations": [{"fact": "拖欠12名劳动者工资", "basis": "《劳动保障监察条例》第二十六条"}],
    "period_days": 10,
    "grounds": "不属于劳动保障监察管辖范围",
}
EXAMPLES = {
    "text": "经查，情况属实",
    "date": "2026-11-30",
    "datetime": "2026-11-30T02:30:00+00:00",
    "amount": 186400,
    "integer": 12,
    "boolean": True,
    "text_list": ["工资表", "考勤表"],
    "person": {"name": "李四", "contact": "13800000000"},
    "employer": SAMPLE["employer"],
    "violations": SAMPLE["violations"],
    "period": {"amount": 10, "unit": "working_days"},
}


def content_for(t: DocumentType) -> dict[str, Any]:
    """All fields of the type's schema where the catalogue gives one, else a fixed sample."""
    specs = getattr(t, "fields", ())
    if not specs:
        return dict(SAMPLE)
    out = {}
    for s in specs:
        options = getattr(s, "options", ()) or ()
        out[s.name] = options[0] if s.type == "choice" and options else EXAMPLES.get(s.type, "内容")
    return out


def render(code: str) -> tuple[bytes, str, dict[str, Any]]:
    word = form(code).number
    number = format_number("jiangan", word, 2026, 12) if word else ""
    content = content_for(documents()[code])
    made = sheet(
        tenant="jiangan",
        document=f"cases/c/documents/{code}",
        type_code=code,
        content=content,
        number=number,
        case_number="江岸人社监立〔2026〕3号",
        addressee="武汉某某建筑劳务有限公司",
        signatures=[
            Signature("承办人", "承办人甲", "2026年11月30日"),
            Signature("本机构负责人", "负责人甲", "2026年12月1日", "同意"),
        ],
        issued=datetime(2026, 12, 1, 2, 30, tzinfo=UTC),
        code="K7QM-2XPA-9D",
    )
    return printed.pdf(made), number, content


@pytest.mark.parametrize("code", sorted(documents()))
def test_art41_every_document_type_prints_its_title_number_and_fields(code: str) -> None:
    data, number, content = render(code)
    text = pdf_text(data)
    assert squeeze(documents()[code].zh) in text
    assert number in text and "K7QM-2XPA-9D" in text and "第1页共" in text
    specs = {s.name: s for s in getattr(documents()[code], "fields", ())}
    for name, value in content.items():
        assert squeeze(field_text(value, specs.get(name))) in text, name


def test_art26_37_a_choice_prints_its_chinese_label() -> None:
    specs = {s.name: s for s in documents()["service_receipt"].fields}
    assert field_text("left_at_premises", specs["method"]) == "留置送达"
    data, _, content = render("written_statement")
    assert content["reason"] == "equipment_failure" and "设备故障" in pdf_text(data)


def test_fonts_are_embedded_and_no_glyph_is_missing() -> None:
    data, _, _ = render("rectification_order")
    listed = fonts_embedded(data)
    assert listed and all(emb == "yes" for _, emb in listed)
    every = "".join(t.zh for t in documents().values()) + "〔〕号第页共（）：；、"
    fonts.register()
    assert fonts.missing_glyphs(every, fonts.FACES["body"].name) == set()


def test_two_renders_of_the_same_document_are_byte_identical() -> None:
    assert render("penalty_decision")[0] == render("penalty_decision")[0]
    assert render("filing_approval")[0] != render("closing_approval")[0]


def test_number_and_code_formats() -> None:
    assert format_number("jiangan", "限改", 2026, 12) == "江岸人社监限改〔2026〕12号"
    assert format_number("wuhan", "罚", 2026, 1) == "武人社监罚〔2026〕1号"
    code = verification_code("jiangan", "cases/c/documents/d")
    assert len(code) == 12 and normalise_code(code.lower().replace("-", "")) == code


def test_art43_retention_follows_the_kind_of_case() -> None:
    assert retention.for_case(major=True, effective_types=()).years is None
    assert (
        retention.for_case(major=False, effective_types=["criminal_referral_letter"]).label
        == "永久"
    )
    assert retention.for_case(major=False, effective_types=["penalty_decision"]).years == 30
    assert retention.for_case(major=False, effective_types=["rectification_order"]).years == 10


def test_art43_a_deployments_own_period_replaces_the_catalogues_with_its_source() -> None:
    kept = retention.for_case(
        major=False, effective_types=["penalty_decision"], overrides={"decided": 50}
    )
    assert (kept.kind, kept.label) == ("decided", "50年")
    assert kept.source == retention.OVERRIDE_SOURCE and "第四十三条" in kept.source_zh
    other = retention.for_case(major=False, effective_types=[], overrides={"decided": 50})
    assert (other.kind, other.years) == ("other", 10)  # a kind it does not set: the catalogue's
