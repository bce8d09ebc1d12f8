"""CasesInternalService: what only routing calls, with its own identity, to apply a
message received from another organisation (DESIGN §7; issue 12)."""

from __future__ import annotations

import grpc

from liuhen.cases.v1 import cases_internal_pb2 as pb
from liuhen.cases.v1 import cases_internal_pb2_grpc
from liuhen.platform.auth import Principal
from liuhen.platform.db import UnitOfWork
from liuhen.platform.service import InternalServicerBase, parse_name
from services.cases import desks
from services.cases.convert import document_to_pb


class CasesInternalServicer(
    InternalServicerBase,
    cases_internal_pb2_grpc.CasesInternalServiceServicer,  # type: ignore[misc]
):
    def RecordInboundDocument(
        self, request: pb.RecordInboundDocumentRequest, context: grpc.ServicerContext
    ) -> pb.RecordInboundDocumentResponse:
        def work(uow: UnitOfWork, who: Principal) -> pb.RecordInboundDocumentResponse:
            (case_id,) = parse_name(request.case, "cases/*", "case")
            document = desks.record_inbound_document(
                uow,
                who,
                self.platform.calendar,
                case_id=case_id,
                type_code=request.type,
                content_json=request.content_json,
                from_site=request.from_site,
                correlation_id=request.correlation_id,
            )
            return pb.RecordInboundDocumentResponse(document=document_to_pb(document))

        return self.mutate("RecordInboundDocument", request, pb.RecordInboundDocumentResponse, work)
