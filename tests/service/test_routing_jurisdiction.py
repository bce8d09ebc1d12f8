"""Jurisdiction between organisations over real servers and the embedded log (seed Art
12-15): a transfer reaches the organisation with jurisdiction as an intake it can file;
the city designates a district; a district's dispute reaches the city, which designates.
Each slip is drafted and approved under the separation rules of Art 6."""

from __future__ import annotations

import json
import uuid

import grpc
import pytest
from sqlalchemy import select

from liuhen.intake.v1 import intake_internal_pb2 as ipb
from liuhen.intake.v1 import intake_pb2 as pb
from liuhen.platform.outbox import OutboxRow, topic_for_site
from liuhen.platform.polling import wait_for
from liuhen.routing.v1 import routing_pb2 as rpb
from services.intake import orm
from services.routing import desk
from services.routing.relay import InboxConsumer
from tests.support import Site, rid, status_of


def register(site: Site, tenant: str) -> pb.Intake:
    desk_ = site.client("intake", tenant, "intake1")
    intake = desk_.RegisterComplaint(
        pb.RegisterComplaintRequest(
            request_id=rid(),
            source=pb.SOURCE_LETTER,
            kind=pb.INTAKE_KIND_CONSTRUCTION_COMPLAINT,
            complainant=pb.Person(name="李四", gender="男", contact="13900000000"),
            employer=pb.Employer(name="某劳务公司", address="洪山区某路2号"),
            violation="拖欠农民工工资",
            conduct_ended_on="2026-10-01",
        )
    ).intake
    desk_.RecordMaterial(
        pb.RecordMaterialRequest(
            request_id=rid(),
            intake=intake.name,
            submitted_by="complainant",
            description="考勤记录",
            is_copy=True,
            checked_against_original=True,
            pages=3,
        )
    )
    return intake


def not_ours(site: Site, tenant: str, intake: str) -> pb.Intake:
    """The desk records at filing that the case is not this organisation's; the head
    agrees (Art 13, 15)."""
    site.client("intake", tenant, "intake1").DraftFilingApproval(
        pb.DraftFilingApprovalRequest(
            request_id=rid(), intake=intake, within_jurisdiction=False, summary="用工地在洪山区"
        )
    )
    return (
        site.client("intake", tenant, "head1")
        .ApproveFiling(pb.ApproveFilingRequest(request_id=rid(), intake=intake))
        .intake
    )


def slip(
    site: Site, tenant: str, intake: str, type: str, recipient: str = "", drafter: str = "intake1"
) -> pb.IntakeDocument:
    drafted = (
        site.client("intake", tenant, drafter)
        .DraftIntakeDocument(
            pb.DraftIntakeDocumentRequest(
                request_id=rid(),
                intake=intake,
                type=type,
                content_json=json.dumps(
                    {"grounds": "用工地及工资发放地均在该区"}, ensure_ascii=False
                ),
                recipient=recipient,
            )
        )
        .document
    )
    site.client("intake", tenant, drafter).SubmitIntakeDocument(
        pb.SubmitIntakeDocumentRequest(request_id=rid(), document=drafted.name)
    )
    return (
        site.client("intake", tenant, "head1")
        .ApproveIntakeDocument(
            pb.ApproveIntakeDocumentRequest(request_id=rid(), document=drafted.name)
        )
        .document
    )


def intakes_from(site: Site, tenant: str, message_id: str) -> pb.Intake | None:
    """The intake routing made at `tenant` from message `message_id`, once applied."""
    msgs = (
        site.client("routing", tenant, "intake1")
        .ListMessages(rpb.ListMessagesRequest(direction="inbox", order_by="time desc"))
        .messages
    )
    for m in msgs:
        if m.envelope.message_id == message_id and m.state == rpb.Message.APPLIED:
            name = m.detail.removeprefix("registered as ")
            return (
                site.client("intake", tenant, "intake1")
                .GetIntake(pb.GetIntakeRequest(name=name))
                .intake
            )
    return None


def file_it(site: Site, tenant: str, intake: str) -> pb.Intake:
    site.client("intake", tenant, "intake1").DraftFilingApproval(
        pb.DraftFilingApprovalRequest(
            request_id=rid(), intake=intake, within_jurisdiction=True, summary="属本机构管辖"
        )
    )
    return (
        site.client("intake", tenant, "head1")
        .ApproveFiling(pb.ApproveFilingRequest(request_id=rid(), intake=intake))
        .intake
    )


