"""Typed document fields (DESIGN §4): every type of the catalogue has a schema, a valid
form passes, a form without a required field or with a malformed one is refused naming
the field and its Chinese label; the unified social credit code's check digit
(GB 32100-2015)."""

from __future__ import annotations

from typing import Any

import pytest

from liuhen.platform import fields
from liuhen.platform.catalogue import FIELD_TYPES, document_type, documents
from liuhen.platform.errors import InvalidArgument
from tests.samples import EMPLOYER, VALID_USCC, sample_content

CODES = sorted(documents())
REQUIRED = [(code, f.name) for code in CODES for f in document_type(code).fields if f.required]


def refused(code: str, content: dict[str, Any]) -> InvalidArgument:
    with pytest.raises(InvalidArgument) as err:
        fields.validate(document_type(code), content)
    return err.value


@pytest.mark.parametrize("code", (*VALID_USCC, EMPLOYER["uscc"]))
def test_gb32100_real_codes_pass_the_check_digit(code: str) -> None:
    assert fields.is_valid_uscc(code)
    assert fields.uscc_check_digit(code[:17]) == code[17]


@pytest.mark.parametrize(
    "code",
    [
        "914403001922038217",  # Huawei's with the check digit changed
        "91330100716105852E",  # Alibaba's, likewise
        "9144030071526726GX",  # two characters swapped
        "91440300192203821",  # 17 characters
        "9144030019220382I6",  # I is not in the code's character set
        "91AB03001922038216",  # positions 3-8 are the division code (digits)
    ],
)
def test_gb32100_a_corrupted_code_is_refused(code: str) -> None:
    assert not fields.is_valid_uscc(code)


def test_gb32100_an_employer_with_a_corrupted_code_is_refused_naming_the_field() -> None:
    bad = sample_content("rectification_order", employer={**EMPLOYER, "uscc": "914403001922038217"})
    err = refused("rectification_order", bad)
    assert (err.reason, err.field) == ("MALFORMED_FIELD", "content_json.employer")
    assert "统一社会信用代码" in err.message_zh and "用人单位" in err.message_zh


@pytest.mark.parametrize("code", CODES)
def test_design4_every_document_type_has_typed_fields(code: str) -> None:
    t = document_type(code)
    assert t.fields, f"{code} has no field schema"
    assert all(f.type in FIELD_TYPES and f.label for f in t.fields)
    assert all(f.options for f in t.fields if f.type == "choice")


@pytest.mark.parametrize("code", CODES)
def test_design4_a_form_with_every_field_valid_passes(code: str) -> None:
    full = sample_content(code, required_only=False)
    assert fields.validate(document_type(code), full) == full
    required = sample_content(code)
    assert fields.validate(document_type(code), required) == required


@pytest.mark.parametrize(("code", "name"), REQUIRED)
def test_design8_a_form_without_a_required_field_is_refused_naming_it(code: str, name: str) -> None:
    content = sample_content(code)
    label = document_type(code).field_spec(name).label  # type: ignore[union-attr]
    for missing in ({k: v for k, v in content.items() if k != name}, {**content, name: " "}):
        err = refused(code, missing)
        assert (err.reason, err.field) == ("MISSING_FIELD", f"content_json.{name}")
        assert label in err.message_zh


def test_design8_a_field_the_form_does_not_have_is_refused() -> None:
    err = refused("closing_approval", sample_content("closing_approval", reasons="typo"))
    assert (err.reason, err.field) == ("UNKNOWN_FIELD", "content_json.reasons")


def test_design8_a_document_from_outside_keeps_what_else_its_author_wrote() -> None:
    t = document_type("police_filing_decision")
    assert fields.validate(t, {"filed": False, "case_no": "X"}, closed=False)["case_no"] == "X"
    with pytest.raises(InvalidArgument):
        fields.validate(t, {"case_no": "X"}, closed=False)


@pytest.mark.parametrize(
    ("code", "name", "value"),
    [
        ("rectification_order", "violations", "欠薪"),
        ("rectification_order", "violations", [{"fact": "欠薪"}]),
        ("rectification_order", "violations", [{"fact": "欠薪", "basis": "劳动法"}]),
        ("rectification_order", "employer", {"name": "某公司"}),
        ("rectification_order", "employer", {**EMPLOYER, "boss": "x"}),
        ("statement_waiver", "waived_on", "2026/11/30"),
        ("hearing_notice", "time", "2026-12-01 09:00"),
        ("hearing_notice", "time", "tomorrow"),
        ("penalty_decision", "fine", 5000),
        ("penalty_decision", "fine", "5000.505"),
        ("penalty_decision", "fine", "-1"),
        ("penalty_decision", "performance_period", {"amount": 15, "unit": "weeks"}),
        ("penalty_decision", "performance_period", {"amount": 0, "unit": "calendar_days"}),
        ("service_receipt", "method", "carrier_pigeon"),
        ("statement_deliberation", "proceed", "yes"),
        ("referral_materials_list", "items", "询问笔录"),
        ("evidence_annotation_sheet", "recorder", {"role": "承办人"}),
        ("interview_record", "officers", [{"name": "甲", "badge": "1"}]),
        ("closing_approval", "reason", "x" * 2001),
        ("evidence_bag_label", "quantity", 0),
    ],
)
def test_design8_a_malformed_field_is_refused_naming_it(code: str, name: str, value: Any) -> None:
    err = refused(code, sample_content(code, **{name: value}))
    assert (err.reason, err.field) == ("MALFORMED_FIELD", f"content_json.{name}")


@pytest.mark.parametrize("fine", ["5000", "5000.5", "5000.50", "0.01"])
def test_amounts_are_yuan_with_at_most_two_places(fine: str) -> None:
    content = sample_content("penalty_decision", fine=fine)
    assert fields.validate(document_type("penalty_decision"), content)["fine"] == fine


@pytest.mark.parametrize("days", [-3, 0, True, "十日", 366])
def test_art28_a_bad_period_is_refused_by_its_own_rule_naming_its_source(days: Any) -> None:
    err = refused("rectification_order", sample_content("rectification_order", period_days=days))
    assert (err.reason, err.field) == ("BAD_PERIOD", "content_json.period_days")
    assert err.article == "seed Art 28"


def test_content_is_a_json_object() -> None:
    assert fields.parse('{"a": 1}') == {"a": 1}
    for bad in ("[]", "not json", "3"):
        with pytest.raises(InvalidArgument) as err:
            fields.parse(bad)
        assert err.value.field == "content_json"
