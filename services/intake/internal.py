"""IntakeInternalService: what only routing calls, with its own identity, to apply a
message received from another organisation (DESIGN §7; issue 12)."""

from __future__ import annotations

import grpc

from liuhen.intake.v1 import intake_internal_pb2 as pb
from liuhen.intake.v1 import intake_internal_pb2_grpc
from liuhen.platform.service import InternalServicerBase
from services.intake import document_handlers
from services.intake.servicer import intake_to_pb


class IntakeInternalServicer(
    InternalServicerBase,
    intake_internal_pb2_grpc.IntakeInternalServiceServicer,  # type: ignore[misc]
):
    def RecordInboundIntake(
        self, request: pb.RecordInboundIntakeRequest, context: grpc.ServicerContext
    ) -> pb.RecordInboundIntakeResponse:
        return self.mutate(
            "RecordInboundIntake",
            request,
            pb.RecordInboundIntakeResponse,
            lambda uow, who: pb.RecordInboundIntakeResponse(
                intake=intake_to_pb(
                    document_handlers.record_inbound(
                        uow,
                        who,
                        self.platform.calendar,
                        message_id=request.request_id,
                        message_type=request.message_type,
                        from_site=request.from_site,
                        sender_intake=request.sender_intake,
                        payload_json=request.payload_json,
                    )
                )
            ),
        )
