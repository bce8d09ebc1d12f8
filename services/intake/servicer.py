"""IntakeService over gRPC: protobuf ⇄ commands, nothing else."""

from __future__ import annotations

from datetime import UTC

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from liuhen.intake.v1 import intake_pb2 as pb
from liuhen.intake.v1 import intake_pb2_grpc
from liuhen.platform.bootstrap import Platform
from liuhen.platform.db import utcnow
from liuhen.platform.service import ServicerBase, parse_name
from services.intake import handlers
from services.intake.model import Intake, Material, RegisterComplaint


def _ts(value: object) -> Timestamp:
    ts = Timestamp()
    if value is not None:
        ts.FromDatetime(value)  # type: ignore[arg-type]
    return ts


def material_to_pb(m: Material) -> pb.Material:
    return pb.Material(
        name=f"intakes/{m.intake_id}/materials/{m.id}",
        submitted_by=m.submitted_by,
        description=m.description,
        is_copy=m.is_copy,
        checked_against_original=m.checked_against_original,
        pages=m.pages,
        stamps=m.stamps.split("\n"),
        received_time=_ts(m.received_at),
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
        received_time=_ts(i.received_at),
        registered_by=i.registered_by,
        state=i.state,
        materials=[material_to_pb(m) for m in i.materials],
        filing_due_on=i.filing_due_on.isoformat() if i.filing_due_on else "",
        filing_due_provisional=i.filing_due_provisional,
        case_number=i.case_number,
        filing_drafted_by=i.filing_drafted_by,
        filing_approved_by=i.filing_approved_by,
        within_jurisdiction=i.within_jurisdiction,
        filing_summary=i.filing_summary,
    )


def _enum_name(value: int, enum: object, prefix: str) -> str:
    name: str = enum.Name(value)  # type: ignore[attr-defined]
    return name.removeprefix(prefix).lower() if value else ""


class IntakeServicer(ServicerBase, intake_pb2_grpc.IntakeServiceServicer):
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


def register(platform: Platform) -> object:
    def add(server: grpc.Server) -> list[str]:
        intake_pb2_grpc.add_IntakeServiceServicer_to_server(IntakeServicer(platform), server)
        return [pb.DESCRIPTOR.services_by_name["IntakeService"].full_name]

    return add
