"""CasesService over gRPC: protobuf ⇄ commands."""

from __future__ import annotations

from datetime import UTC, date, datetime

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from liuhen.cases.v1 import cases_pb2 as pb
from liuhen.cases.v1 import cases_pb2_grpc
from liuhen.common.v1 import common_pb2
from liuhen.intake.v1 import intake_pb2, intake_pb2_grpc
from liuhen.platform import deadlines, ledger
from liuhen.platform.bootstrap import Platform
from liuhen.platform.catalogue import document_type
from liuhen.platform.db import UnitOfWork
from liuhen.platform.server import current_principal
from liuhen.platform.service import ServicerBase, call_sibling, parse_name
from services.cases import handlers, orm
from services.cases.model import Case, Document, Officer


def _ts(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    ts = Timestamp()
    ts.FromDatetime(value)
    return ts


def _time(ts: Timestamp, present: bool) -> datetime | None:
    return ts.ToDatetime(tzinfo=UTC) if present else None


def document_to_pb(d: Document) -> pb.Document:
    t = document_type(d.type)
    return pb.Document(
        name=f"cases/{d.case_id}/documents/{d.id}",
        type=d.type,
        title_zh=t.zh,
        state=d.state,
        version=d.version,
        content_json=d.content_json,
        content_sha256=d.content_sha256,
        drafted_by=d.drafted_by,
        approval_chain=d.pending,
        approvals=[a for a in d.approvals.split("\n") if a],
        from_site=d.from_site,
        drafted_time=_ts(d.drafted_at),
        effective_time=_ts(d.effective_at),
        article=t.article,
        decision_document=t.decision_document,
        served_to=list(t.served_to),
    )


def entry_to_pb(e: ledger.Entry) -> common_pb2.LedgerEntry:
    entry = common_pb2.LedgerEntry(
        seq=e.seq,
        case_id=e.case_id,
        actor=common_pb2.Actor(**e.actor),
        action=e.action,
        payload_sha256=e.payload_sha256,
        refs=list(e.refs),
        prev_hash=e.prev_hash,
        hash=e.hash,
        service=e.service,
    )
    entry.time.FromDatetime(datetime.fromisoformat(e.time.replace("Z", "+00:00")))
    return entry


def case_to_pb(c: Case, uow: UnitOfWork | None = None) -> pb.Case:
    out = pb.Case(
        name=f"cases/{c.id}",
        case_number=c.case_number,
        state=c.state,
        party=c.party,
        complainant=c.complainant,
        registered_by=c.registered_by,
        handler=c.handler,
        handler_name=c.handler_name,
        reviewer=c.reviewer,
        filed_time=_ts(c.filed_at),
    )
    if uow is not None:
        today = date.today()
        out.documents.extend(document_to_pb(d) for d in orm.case_documents(uow, c.id))
        out.deadlines.extend(
            deadlines.to_proto(r, today) for r in deadlines.query(uow, case_id=c.id)
        )
        out.ledger.extend(entry_to_pb(e) for e in ledger.entries(uow, c.id))
    return out


class CasesServicer(ServicerBase, cases_pb2_grpc.CasesServiceServicer):
    def OpenCase(
        self, request: pb.OpenCaseRequest, context: grpc.ServicerContext
    ) -> pb.OpenCaseResponse:
        parse_name(request.intake, "intakes/*", "intake")
        who = current_principal()
        intake = call_sibling(
            intake_pb2_grpc.IntakeServiceStub(self.platform.channel("intake")).GetIntake,
            intake_pb2.GetIntakeRequest(name=request.intake),
            self.platform.forward(who.tenant),
        ).intake
        return self.mutate(
            "OpenCase",
            request,
            pb.OpenCaseResponse,
            lambda uow, who: pb.OpenCaseResponse(
                case=case_to_pb(handlers.open_case(uow, who, intake, self.platform.calendar))
            ),
        )

    def AssignHandler(
        self, request: pb.AssignHandlerRequest, context: grpc.ServicerContext
    ) -> pb.AssignHandlerResponse:
        (case_id,) = parse_name(request.case, "cases/*", "case")
        return self.mutate(
            "AssignHandler",
            request,
            pb.AssignHandlerResponse,
            lambda uow, who: pb.AssignHandlerResponse(
                case=case_to_pb(
                    handlers.assign_handler(
                        uow,
                        who,
                        case_id=case_id,
                        handler=request.handler,
                        handler_name=request.handler_name,
                        reviewer=request.reviewer,
                    )
                )
            ),
        )

    def GetCase(
        self, request: pb.GetCaseRequest, context: grpc.ServicerContext
    ) -> pb.GetCaseResponse:
        (case_id,) = parse_name(request.name, "cases/*")
        return self.read(
            lambda uow, who: pb.GetCaseResponse(
                case=case_to_pb(handlers.load_case(uow, case_id), uow)
            )
        )

    def RecordInterview(
        self, request: pb.RecordInterviewRequest, context: grpc.ServicerContext
    ) -> pb.RecordInterviewResponse:
        (case_id,) = parse_name(request.case, "cases/*", "case")
        officers = [Officer(o.name, o.unit, o.certificate_no) for o in request.officers]
        fields: dict[str, object] = {
            "certificates_shown": request.certificates_shown,
            "start_time": _time(request.start_time, request.HasField("start_time")),
            "end_time": _time(request.end_time, request.HasField("end_time")),
            "place": request.place,
            "interviewee": request.interviewee,
            "content": request.content,
        }
        return self.mutate(
            "RecordInterview",
            request,
            pb.RecordInterviewResponse,
            lambda uow, who: pb.RecordInterviewResponse(
                document=document_to_pb(
                    handlers.record_interview(
                        uow, who, case_id=case_id, officers=officers, fields=fields
                    )
                )
            ),
        )

    def DraftDocument(
        self, request: pb.DraftDocumentRequest, context: grpc.ServicerContext
    ) -> pb.DraftDocumentResponse:
        (case_id,) = parse_name(request.case, "cases/*", "case")
        return self.mutate(
            "DraftDocument",
            request,
            pb.DraftDocumentResponse,
            lambda uow, who: pb.DraftDocumentResponse(
                document=document_to_pb(
                    handlers.draft_document(
                        uow,
                        who,
                        case_id=case_id,
                        type_code=request.type,
                        content_json=request.content_json,
                    )
                )
            ),
        )

    def SubmitDocument(
        self, request: pb.SubmitDocumentRequest, context: grpc.ServicerContext
    ) -> pb.SubmitDocumentResponse:
        case_id, doc_id = parse_name(request.document, "cases/*/documents/*", "document")
        return self.mutate(
            "SubmitDocument",
            request,
            pb.SubmitDocumentResponse,
            lambda uow, who: pb.SubmitDocumentResponse(
                document=document_to_pb(
                    handlers.submit_document(uow, who, case_id=case_id, doc_id=doc_id)
                )
            ),
        )

    def ReviewDocument(
        self, request: pb.ReviewDocumentRequest, context: grpc.ServicerContext
    ) -> pb.ReviewDocumentResponse:
        case_id, doc_id = parse_name(request.document, "cases/*/documents/*", "document")
        return self.mutate(
            "ReviewDocument",
            request,
            pb.ReviewDocumentResponse,
            lambda uow, who: pb.ReviewDocumentResponse(
                document=document_to_pb(
                    handlers.review_document(
                        uow,
                        who,
                        case_id=case_id,
                        doc_id=doc_id,
                        passed=request.passed,
                        comment=request.comment,
                    )
                )
            ),
        )

    def ApproveDocument(
        self, request: pb.ApproveDocumentRequest, context: grpc.ServicerContext
    ) -> pb.ApproveDocumentResponse:
        case_id, doc_id = parse_name(request.document, "cases/*/documents/*", "document")
        return self.mutate(
            "ApproveDocument",
            request,
            pb.ApproveDocumentResponse,
            lambda uow, who: pb.ApproveDocumentResponse(
                document=document_to_pb(
                    handlers.approve_document(
                        uow, who, case_id=case_id, doc_id=doc_id, comment=request.comment
                    )
                )
            ),
        )

    def GetDocument(
        self, request: pb.GetDocumentRequest, context: grpc.ServicerContext
    ) -> pb.GetDocumentResponse:
        case_id, doc_id = parse_name(request.name, "cases/*/documents/*")

        def work(uow: UnitOfWork, _who: object) -> pb.GetDocumentResponse:
            case, doc = handlers.load_document(uow, case_id, doc_id)
            return pb.GetDocumentResponse(document=document_to_pb(doc), case=case_to_pb(case))

        return self.read(work)

    def SendAssistanceRequest(
        self, request: pb.SendAssistanceRequestRequest, context: grpc.ServicerContext
    ) -> pb.SendAssistanceRequestResponse:
        case_id, doc_id = parse_name(request.document, "cases/*/documents/*", "document")

        def work(uow: UnitOfWork, who: object) -> pb.SendAssistanceRequestResponse:
            sent = handlers.send_assistance_request(
                uow,
                who,  # type: ignore[arg-type]
                case_id=case_id,
                doc_id=doc_id,
                recipient=request.recipient,
            )
            return pb.SendAssistanceRequestResponse(message_id=sent.message_id, topic=sent.topic)

        return self.mutate("SendAssistanceRequest", request, pb.SendAssistanceRequestResponse, work)

    def RecordInboundDocument(
        self, request: pb.RecordInboundDocumentRequest, context: grpc.ServicerContext
    ) -> pb.RecordInboundDocumentResponse:
        (case_id,) = parse_name(request.case, "cases/*", "case")
        return self.mutate(
            "RecordInboundDocument",
            request,
            pb.RecordInboundDocumentResponse,
            lambda uow, who: pb.RecordInboundDocumentResponse(
                document=document_to_pb(
                    handlers.record_inbound_document(
                        uow,
                        who,
                        case_id=case_id,
                        type_code=request.type,
                        content_json=request.content_json,
                        from_site=request.from_site,
                        correlation_id=request.correlation_id,
                    )
                )
            ),
        )

    def ListDeadlines(
        self, request: pb.ListDeadlinesRequest, context: grpc.ServicerContext
    ) -> pb.ListDeadlinesResponse:
        case_id = parse_name(request.case, "cases/*", "case")[0] if request.case else ""
        today = date.today()

        def work(uow: UnitOfWork, _who: object) -> pb.ListDeadlinesResponse:
            rows = deadlines.query(uow, case_id=case_id, officer=request.officer)
            items = [deadlines.to_proto(r, today) for r in rows]
            if request.overdue_only:
                items = [d for d in items if d.state == "overdue"]
            return pb.ListDeadlinesResponse(deadlines=items)

        return self.read(work)

    def VerifyLedger(
        self, request: pb.VerifyLedgerRequest, context: grpc.ServicerContext
    ) -> pb.VerifyLedgerResponse:
        (case_id,) = parse_name(request.case, "cases/*", "case")

        def work(uow: UnitOfWork, _who: object) -> pb.VerifyLedgerResponse:
            handlers.load_case(uow, case_id)
            v = ledger.verify(uow, case_id)
            return pb.VerifyLedgerResponse(
                ok=v.ok,
                entries=v.entries,
                first_bad_seq=v.first_bad_seq,
                detail=v.detail,
                head_hash=v.head_hash,
            )

        return self.read(work)


def register(platform: Platform) -> object:
    def add(server: grpc.Server) -> list[str]:
        cases_pb2_grpc.add_CasesServiceServicer_to_server(CasesServicer(platform), server)
        return [pb.DESCRIPTOR.services_by_name["CasesService"].full_name]

    return add
