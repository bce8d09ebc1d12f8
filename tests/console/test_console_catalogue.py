"""What the console offers on a case page comes from the catalogue (documents.yaml,
sites.yaml), never from a list of its own: which documents are served with a receipt
(Art 37), which go to an outside desk (Art 30, 40), and the names of the desks."""

from __future__ import annotations

from liuhen.console import cases, messages, sending
from liuhen.console.session import Officer


def test_art30_the_desk_documents_are_those_the_catalogue_sends_through_a_desk() -> None:
    assert sending.desk_documents() == {
        "criminal_referral_letter",
        "non_filing_reconsideration_request",
        "filing_supervision_suggestion",
        "enforcement_application",
    }


def test_art37_served_documents_are_those_served_on_the_party_or_the_complainant() -> None:
    served = sending.served_types()
    assert {"rectification_order", "non_acceptance_decision", "supplement_notice"} <= served
    # A peer is reached through routing, a desk through its message: no receipt here.
    assert "assistance_request" not in served and "jurisdiction_transfer_slip" not in served
    assert not served & sending.desk_documents()


def test_art21_the_province_desk_is_offered_to_the_city_only() -> None:
    assert sending.PROVINCE_DESK in sending.assistance_recipients(_officer("wuhan"))
    district = sending.assistance_recipients(_officer("jiangan"))
    assert sending.PROVINCE_DESK not in district and ("jiangan", "江岸区") not in district


def test_design7_messages_name_sites_desks_and_the_province_in_chinese() -> None:
    assert messages.site_zh("hongshan") == "洪山区"
    assert messages.site_zh("jiangan.psb") == "江岸区公安机关"
    assert messages.site_zh("jiangan.procuratorate") == "江岸区人民检察院"
    assert messages.site_zh("hubei") == "湖北省劳动保障监察局"


def _officer(tenant: str) -> Officer:
    return Officer(tenant, "u", "handler1", "承办人1", ("handler",), "token")


def test_art45_ledger_actions_read_in_the_officers_words() -> None:
    assert cases.action_zh("case.opened") == "立案"
    assert cases.action_zh("assistance_reply.received") == "收到劳动保障监察协查回函"
    sent = cases.action_zh("criminal_referral_letter.sent")
    assert sent.startswith("发送") and sent != "criminal_referral_letter.sent"
    assert cases.action_zh("no_such.thing") == "no_such.thing"  # shown as recorded