def test_art15_transfer_out_reaches_the_district_with_jurisdiction(site: Site) -> None:
    original = register(site, "jiangan")
    assert not_ours(site, "jiangan", original.name).state == pb.Intake.TO_TRANSFER
    sent = slip(site, "jiangan", original.name, "jurisdiction_transfer_slip", "hongshan")
    assert (
        sent.state == pb.IntakeDocument.EFFECTIVE
        and sent.message_id
        and sent.recipient == "hongshan"
    )
    assert sent.title_zh == "劳动保障监察投诉（举报）案件移送管辖单"

    got = wait_for(lambda: intakes_from(site, "hongshan", sent.message_id), "hongshan's intake")
    assert (got.source, got.state) == (pb.SOURCE_TRANSFER, pb.Intake.REGISTERED)
    assert (got.from_site, got.sender_intake) == ("jiangan", original.name)
    assert got.kind == pb.INTAKE_KIND_CONSTRUCTION_COMPLAINT
    assert (got.complainant.name, got.employer.name) == ("李四", "某劳务公司")
    assert got.conduct_ended_on == "2026-10-01"
    assert [m.description for m in got.materials] == ["考勤记录"]
    assert got.materials[0].stamps[1] == "经核对，原件与复印件一致"
    assert json.loads(got.origin_json)["type"] == "jurisdiction_transfer_slip"
    assert got.filing_due_on  # the 5 working days of Art 12 run from receipt here

    filed = file_it(site, "hongshan", got.name)
    assert filed.case_number.startswith("洪山区劳监立")
    sender = (
        site.client("intake", "jiangan", "intake1")
        .GetIntake(pb.GetIntakeRequest(name=original.name))
        .intake
    )
    assert (sender.state, sender.case_number) == (pb.Intake.TRANSFERRED, "")


def test_art13_the_city_transfers_to_the_province_through_its_reviewer(site: Site) -> None:
    original = register(site, "wuhan")
    not_ours(site, "wuhan", original.name)
    with pytest.raises(grpc.RpcError) as err:
        slip(site, "wuhan", original.name, "jurisdiction_transfer_slip", "hubei")
    assert status_of(err.value)[:2] == (grpc.StatusCode.PERMISSION_DENIED, "ROLE_REQUIRED")
    sent = slip(site, "wuhan", original.name, "jurisdiction_transfer_slip", "hubei", "reviewer1")
    messages = site.running["routing"].platform.messages
    got = wait_for(
        lambda: [e for e in desk.read_desk(messages, "hubei") if e.message_id == sent.message_id],
        "the transfer on the province's topic",
    )
    assert (got[0].type, got[0].sender, got[0].case_ref) == (
        "jurisdiction_transfer",
        "wuhan",
        original.name,
    )


def test_art14_designation_from_the_city_reaches_the_district(site: Site) -> None:
    original = register(site, "wuhan")
    with pytest.raises(grpc.RpcError) as err:
        slip(site, "wuhan", original.name, "designation_slip", "jiangxia", drafter="intake1")
    assert status_of(err.value)[:2] == (grpc.StatusCode.PERMISSION_DENIED, "ROLE_REQUIRED")
    sent = slip(site, "wuhan", original.name, "designation_slip", "jiangxia", drafter="reviewer1")
    assert sent.title_zh == "劳动保障监察投诉（举报）案件指定办理单"

    got = wait_for(lambda: intakes_from(site, "jiangxia", sent.message_id), "jiangxia's intake")
    assert (got.source, got.from_site, got.sender_intake) == (
        pb.SOURCE_ASSIGNMENT,
        "wuhan",
        original.name,
    )
    assert file_it(site, "jiangxia", got.name).case_number.startswith("江夏区劳监立")
    city = site.client("intake", "wuhan", "intake1").GetIntake(
        pb.GetIntakeRequest(name=original.name)
    )
    assert city.intake.state == pb.Intake.DESIGNATED


def test_art14_a_district_may_not_designate(site: Site) -> None:
    original = register(site, "jiangan")
    with pytest.raises(grpc.RpcError) as err:
        slip(site, "jiangan", original.name, "designation_slip", "hongshan", drafter="reviewer1")
    assert status_of(err.value)[:2] == (grpc.StatusCode.FAILED_PRECONDITION, "NOT_AT_THIS_LEVEL")


def test_art14_a_dispute_goes_to_the_city_which_designates_a_district(site: Site) -> None:
    original = register(site, "jiangan")
    not_ours(site, "jiangan", original.name)
    raised = slip(site, "jiangan", original.name, "jurisdiction_dispute_request")
    assert raised.recipient == "wuhan"

    pending = wait_for(lambda: intakes_from(site, "wuhan", raised.message_id), "the dispute")
    assert (pending.state, pending.from_site, pending.sender_intake) == (
        pb.Intake.DISPUTE_PENDING,
        "jiangan",
        original.name,
    )
    # The city answers the dispute with a designation (Art 14).
    designated = slip(site, "wuhan", pending.name, "designation_slip", "hongshan", "reviewer1")
    got = wait_for(lambda: intakes_from(site, "hongshan", designated.message_id), "hongshan")
    assert got.source == pb.SOURCE_ASSIGNMENT and got.state == pb.Intake.REGISTERED
    messages = (
        site.client("routing", "hongshan", "intake1")
        .ListMessages(rpb.ListMessagesRequest(direction="inbox", type="designation"))
        .messages
    )
    # The designation answers the dispute message.
    assert [m.envelope.correlation_id for m in messages] == [raised.message_id]
    with pytest.raises(grpc.RpcError) as err:  # a disputed intake is not filed at the city
        file_it(site, "wuhan", pending.name)
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION

    # jiangan hears the answer too: its own intake is closed, designated elsewhere.
    def closed() -> pb.Intake | None:
        got = (
            site.client("intake", "jiangan", "intake1")
            .GetIntake(pb.GetIntakeRequest(name=original.name))
            .intake
        )
        return got if got.state == pb.Intake.DESIGNATED_ELSEWHERE else None

    assert wait_for(closed, "jiangan's intake closed").from_site == "wuhan"


