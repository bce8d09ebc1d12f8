"""A criminal referral's whole round trip through routing (seed Art 30): the referral
reaches the same-level public security's topic and its copy the procuratorate's; the
psb's receipt and filing decision come back on the site's topic and land on the case."""

from __future__ import annotations

import grpc

from liuhen.cases.v1 import cases_pb2 as cpb
from liuhen.paging import case_documents
from liuhen.platform.polling import wait_for
from liuhen.routing.v1 import routing_pb2 as rpb
from services.routing import desk
from tests.service.test_cases_paths import refer
from tests.support import Site, file_case


def on_desk(site: Site, party: str, type: str) -> list[rpb.Envelope]:
    seen: list[rpb.Envelope] = []

    def probe() -> list[rpb.Envelope]:
        seen.extend(desk.read_desk(site.running["routing"].platform.messages, party))
        return [e for e in seen if e.type == type]

    return wait_for(probe, f"{type} on {party}'s topic")


def answer(site: Site, type: str, to: rpb.Envelope, **payload: object) -> str:
    envelope = desk.desk_envelope(
        type=type,
        desk=to.recipient,
        recipient=to.sender,
        case_ref=to.case_ref,
        correlation_id=to.message_id,
        payload=payload,
    )
    desk.publish_from_desk(site.running["routing"].platform.messages, envelope)
    return envelope.message_id


def applied(site: Site, message_id: str) -> rpb.Message | None:
    """The message once routing has acted on it: asked for by name, not looked for in a
    page (the stack's shared inbox holds other tests' messages, some at later times)."""
    try:
        message: rpb.Message = (
            site.client("routing", "jiangan", "handler1")
            .GetMessage(rpb.GetMessageRequest(name=f"messages/{message_id}"))
            .message
        )
    except grpc.RpcError as exc:
        if exc.code() == grpc.StatusCode.NOT_FOUND:  # not received yet
            return None
        raise
    return message if message.state != rpb.Message.RECEIVED else None


def test_art30_the_psb_answers_a_referral_through_routing_and_its_documents_land(
    site: Site,
) -> None:
    case = file_case(site)
    refer(site, case)
    [referral] = on_desk(site, "jiangan.psb", "criminal_referral")
    [copy] = on_desk(site, "jiangan.procuratorate", "criminal_referral_copy")
    assert (referral.sender, referral.case_ref, copy.case_ref) == ("jiangan", case, case)

    receipt = answer(site, "referral_receipt", referral, received_by="江岸区公安分局法制室")
    assert wait_for(lambda: applied(site, receipt), "the receipt").state == rpb.Message.APPLIED
    decision = answer(site, "police_filing_decision", referral, filed=False, reason="证据不足")
    assert wait_for(lambda: applied(site, decision), "the decision").state == rpb.Message.APPLIED

    handler = site.client("cases", "jiangan", "handler1")
    landed = {
        d.type: d for d in case_documents(handler, "jiangan", case) if d.from_site == "jiangan.psb"
    }
    assert set(landed) == {"criminal_referral_receipt", "police_filing_decision"}
    assert all(d.state == cpb.Document.EFFECTIVE for d in landed.values())
    got = handler.GetCase(cpb.GetCaseRequest(name=case)).case
    assert got.state == cpb.Case.POLICE_DECLINED
