"""EnforcementInternalService: what only routing calls, with its own identity, to apply
a message received from another organisation (DESIGN §7; issue 12)."""

from __future__ import annotations

import grpc

from liuhen.enforcement.v1 import enforcement_internal_pb2 as pb
from liuhen.enforcement.v1 import enforcement_internal_pb2_grpc
from liuhen.platform.auth import Principal
from liuhen.platform.db import UnitOfWork, utcnow
from liuhen.platform.service import InternalServicerBase, parse_name
from services.enforcement import entrusting, entrustments
from services.enforcement.servicer import entrustment_to_pb, with_deadline


class EnforcementInternalServicer(
    InternalServicerBase,
    enforcement_internal_pb2_grpc.EnforcementInternalServiceServicer,  # type: ignore[misc]
):
    def RecordEntrustmentAnswer(
        self, request: pb.RecordEntrustmentAnswerRequest, context: grpc.ServicerContext
    ) -> pb.RecordEntrustmentAnswerResponse:
        """The entrusted site's 送达回执 or refusal, onto this site's entrustment (Art 37(5))."""

        def work(uow: UnitOfWork, who: Principal) -> pb.RecordEntrustmentAnswerResponse:
            (case_id,) = parse_name(request.case, "cases/*", "case")
            entrustment = entrustments.record_answer(
                uow,
                who,
                self.platform.calendar,
                case_id=case_id,
                message_type=request.message_type,
                from_site=request.from_site,
                correlation_id=request.correlation_id,
                message_id=request.request_id,
                payload=entrusting.parse_json(request.payload_json),
                now=utcnow(),
            )
            return pb.RecordEntrustmentAnswerResponse(
                entrustment=entrustment_to_pb(*with_deadline(uow, entrustment))
            )

        return self.mutate(
            "RecordEntrustmentAnswer", request, pb.RecordEntrustmentAnswerResponse, work
        )
