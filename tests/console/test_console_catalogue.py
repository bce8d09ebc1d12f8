"""What the console offers on a case page comes from the catalogue (documents.yaml,
sites.yaml, recording_access.yaml), never from a list of its own: which documents are
served with a receipt (Art 37), which go to an outside desk (Art 30, 40), the names of
the desks, and who approves a look at or a copy of a recording (Art 44, 46)."""

from __future__ import annotations

from types import SimpleNamespace

from liuhen.console import cases, messages, recordings, sending
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


def _officer(tenant: str, roles: tuple[str, ...] = ("handler",)) -> Officer:
    return Officer(tenant, "u", "handler1", "承办人1", roles, "token")


def test_art45_ledger_actions_read_in_the_officers_words() -> None:
    assert cases.action_zh("case.opened") == "立案"
    assert cases.action_zh("assistance_reply.received") == "收到劳动保障监察协查回函"
    sent = cases.action_zh("criminal_referral_letter.sent")
    assert sent.startswith("发送") and sent != "criminal_referral_letter.sent"
    assert cases.action_zh("no_such.thing") == "no_such.thing"  # shown as recorded


def _request(kind: str, requester_kind: str, *, given: tuple[str, ...] = ()) -> SimpleNamespace:
    return SimpleNamespace(
        name="cases/c/recordings/r/access_requests/a",
        kind=kind,
        requester_kind=requester_kind,
        requester="someone-else",
        filed_by="someone-else",
        copier="",
        reason="复核",
        approved=False,
        required_roles=["reviewer", "head"] if requester_kind == "party" else ["reviewer"],
        approvals=[SimpleNamespace(role=r) for r in given],
    )


def test_art44_46_the_approvers_and_their_sources_are_the_access_catalogues() -> None:
    # Who sees the approvers' part of the work list: every role recording_access.yaml
    # ever asks to approve (the review department, the heads for Art 46 and the labels).
    assert recordings.approver_roles() == {"reviewer", "head", "bureau_head"}
    head = _officer("jiangan", roles=("head",))
    party_copy = recordings.row(head, _request("copy", "party", given=("reviewer",)), "normal")
    # After the review department only the head is missing, and the page says why.
    assert party_copy.missing == ("head",) and party_copy.may_approve
    assert party_copy.why == (("head", "seed Art 46 (经本机构负责人同意)"),)
    reviewer = _officer("jiangan", roles=("reviewer",))
    assert not recordings.row(
        reviewer, _request("copy", "party", given=("reviewer",)), ""
    ).may_approve
    assert recordings.why_role(_request("view", "officer"), "head", "secret").startswith(
        "seed Art 46"
    )
