"""IntakeService over gRPC: protobuf ⇄ commands, nothing else."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC
from functools import partial
from typing import Any, TypeVar

import grpc
from google.protobuf.message import Message

from liuhen.intake.v1 import intake_internal_pb2, intake_internal_pb2_grpc, intake_pb2_grpc
from liuhen.intake.v1 import intake_pb2 as pb
from liuhen.platform.auth import Principal
from liuhen.platform.bootstrap import Platform
from liuhen.platform.calendar import local_date
from liuhen.platform.catalogue import state_zh
from liuhen.platform.db import UnitOfWork, utcnow
from liuhen.platform.enums import to_enum
from liuhen.platform.errors import InvalidArgument
from liuhen.platform.listing import check_parent
from liuhen.platform.printing.storing import StoresPrints
from liuhen.platform.service import parse_name
from liuhen.platform.timestamps import date_of, timestamp
from services.intake import document_handlers, handlers, lists, prints
from services.intake.documents import IntakeDocument
from services.intake.model import Intake, Material, RegisterComplaint

R = TypeVar("R", bound=Message)


def material_to_pb(m: Material) -> pb.Material:
    return pb.Material(
        name=f"intakes/{m.intake_id}/materials/{m.id}",
        submitted_by=m.submitted_by,
        description=m.description,
        is_copy=m.is_copy,
        checked_against_original=m.checked_against_original,
        pages=m.pages,
        stamps=m.stamps.split("\n"),
        received_time=timestamp(m.received_at),
    )


def intake_to_pb(i: Intake) -> pb.Intake:
    return pb.Intake(
        name=f"intakes/{i.id}",
        source=pb.Source.Value(f"SOURCE_{i.source.upper()}"),
        kind=pb.IntakeKind.Value(f"INTAKE_KIND_{i.kind.upper()}"),
        complainant=pb.Person(
            name=i.complainant_name, anonymous=i.anonymous, gender=i.gender, contact=i.contact
        ),
        employer=pb.Employer(name=i.employer_name, address=i.employer_address),
        violation=i.violation,
        received_time=timestamp(i.received_at),
        registered_by=i.registered_by,
        state=to_enum(pb.Intake.State, i.state),
        state_zh=state_zh("intake", i.state),
        materials=[material_to_pb(m) for m in i.materials],
        filing_due_on=i.filing_due_on.isoformat() if i.filing_due_on else "",
        filing_due_provisional=i.filing_due_provisional,
        case_number=i.case_number,
        filing_drafted_by=i.filing_drafted_by,
        filing_approved_by=i.filing_approved_by,
        within_jurisdiction=i.within_jurisdiction,
        filing_summary=i.filing_summary,
        conduct_ended_on=i.conduct_ended_on.isoformat() if i.conduct_ended_on else "",
        reported_within_two_years=i.reported_within_two_years,
        time_barred=i.time_barred,
        from_site=i.from_site,
        referring_agency=i.referring_agency,
        sender_intake=i.sender_intake,
        inbound_message_id=i.inbound_message_id,
        origin_json=i.origin_json,
        documents=[document_to_pb(d) for d in i.documents],
    )


def document_to_pb(d: IntakeDocument) -> pb.IntakeDocument:
    t = d.doc_type
    return pb.IntakeDocument(
        name=d.name,
        type=d.type,
        title_zh=t.zh,
        state=to_enum(pb.IntakeDocument.State, d.state),
        content_json=d.content_json,
        content_sha256=d.content_sha256,
        drafted_by=d.drafted_by,
        drafted_role=d.drafted_role,
        approved_by=d.approved_by,
        drafted_time=timestamp(d.drafted_at),
        effective_time=timestamp(d.effective_at),
        served_to=list(t.served_to),
        decision_document=t.decision_document,
        recipient=d.recipient,
        message_id=d.message_id,
        article=d.effect.article,
        version=d.version,
        approval_chain=d.pending,
        approvals=d.given,
        supersedes=f"intakes/{d.intake_id}/documents/{d.supersedes}" if d.supersedes else "",
    )


def _enum_name(value: int, enum: object, prefix: str) -> str:
    name: str = enum.Name(value)  # type: ignore[attr-defined]
    return name.removeprefix(prefix).lower() if value else ""


class IntakeServicer(StoresPrints, intake_pb2_grpc.IntakeServiceServicer):  # type: ignore[misc]
    def printed(self, response: Message) -> Sequence[str]:
        """An intake document that took effect, or the filing approval just approved: its
        PDF is stored write-once after the commit (seed Art 41, 45)."""
        doc = getattr(response, "document", None)
        if isinstance(doc, pb.IntakeDocument) and doc.state == pb.IntakeDocument.EFFECTIVE:
            return [doc.name]
        if isinstance(response, pb.ApproveFilingResponse):
            return [f"{response.intake.name}/{prints.FILING_APPROVAL}"]
        return ()

    def RegisterComplaint(
        self, request: pb.RegisterComplaintRequest, context: grpc.ServicerContext
    ) -> pb.RegisterComplaintResponse:
        received = (
            request.received_time.ToDatetime(tzinfo=UTC)
            if request.HasField("received_time")
            else utcnow()
        )
        cmd = RegisterComplaint(
            source=_enum_name(request.source, pb.Source, "SOURCE_"),
            kind=_enum_name(request.kind, pb.IntakeKind, "INTAKE_KIND_"),
            complainant_name=request.complainant.name,
            anonymous=request.complainant.anonymous,
            gender=request.complainant.gender,
            contact=request.complainant.contact,
            employer_name=request.employer.name,
            employer_address=request.employer.address,
            violation=request.violation,
            received_at=received,
            conduct_ended_on=date_of(request.conduct_ended_on, "conduct_ended_on"),
            reported_within_two_years=request.reported_within_two_years,
            referring_agency=request.referring_agency.strip(),
        )
        return self.mutate(
            "RegisterComplaint",
            request,
            pb.RegisterComplaintResponse,
            lambda uow, who: pb.RegisterComplaintResponse(
                intake=intake_to_pb(
                    handlers.register_complaint(cmd, uow, who, self.platform.calendar)
                )
            ),
        )

    def RecordMaterial(
        self, request: pb.RecordMaterialRequest, context: grpc.ServicerContext
    ) -> pb.RecordMaterialResponse:
        (intake_id,) = parse_name(request.intake, "intakes/*", "intake")
        return self.mutate(
            "RecordMaterial",
            request,
            pb.RecordMaterialResponse,
            lambda uow, who: pb.RecordMaterialResponse(
                material=material_to_pb(
                    handlers.record_material(
                        uow,
                        who,
                        self.platform.calendar,
                        intake_id=intake_id,
                        submitted_by=request.submitted_by,
                        description=request.description,
                        is_copy=request.is_copy,
                        checked=request.checked_against_original,
                        pages=request.pages,
                    )
                )
            ),
        )

    def DraftFilingApproval(
        self, request: pb.DraftFilingApprovalRequest, context: grpc.ServicerContext
    ) -> pb.DraftFilingApprovalResponse:
        (intake_id,) = parse_name(request.intake, "intakes/*", "intake")
        return self.mutate(
            "DraftFilingApproval",
            request,
            pb.DraftFilingApprovalResponse,
            lambda uow, who: pb.DraftFilingApprovalResponse(
                intake=intake_to_pb(
                    handlers.draft_filing(
                        uow,
                        who,
                        intake_id=intake_id,
                        within_jurisdiction=request.within_jurisdiction,
                        summary=request.summary,
                    )
                )
            ),
        )

    def ApproveFiling(
        self, request: pb.ApproveFilingRequest, context: grpc.ServicerContext
    ) -> pb.ApproveFilingResponse:
        (intake_id,) = parse_name(request.intake, "intakes/*", "intake")
        return self.mutate(
            "ApproveFiling",
            request,
            pb.ApproveFilingResponse,
            lambda uow, who: pb.ApproveFilingResponse(
                intake=intake_to_pb(
                    handlers.approve_filing(uow, who, intake_id=intake_id, comment=request.comment)
                )
            ),
        )

    def GetIntake(
        self, request: pb.GetIntakeRequest, context: grpc.ServicerContext
    ) -> pb.GetIntakeResponse:
        (intake_id,) = parse_name(request.name, "intakes/*")
        return self.read(
            lambda uow, who: pb.GetIntakeResponse(
                intake=intake_to_pb(handlers.load(uow, intake_id))
            )
        )

    def ListIntakes(
        self, request: pb.ListIntakesRequest, context: grpc.ServicerContext
    ) -> pb.ListIntakesResponse:
        today = local_date(utcnow())  # the Art 11 clock runs on Wuhan's date

        def work(uow: UnitOfWork, who: Principal) -> pb.ListIntakesResponse:
            check_parent(request.parent, who.tenant)
            found, token = lists.list_intakes(
                uow,
                today=today,
                filter_text=request.filter,
                order_by=request.order_by,
                page_size=request.page_size,
                page_token=request.page_token,
            )
            out = pb.ListIntakesResponse(next_page_token=token)
            for i in found:
                item = out.intakes.add()
                item.CopyFrom(intake_to_pb(i))
                del item.materials[:], item.documents[:]
            return out

        return self.read(work)

    def DraftIntakeDocument(
        self, request: pb.DraftIntakeDocumentRequest, context: grpc.ServicerContext
    ) -> pb.DraftIntakeDocumentResponse:
        (intake_id,) = parse_name(request.intake, "intakes/*", "intake")
        supersedes = ""
        if request.supersedes:
            old_intake, supersedes = parse_name(
                request.supersedes, "intakes/*/documents/*", "supersedes"
            )
            if old_intake != intake_id:
                raise InvalidArgument(
                    "OTHER_INTAKE",
                    "a correction supersedes a document of the same intake",
                    "更正文书须属同一受理事项",
                    field="supersedes",
                )

        def work(uow: UnitOfWork, who: Principal) -> pb.DraftIntakeDocumentResponse:
            doc = document_handlers.draft_document(
                uow,
                who,
                intake_id=intake_id,
                type_code=request.type,
                content_json=request.content_json,
                recipient=request.recipient.strip(),
                supersedes=supersedes,
            )
            return pb.DraftIntakeDocumentResponse(
                document=document_to_pb(doc), intake=intake_to_pb(handlers.load(uow, intake_id))
            )

        return self.mutate("DraftIntakeDocument", request, pb.DraftIntakeDocumentResponse, work)

    def _step(
        self, method: str, request: Any, reply: type[R], act: Callable[..., IntakeDocument]
    ) -> R:
        """Submit, return or approve an intake document; the reply carries it and its intake."""
        intake_id, doc_id = parse_name(request.document, "intakes/*/documents/*", "document")

        def work(uow: UnitOfWork, who: Principal) -> R:
            doc = act(uow, who, intake_id=intake_id, document_id=doc_id)
            out: R = reply(
                document=document_to_pb(doc), intake=intake_to_pb(handlers.load(uow, intake_id))
            )
            return out

        return self.mutate(method, request, reply, work)

    def SubmitIntakeDocument(
        self, request: pb.SubmitIntakeDocumentRequest, context: grpc.ServicerContext
    ) -> pb.SubmitIntakeDocumentResponse:
        return self._step(
            "SubmitIntakeDocument",
            request,
            pb.SubmitIntakeDocumentResponse,
            document_handlers.submit_document,
        )

    def ReturnIntakeDocument(
        self, request: pb.ReturnIntakeDocumentRequest, context: grpc.ServicerContext
    ) -> pb.ReturnIntakeDocumentResponse:
        return self._step(
            "ReturnIntakeDocument",
            request,
            pb.ReturnIntakeDocumentResponse,
            partial(document_handlers.return_document, reasons=request.reasons),
        )

    def ApproveIntakeDocument(
        self, request: pb.ApproveIntakeDocumentRequest, context: grpc.ServicerContext
    ) -> pb.ApproveIntakeDocumentResponse:
        return self._step(
            "ApproveIntakeDocument",
            request,
            pb.ApproveIntakeDocumentResponse,
            partial(document_handlers.approve_document, comment=request.comment),
        )

    def GetIntakeDocument(
        self, request: pb.GetIntakeDocumentRequest, context: grpc.ServicerContext
    ) -> pb.GetIntakeDocumentResponse:
        intake_id, doc_id = parse_name(request.name, "intakes/*/documents/*")

        def work(uow: UnitOfWork, who: Principal) -> pb.GetIntakeDocumentResponse:
            intake, doc = document_handlers.find_document(uow, intake_id, doc_id)
            return pb.GetIntakeDocumentResponse(
                document=document_to_pb(doc), intake=intake_to_pb(intake)
            )

        return self.read(work)


def register(platform: Platform) -> object:
    def add(server: grpc.Server) -> list[str]:
        from services.intake.internal import IntakeInternalServicer  # built on this module

        intake_pb2_grpc.add_IntakeServiceServicer_to_server(IntakeServicer(platform), server)
        intake_internal_pb2_grpc.add_IntakeInternalServiceServicer_to_server(
            IntakeInternalServicer(platform), server
        )
        return [
            pb.DESCRIPTOR.services_by_name["IntakeService"].full_name,
            intake_internal_pb2.DESCRIPTOR.services_by_name["IntakeInternalService"].full_name,
        ]

    return add
