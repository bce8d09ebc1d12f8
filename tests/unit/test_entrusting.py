"""The rules of entrusted service (委托送达, seed Art 37(5)) and of the messages it
travels in, without servers."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from liuhen.platform.catalogue import deadline_rules, document_type
from liuhen.platform.errors import FailedPrecondition, InvalidArgument, PermissionDenied
from liuhen.platform.outbox import check_route
from services.enforcement import entrusting as rules
from services.enforcement.handlers import document_to_serve
from services.enforcement.model import DocumentToServe
from services.routing.model import INBOUND, Inbound, classify


def doc(type_code: str = "rectification_order", **kw: Any) -> DocumentToServe:
    return document_to_serve(
        name=f"cases/{uuid.uuid4()}/documents/{uuid.uuid4()}",
        case_id="c",
        case_number="江岸人社监〔2026〕1号",
        party="某公司",
        handler="h",
        type_code=type_code,
        state=kw.pop("state", "effective"),
        content_sha256="0" * 64,
        content_json="{}",
        decision_document=kw.pop("decision_document", False),
    )


def test_art37_5_the_letter_and_its_deadline_are_catalogue_data() -> None:
    spec = document_type("service_entrustment")
    assert spec.approval == ("head",) and spec.served_to == ("peer",)
    required = {f.name for f in spec.fields if f.required}
    assert required == {"document", "entrusted_site", "recipient", "address"}
    rule = deadline_rules()["entrusted_service_returned"]
    assert (rule.amount, rule.unit) == (10, "calendar_days")
    assert "Art 134" in rule.source


@pytest.mark.parametrize("entrusted", ["hongshan", "wuhan"])
def test_art37_5_a_district_entrusts_the_city_or_another_district(entrusted: str) -> None:
    rules.check_entrusted_site("jiangan", entrusted)


@pytest.mark.parametrize(
    "entrusted", ["jiangan", "jiangan.psb", "hongshan.court", "hubei", "shanghai", ""]
)
def test_art37_5_nobody_entrusts_a_desk_the_province_an_unknown_site_or_itself(
    entrusted: str,
) -> None:
    with pytest.raises(FailedPrecondition) as exc:
        rules.check_entrusted_site("jiangan", entrusted)
    assert exc.value.reason == "ENTRUSTED_SITE_NOT_ALLOWED"
    assert exc.value.article == "seed Art 37(5)"


def test_art37_5_the_messages_go_only_between_the_city_and_its_districts() -> None:
    for message in (rules.SENT, rules.RECEIPT, rules.REFUSAL):
        check_route(message, "wuhan", "hongshan")
        check_route(message, "hongshan", "jiangan")
        with pytest.raises(PermissionDenied):
            check_route(message, "jiangan", "jiangan.psb")
        with pytest.raises(PermissionDenied):
            check_route(message, "jiangan", "hubei")


@pytest.mark.parametrize("method", ["fax", "email"])
def test_art37_4_a_decision_document_is_not_entrusted_for_fax_or_email(method: str) -> None:
    with pytest.raises(InvalidArgument) as exc:
        rules.check_requested_method(method, doc("penalty_decision"))
    assert (exc.value.reason, exc.value.article) == (
        "SERVICE_METHOD_NOT_ALLOWED",
        "seed Art 37(4)",
    )
    rules.check_requested_method("mail", doc("penalty_decision"))
    rules.check_requested_method(method, doc("rectification_order"))


def test_art37_5_only_an_approved_letter_of_the_same_case_is_sent() -> None:
    with pytest.raises(FailedPrecondition, match="effective"):
        rules.check_letter("service_entrustment", "submitted", "a", "a")
    with pytest.raises(FailedPrecondition):
        rules.check_letter("assistance_request", "effective", "a", "a")
    with pytest.raises(FailedPrecondition) as exc:
        rules.check_letter("service_entrustment", "effective", "a", "b")
    assert exc.value.reason == "ENTRUSTED_DOCUMENT_OF_ANOTHER_CASE"
    rules.check_letter("service_entrustment", "effective", "a", "a")


def test_art37_5_an_entrustment_is_answered_once_and_not_entrusted_again() -> None:
    rules.check_open("received", "m")
    rules.check_open("pending", "e")
    for state in ("answered", "served", "refused"):
        with pytest.raises(FailedPrecondition):
            rules.check_open(state, "m")
    with pytest.raises(InvalidArgument):
        rules.check_entrusted_method("entrusted")
    with pytest.raises(InvalidArgument):
        rules.require_circumstances("  ")


def test_art37_5_a_refusal_names_its_reason_and_what_was_found() -> None:
    rules.check_refusal("not_its_area", "该地址属江夏区")
    with pytest.raises(InvalidArgument):
        rules.check_refusal("", "x")
    with pytest.raises(InvalidArgument):
        rules.check_refusal("recipient_unknown", "")


def test_art37_5_the_receipt_that_returns_must_say_how_when_and_what_happened() -> None:
    good = {
        "method": "direct",
        "recipient": "某公司",
        "served_time": "2026-09-23T02:00:00+00:00",
        "note": "法定代表人签收",
        "details": {"refusal": ""},
        "evidence": [{"kind": "photo", "sha256": "ab", "object_key": "k", "size": 3}],
    }
    assert rules.answer_receipt(good) is good
    for broken in (
        None,
        {**good, "note": ""},
        {**good, "method": "entrusted"},
        {**good, "served_time": "yesterday"},
        {**good, "service_date": "the 23rd"},
    ):
        with pytest.raises(InvalidArgument):
            rules.answer_receipt(broken)
    (photo,) = rules.evidence_of(good, "hongshan")
    assert photo.object_key == "hongshan:k" and photo.size == 3
    details = rules.details_of(good, "hongshan")
    assert details["entrusted_method"] == "direct" and details["note"] == "法定代表人签收"
    assert details["entrusted_body"] == "洪山区（hongshan）"
    assert "entrusted_refusal" not in details


def test_art37_5_an_answer_to_an_entrustment_never_sent_is_a_dead_letter() -> None:
    msg = Inbound(
        message_id=str(uuid.uuid4()),
        type=rules.RECEIPT,
        sender="hongshan",
        recipient="jiangan",
        correlation_id=str(uuid.uuid4()),
        case_ref="cases/x",
    )
    verdict = classify(msg, tenant="jiangan", seen=False, answers_own_request=False)
    assert verdict.action == "dead"
    assert "not a service entrustment jiangan sent to hongshan" in verdict.reason
    assert classify(msg, tenant="jiangan", seen=False).action == "accept"
    assert INBOUND[rules.RECEIPT].service == INBOUND[rules.REFUSAL].service == "enforcement"