def test_art14_designated_to_the_district_that_raised_the_dispute_it_files_its_own_intake(
    site: Site,
) -> None:
    original = register(site, "jiangan")
    raised = slip(site, "jiangan", original.name, "jurisdiction_dispute_request")
    pending = wait_for(lambda: intakes_from(site, "wuhan", raised.message_id), "the dispute")
    designated = slip(site, "wuhan", pending.name, "designation_slip", "jiangan", "reviewer1")
    back = wait_for(lambda: intakes_from(site, "jiangan", designated.message_id), "the answer")
    assert back.name == original.name  # no second intake for the same complaint
    assert (back.state, back.from_site) == (pb.Intake.REGISTERED, "wuhan")
    assert file_it(site, "jiangan", back.name).case_number.startswith("江岸区劳监立")
    outbox = (
        site.client("routing", "wuhan", "reviewer1")
        .ListMessages(rpb.ListMessagesRequest(direction="outbox", type="designation"))
        .messages
    )
    assert [m.envelope.recipient for m in outbox] == ["jiangan"]


def test_design7_a_redelivered_transfer_makes_one_intake(site: Site) -> None:
    original = register(site, "jiangan")
    not_ours(site, "jiangan", original.name)
    sent = slip(site, "jiangan", original.name, "jurisdiction_transfer_slip", "hongshan")
    first = wait_for(lambda: intakes_from(site, "hongshan", sent.message_id), "hongshan's intake")
    platform = site.running["routing"].platform
    with platform.db.unit_of_work("jiangan") as uow:
        raw = uow.session.get(OutboxRow, sent.message_id).envelope  # type: ignore[union-attr]
    platform.messages.publish(
        topic_for_site("hongshan"), key=sent.message_id, value=raw, headers={}
    )
    worker = site.running["routing"].workers[1]
    assert isinstance(worker, InboxConsumer)
    worker.run_once()
    # The intake service itself answers a repeated application with the first intake.
    again = site.raw_client(
        "intake_internal", platform.service_tokens.token("hongshan")
    ).RecordInboundIntake(
        ipb.RecordInboundIntakeRequest(
            request_id=sent.message_id,
            message_type="jurisdiction_transfer",
            from_site="jiangan",
            sender_intake=original.name,
            payload_json=_payload(raw),
        )
    )
    assert again.intake.name == first.name
    with platform.db.unit_of_work("hongshan") as uow:
        made = uow.session.scalars(
            select(orm.intakes.c.id).where(orm.intakes.c.inbound_message_id == sent.message_id)
        ).all()
    assert made == [first.name.removeprefix("intakes/")]
    listed = site.client("routing", "hongshan", "intake1").ListMessages(
        rpb.ListMessagesRequest(direction="inbox", type="jurisdiction_transfer")
    )
    assert [m.state for m in listed.messages] == [rpb.Message.APPLIED]


def _payload(raw: bytes) -> str:
    return rpb.Envelope.FromString(raw).payload_json


def test_design7_only_a_service_records_an_inbound_intake(site: Site) -> None:
    with pytest.raises(grpc.RpcError) as err:
        site.client("intake_internal", "hongshan", "intake1").RecordInboundIntake(
            ipb.RecordInboundIntakeRequest(
                request_id=str(uuid.uuid4()),
                message_type="jurisdiction_transfer",
                from_site="jiangan",
                payload_json="{}",
            )
        )
    assert status_of(err.value)[:2] == (grpc.StatusCode.PERMISSION_DENIED, "SERVICE_ONLY")


def test_design7_a_transfer_with_a_malformed_slip_is_a_dead_letter(site: Site) -> None:
    envelope = rpb.Envelope(
        message_id=str(uuid.uuid4()),
        type="jurisdiction_transfer",
        sender="jiangan",
        recipient="hongshan",
        case_ref=f"intakes/{uuid.uuid4()}",
        payload_json='{"intake": {"kind": "complaint"}}',
    )
    platform = site.running["routing"].platform
    platform.messages.publish(
        topic_for_site("hongshan"),
        key=envelope.message_id,
        value=envelope.SerializeToString(),
        headers={},
    )
    dead = wait_for(
        lambda: [
            m
            for m in site.client("routing", "hongshan", "intake1")
            .ListDeadLetters(rpb.ListDeadLettersRequest())
            .messages
            if m.envelope.message_id == envelope.message_id
        ],
        "the dead letter",
    )
    assert "INVALID_ARGUMENT" in dead[0].detail
