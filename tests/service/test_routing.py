"""Routing over real servers (DESIGN §7; seed Art 21): the 委托协查函 goes from jiangan's
outbox through the embedded log to hongshan's inbox; hongshan's 协查回函 comes back onto
jiangan's case; replays are applied once and refused messages become dead letters."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import grpc
import pytest

from liuhen.cases.v1 import cases_pb2 as cases
from liuhen.intake.v1 import intake_pb2 as intake
from liuhen.paging import case_documents
from liuhen.platform import ledger
from liuhen.platform.outbox import InboxRow, OutboxRow, topic_for_site
from liuhen.platform.polling import wait_for
from liuhen.routing.v1 import routing_pb2 as pb
from services.routing import relay
from services.routing.model import MAX_BACKOFF_S
from services.run import start
from tests.support import Site, rid


def consumer(site: Site) -> relay.InboxConsumer:
    worker = site.running["routing"].workers[1]
    assert isinstance(worker, relay.InboxConsumer)
    return worker


@dataclass(frozen=True)
class Sent:
    case: str
    message_id: str


def send_assistance_request(site: Site) -> Sent:
    """jiangan files a case, drafts and approves a 委托协查函 and sends it to hongshan."""
    desk = site.client("intake", "jiangan", "intake1")
    head_intake = site.client("intake", "jiangan", "head1")
    registered = desk.RegisterComplaint(
        intake.RegisterComplaintRequest(
            request_id=rid(),
            source=intake.SOURCE_VISIT,
            kind=intake.INTAKE_KIND_COMPLAINT,
            complainant=intake.Person(name="张三", gender="男", contact="13800000000"),
            employer=intake.Employer(name="某建筑公司", address="洪山区某路1号"),
            violation="拖欠工资三个月",
        )
    ).intake
    desk.DraftFilingApproval(
        intake.DraftFilingApprovalRequest(
            request_id=rid(),
            intake=registered.name,
            within_jurisdiction=True,
            summary="拖欠工资，属本机构管辖",
        )
    )
    head_intake.ApproveFiling(intake.ApproveFilingRequest(request_id=rid(), intake=registered.name))
    case = (
        site.client("cases", "jiangan", "intake1")
        .OpenCase(cases.OpenCaseRequest(request_id=rid(), intake=registered.name))
        .case
    )
    head = site.client("cases", "jiangan", "head1")
    head.AssignHandler(
        cases.AssignHandlerRequest(
            request_id=rid(),
            case=case.name,
            handler=site.user_id("jiangan", "handler1"),
            handler_name="承办人甲",
            reviewer=site.user_id("jiangan", "reviewer1"),
        )
    )
    handler = site.client("cases", "jiangan", "handler1")
    doc = handler.DraftDocument(
        cases.DraftDocumentRequest(
            request_id=rid(),
            case=case.name,
            type="assistance_request",
            content_json=json.dumps(
                {"matters": "核实该公司在洪山区工地的用工及工资支付情况"}, ensure_ascii=False
            ),
        )
    ).document
    handler.SubmitDocument(cases.SubmitDocumentRequest(request_id=rid(), document=doc.name))
    head.ApproveDocument(cases.ApproveDocumentRequest(request_id=rid(), document=doc.name))
    sent = handler.SendAssistanceRequest(
        cases.SendAssistanceRequestRequest(
            request_id=rid(), document=doc.name, recipient="hongshan"
        )
    )
    assert sent.topic == "liuhen.site.hongshan"
    return Sent(case.name, sent.message_id)


def inbox(site: Site, tenant: str, type: str = "") -> list[pb.Message]:
    response = site.client("routing", tenant, "handler1").ListMessages(
        pb.ListMessagesRequest(direction="inbox", type=type, order_by="time desc")
    )
    return list(response.messages)


def received_request(site: Site, sent: Sent) -> pb.Message:
    return wait_for(
        lambda: next(
            (
                m
                for m in inbox(site, "hongshan", "assistance_request")
                if m.envelope.message_id == sent.message_id
            ),
            None,
        ),
        "the assistance request in hongshan's inbox",
    )


def reply(site: Site, message: str, username: str = "handler1", request_id: str = "") -> pb.Message:
    answer: pb.Message = (
        site.client("routing", "hongshan", username)
        .ReplyToAssistanceRequest(
            pb.ReplyToAssistanceRequestRequest(
                request_id=request_id or rid(),
                message=message,
                findings="该公司已于本月补发工资，工资支付台账已核实",
                handler_name="洪山承办人",
            )
        )
        .message
    )
    return answer


def replies_on_case(site: Site, case: str) -> list[cases.Document]:
    got = case_documents(site.client("cases", "jiangan", "handler1"), "jiangan", case)
    return [d for d in got if d.type == "assistance_reply"]


def publish(site: Site, tenant: str, value: bytes, key: str = "") -> None:
    site.running["routing"].platform.messages.publish(
        topic_for_site(tenant), key=key or str(uuid.uuid4()), value=value, headers={}
    )


def code_of(call: Callable[[], object]) -> grpc.StatusCode:
    with pytest.raises(grpc.RpcError) as info:
        call()
    code: grpc.StatusCode = info.value.code()
    return code


# --- the whole path -------------------------------------------------------------------


def test_art21_assistance_request_reaches_the_other_district_and_the_reply_returns_to_the_case(
    site: Site,
) -> None:
    sent = send_assistance_request(site)
    request = received_request(site, sent)
    assert request.state == pb.Message.RECEIVED
    assert request.envelope.sender == "jiangan"
    assert request.envelope.case_ref == sent.case
    assert "核实" in json.loads(request.envelope.payload_json)["request"]["matters"]

    outgoing = (
        site.client("routing", "jiangan", "handler1")
        .GetMessage(pb.GetMessageRequest(name=f"messages/{sent.message_id}"))
        .message
    )
    assert (outgoing.direction, outgoing.state) == ("outbox", pb.Message.SENT)
    assert outgoing.detail.startswith("log offset")

    answer = reply(site, request.name)
    assert answer.direction == "outbox"
    assert answer.envelope.type == "assistance_reply"
    assert answer.envelope.recipient == "jiangan"
    assert answer.envelope.correlation_id == sent.message_id
    assert answer.envelope.case_ref == sent.case

    documents = wait_for(lambda: replies_on_case(site, sent.case), "the reply on jiangan's case")
    assert [d.from_site for d in documents] == ["hongshan"]
    assert documents[0].state == cases.Document.EFFECTIVE
    assert "补发工资" in documents[0].content_json

    applied = wait_for(
        lambda: [
            m for m in inbox(site, "jiangan", "assistance_reply") if m.state == pb.Message.APPLIED
        ],
        "the reply applied",
    )
    assert applied[0].envelope.message_id == answer.envelope.message_id
    answered = (
        site.client("routing", "hongshan", "handler1")
        .GetMessage(pb.GetMessageRequest(name=request.name))
        .message
    )
    assert answered.state == pb.Message.ANSWERED

    # The assisting organisation keeps its own record of the request and of its reply.
    with site.running["routing"].platform.db.unit_of_work("hongshan") as uow:
        record = ledger.entries(uow, f"assist-{sent.message_id}")
        assert [e.action for e in record] == [
            "assistance_request.received",
            "assistance_reply.sent",
        ]
        assert ledger.verify(uow, f"assist-{sent.message_id}").ok


def test_design7_a_replayed_log_record_is_applied_once(site: Site) -> None:
    sent = send_assistance_request(site)
    request = received_request(site, sent)
    answer = reply(site, request.name)
    wait_for(lambda: replies_on_case(site, sent.case), "the reply on jiangan's case")
    platform = site.running["routing"].platform
    with platform.db.unit_of_work("jiangan") as uow:
        request_bytes = uow.session.get(OutboxRow, sent.message_id).envelope  # type: ignore[union-attr]
    with platform.db.unit_of_work("hongshan") as uow:
        reply_bytes = uow.session.get(OutboxRow, answer.envelope.message_id).envelope  # type: ignore[union-attr]
    before = (len(inbox(site, "hongshan")), len(inbox(site, "jiangan")))

    publish(site, "hongshan", request_bytes, sent.message_id)
    publish(site, "jiangan", reply_bytes, answer.envelope.message_id)
    consumer(site).run_once()
    consumer(site).run_once()

    assert (len(inbox(site, "hongshan")), len(inbox(site, "jiangan"))) == before
    assert len(replies_on_case(site, sent.case)) == 1
    states = {
        m.envelope.message_id: m.state for m in inbox(site, "hongshan") + inbox(site, "jiangan")
    }
    assert states[sent.message_id] == pb.Message.ANSWERED
    assert states[answer.envelope.message_id] == pb.Message.APPLIED
    with platform.db.unit_of_work("hongshan") as uow:
        assert len(ledger.entries(uow, f"assist-{sent.message_id}")) == 2


# --- dead letters ---------------------------------------------------------------------


def test_design7_a_message_on_a_route_not_allowed_is_a_dead_letter_with_its_reason(
    site: Site,
) -> None:
    designation = pb.Envelope(
        message_id=str(uuid.uuid4()),
        type="designation",
        sender="jiangan",
        recipient="hongshan",
        payload_json="{}",
    )
    publish(site, "hongshan", designation.SerializeToString(), designation.message_id)
    publish(site, "hongshan", b"\xff\xfenot an envelope")
    consumer(site).run_once()

    dead = (
        site.client("routing", "hongshan", "handler1")
        .ListDeadLetters(pb.ListDeadLettersRequest())
        .messages
    )
    by_id = {m.envelope.message_id: m for m in dead}
    refused = by_id[designation.message_id]
    assert refused.state == pb.Message.DEAD
    assert "route refused" in refused.detail and "district" in refused.detail
    assert any("not a readable envelope" in m.detail for m in dead)
    # Dead letters stay in the inbox: nothing is dropped silently.
    assert {m.name for m in dead} <= {m.name for m in inbox(site, "hongshan")}
    assert (
        site.client("routing", "jiangan", "handler1")
        .ListDeadLetters(pb.ListDeadLettersRequest())
        .messages
        == []
    )


def test_art21_a_reply_the_case_cannot_take_or_that_answers_nothing_is_a_dead_letter(
    site: Site,
) -> None:
    sent = send_assistance_request(site)
    received_request(site, sent)
    no_case = pb.Envelope(
        message_id=str(uuid.uuid4()),
        type="assistance_reply",
        sender="hongshan",
        recipient="jiangan",
        case_ref=f"cases/{uuid.uuid4()}",
        correlation_id=sent.message_id,
        payload_json='{"findings": "x"}',
    )
    unasked = pb.Envelope(
        message_id=str(uuid.uuid4()),
        type="assistance_reply",
        sender="wuchang",
        recipient="jiangan",
        case_ref=sent.case,
        correlation_id=sent.message_id,
        payload_json='{"findings": "x"}',
    )
    for envelope in (no_case, unasked):
        publish(site, "jiangan", envelope.SerializeToString(), envelope.message_id)
    consumer(site).run_once()

    dead = {
        m.envelope.message_id: m
        for m in site.client("routing", "jiangan", "handler1")
        .ListDeadLetters(pb.ListDeadLettersRequest())
        .messages
    }
    assert "NOT_FOUND" in dead[no_case.message_id].detail
    assert "not an assistance request jiangan sent to wuchang" in dead[unasked.message_id].detail
    assert replies_on_case(site, sent.case) == []


def test_design7_a_reply_that_cannot_be_applied_now_stays_received_and_is_retried(
    site: Site,
) -> None:
    sent = send_assistance_request(site)
    request = received_request(site, sent)
    site.running["cases"].stop(grace=0)
    answer = reply(site, request.name)

    def waiting() -> pb.Message | None:
        return next(
            (
                m
                for m in inbox(site, "jiangan", "assistance_reply")
                if m.envelope.message_id == answer.envelope.message_id and "will retry" in m.detail
            ),
            None,
        )

    retrying = wait_for(waiting, "a failed attempt to apply the reply")
    assert retrying.state == pb.Message.RECEIVED
    site.running["cases"] = start("cases", site.settings)

    def applied() -> list[cases.Document]:
        try:
            return replies_on_case(site, sent.case)
        except grpc.RpcError:  # the client's reconnection to cases may lag behind
            return []

    # The retry delay doubles while cases is down, up to MAX_BACKOFF_S (60 s): allow for a
    # full delay plus the restart on a loaded machine.
    wait_for(applied, "the reply applied once cases is back", timeout_s=2 * MAX_BACKOFF_S)

    def settled() -> str:  # the routing service's own row: its state is the plain key
        # Routing marks the row applied in its own transaction after cases answered.
        with site.running["routing"].platform.db.unit_of_work("jiangan") as uow:
            row = uow.session.get(InboxRow, ("jiangan", answer.envelope.message_id))
            return row.state if row is not None and row.state != "received" else ""

    assert wait_for(settled, "the inbox row settled") == "applied"


# --- who may see and answer what ------------------------------------------------------


def test_design8_jiangan_cannot_see_a_hongshan_message(site: Site) -> None:
    sent = send_assistance_request(site)
    request = received_request(site, sent)
    jiangan = site.client("routing", "jiangan", "handler1")
    # jiangan sees its own outbox copy under the same id, never hongshan's inbox row.
    own = jiangan.GetMessage(pb.GetMessageRequest(name=request.name)).message
    assert own.direction == "outbox"
    answer = reply(site, request.name)
    name = f"messages/{answer.envelope.message_id}"
    wait_for(lambda: [m for m in inbox(site, "jiangan") if m.name == name], "the reply")
    wuchang = site.client("routing", "wuchang", "handler1")
    assert (
        code_of(lambda: wuchang.GetMessage(pb.GetMessageRequest(name=request.name)))
        == grpc.StatusCode.NOT_FOUND
    )
    assert (
        code_of(lambda: wuchang.GetMessage(pb.GetMessageRequest(name=name)))
        == grpc.StatusCode.NOT_FOUND
    )
    assert (
        code_of(lambda: jiangan.GetMessage(pb.GetMessageRequest(name=f"messages/{uuid.uuid4()}")))
        == grpc.StatusCode.NOT_FOUND
    )
    assert (
        code_of(
            lambda: site.client("routing", "wuchang", "handler1").ReplyToAssistanceRequest(
                pb.ReplyToAssistanceRequestRequest(
                    request_id=rid(), message=request.name, findings="x"
                )
            )
        )
        == grpc.StatusCode.NOT_FOUND
    )


def test_art21_only_a_handler_replies_and_only_once(site: Site) -> None:
    sent = send_assistance_request(site)
    request = received_request(site, sent)
    assert (
        code_of(lambda: reply(site, request.name, "reviewer1")) == grpc.StatusCode.PERMISSION_DENIED
    )
    assert (
        code_of(
            lambda: site.client("routing", "hongshan", "handler1").ReplyToAssistanceRequest(
                pb.ReplyToAssistanceRequestRequest(
                    request_id=rid(), message=request.name, findings=""
                )
            )
        )
        == grpc.StatusCode.INVALID_ARGUMENT
    )

    first_id = rid()
    first = reply(site, request.name, request_id=first_id)
    assert reply(site, request.name, request_id=first_id) == first  # a retry: same result
    assert code_of(lambda: reply(site, request.name)) == grpc.StatusCode.FAILED_PRECONDITION
    outbox = (
        site.client("routing", "hongshan", "handler1")
        .ListMessages(pb.ListMessagesRequest(direction="outbox", type="assistance_reply"))
        .messages
    )
    assert [m.name for m in outbox] == [first.name]
