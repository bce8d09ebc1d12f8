"""CasesService over gRPC: protobuf ⇄ commands."""

from __future__ import annotations

import grpc

from liuhen.cases.v1 import cases_pb2 as pb
from liuhen.cases.v1 import cases_pb2_grpc
from liuhen.common.v1 import common_pb2
from liuhen.intake.v1 import intake_pb2, intake_pb2_grpc
from liuhen.platform import deadlines
from liuhen.platform.auth import Principal
from liuhen.platform.bootstrap import Platform
from liuhen.platform.calendar import local_date
from liuhen.platform.db import UnitOfWork, utcnow
from liuhen.platform.errors import InvalidArgument
from liuhen.platform.server import current_principal
from liuhen.platform.service import parse_name
from liuhen.platform.timestamps import datetime_of
from services.cases import (
    binder_glue,
    casefile,
    desks,
    doctypes,
    documents,
    file_sources,
    footage,
    handlers,
    lifecycle,
    orm,
)
from services.cases.convert import (
    case_to_pb,
    document_to_pb,
    item_to_pb,
)
from services.cases.ledger_methods import LedgerMethods
from services.cases.list_servicer import ListsMixin
from services.cases.model import Officer
from services.cases.print_servicer import PrintsMixin


class CasesServicer(
    PrintsMixin,
    LedgerMethods,
    ListsMixin,
    cases_pb2_grpc.CasesServiceServicer,  # type: ignore[misc]
):
    def OpenCase(
        self, request: pb.OpenCaseRequest, context: grpc.ServicerContext
    ) -> pb.OpenCaseResponse:
        parse_name(request.intake, "intakes/*", "intake")
        who = current_principal()
        intake = self.platform.call(
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
        basic = request.view == pb.CASE_VIEW_BASIC
        return self.read(
            lambda uow, who: pb.GetCaseResponse(
                case=case_to_pb(handlers.load_case(uow, case_id), None if basic else uow)
            )
        )

    def RecordMaterial(
        self, request: pb.RecordMaterialRequest, context: grpc.ServicerContext
    ) -> pb.RecordMaterialResponse:
        (case_id,) = parse_name(request.case, "cases/*", "case")
        return self.mutate(
            "RecordMaterial",
            request,
            pb.RecordMaterialResponse,
            lambda uow, who: pb.RecordMaterialResponse(
                document=document_to_pb(
                    documents.record_material(
                        uow,
                        who,
                        case_id=case_id,
                        submitted_by=request.submitted_by,
                        description=request.description,
                        is_copy=request.is_copy,
                        checked=request.checked_against_original,
                        pages=request.pages,
                    )
                )
            ),
        )

    def RecordInterview(
        self, request: pb.RecordInterviewRequest, context: grpc.ServicerContext
    ) -> pb.RecordInterviewResponse:
        (case_id,) = parse_name(request.case, "cases/*", "case")
        officers = [Officer(o.name, o.unit, o.certificate_no) for o in request.officers]
        fields: dict[str, object] = {
            "certificates_shown": request.certificates_shown,
            "start_time": datetime_of(request, "start_time"),
            "end_time": datetime_of(request, "end_time"),
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
                    documents.record_interview(
                        uow,
                        who,
                        case_id=case_id,
                        officers=officers,
                        form=fields,
                    )
                )
            ),
        )

    def DraftDocument(
        self, request: pb.DraftDocumentRequest, context: grpc.ServicerContext
    ) -> pb.DraftDocumentResponse:
        (case_id,) = parse_name(request.case, "cases/*", "case")
        supersedes = ""
        if request.supersedes:
            old_case, supersedes = parse_name(
                request.supersedes, "cases/*/documents/*", "supersedes"
            )
            if old_case != case_id:
                raise InvalidArgument(
                    "OTHER_CASE",
                    "a correction supersedes a document of the same case",
                    "只能更正本案文书",
                    field="supersedes",
                )
        return self.mutate(
            "DraftDocument",
            request,
            pb.DraftDocumentResponse,
            lambda uow, who: pb.DraftDocumentResponse(
                document=document_to_pb(
                    documents.draft_document(
                        uow,
                        who,
                        self.platform.calendar,
                        case_id=case_id,
                        type_code=request.type,
                        content_json=request.content_json,
                        supersedes=supersedes,
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
                    documents.submit_document(
                        uow, who, self.platform.calendar, case_id=case_id, doc_id=doc_id
                    )
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
                    documents.review_document(
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
                    documents.approve_document(
                        uow,
                        who,
                        self.platform.calendar,
                        case_id=case_id,
                        doc_id=doc_id,
                        comment=request.comment,
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
            sent = desks.send_assistance_request(
                uow,
                who,  # type: ignore[arg-type]
                case_id=case_id,
                doc_id=doc_id,
                recipient=request.recipient,
                across_province=request.across_province,
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
                    desks.record_inbound_document(
                        uow,
                        who,
                        self.platform.calendar,
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
        today = local_date(utcnow())  # overdue by Wuhan's date, on the PRC calendar

        def work(uow: UnitOfWork, _who: object) -> pb.ListDeadlinesResponse:
            rows = deadlines.query(
                uow,
                case_id=case_id,
                officer=request.officer,
                open_only=request.open_only,
                due_before=today if request.overdue_only else None,
            )
            items = [deadlines.to_proto(r, today) for r in rows]
            if request.overdue_only:
                items = [d for d in items if d.state == common_pb2.Deadline.OVERDUE]
            elif request.open_only:
                items = [d for d in items if d.state != common_pb2.Deadline.MET]
            return pb.ListDeadlinesResponse(deadlines=items)

        return self.read(work)

    def MarkCase(
        self, request: pb.MarkCaseRequest, context: grpc.ServicerContext
    ) -> pb.MarkCaseResponse:
        (case_id,) = parse_name(request.case, "cases/*", "case")
        return self.mutate(
            "MarkCase",
            request,
            pb.MarkCaseResponse,
            lambda uow, who: pb.MarkCaseResponse(
                case=case_to_pb(
                    handlers.mark_case(
                        uow,
                        who,
                        case_id=case_id,
                        av_reasons=list(request.av_reasons),
                        major=request.major,
                    )
                )
            ),
        )

    def _send(
        self, method: str, request: pb.SendDeskDocumentRequest, only: str
    ) -> pb.SendDeskDocumentResponse:
        case_id, doc_id = parse_name(request.document, "cases/*/documents/*", "document")

        def work(uow: UnitOfWork, who: Principal) -> pb.SendDeskDocumentResponse:
            sent = desks.send_desk_document(
                uow, who, self.platform.calendar, case_id=case_id, doc_id=doc_id, only=only
            )
            return pb.SendDeskDocumentResponse(
                messages=[
                    pb.SentMessage(
                        message_id=s.message_id, type=s.type, recipient=s.recipient, topic=s.topic
                    )
                    for s in sent
                ],
                case=case_to_pb(handlers.load_case(uow, case_id)),
            )

        return self.mutate(method, request, pb.SendDeskDocumentResponse, work)

    def SendCriminalReferral(
        self, request: pb.SendDeskDocumentRequest, context: grpc.ServicerContext
    ) -> pb.SendDeskDocumentResponse:
        return self._send("SendCriminalReferral", request, "criminal_referral_letter")

    def SendDeskDocument(
        self, request: pb.SendDeskDocumentRequest, context: grpc.ServicerContext
    ) -> pb.SendDeskDocumentResponse:
        return self._send("SendDeskDocument", request, "")

    def GetCaseFile(
        self, request: pb.GetCaseFileRequest, context: grpc.ServicerContext
    ) -> pb.GetCaseFileResponse:
        (case_id,) = parse_name(request.case, "cases/*", "case")
        sources = file_sources.gather(self.platform, case_id)

        def work(uow: UnitOfWork, _who: Principal) -> pb.GetCaseFileResponse:
            case = handlers.load_case(uow, case_id)
            items = casefile.build(
                case, orm.case_documents(uow, case_id), sources.recordings, sources.others
            )
            kept = binder_glue.retention_of(
                uow, case, self.platform.settings.retention_years_by_kind
            )
            return pb.GetCaseFileResponse(
                case=case_to_pb(case),
                items=[item_to_pb(i) for i in items],
                missing_recordings=[i.name for i in items if i.missing_recording],
                index_sha256=casefile.index_sha256(items),
                retention=kept.label,
                retention_source=kept.source,
            )

        return self.read(work)

    def ArchiveCase(
        self, request: pb.ArchiveCaseRequest, context: grpc.ServicerContext
    ) -> pb.ArchiveCaseResponse:
        (case_id,) = parse_name(request.case, "cases/*", "case")
        sources = file_sources.gather(self.platform, case_id)

        def ready(uow: UnitOfWork, who: Principal) -> str | None:
            """The file's kind, once it may be archived; None when it is already (a
            retried request is answered as before, any other refused, below)."""
            case = handlers.load_case(uow, case_id)
            if case.state == lifecycle.ARCHIVED:
                return None
            handlers.check_archiving(who, case)
            footage.check_footage(case, sources.sessions_without_footage)
            by_kind = self.platform.settings.retention_years_by_kind
            return binder_glue.retention_of(uow, case, by_kind).kind

        # Art 43: the footage is locked as long as the file is kept before the file is
        # archived; an archive retried after a failure asks again and changes nothing.
        kind = self.read(ready)
        if kind is not None:
            file_sources.retain_footage(self.platform, case_id, kind, request.request_id)

        def work(uow: UnitOfWork, who: Principal) -> pb.ArchiveCaseResponse:
            case, docs = handlers.load_case(uow, case_id), orm.case_documents(uow, case_id)
            items = casefile.build(case, docs, sources.recordings, sources.others)
            footage.check_footage(case, sources.sessions_without_footage)
            case = handlers.archive_case(uow, who, case_id=case_id, items=items)
            return pb.ArchiveCaseResponse(
                case=case_to_pb(case), index_sha256=casefile.index_sha256(items), items=len(items)
            )

        return self.mutate("ArchiveCase", request, pb.ArchiveCaseResponse, work)

    def ListDocumentTypes(
        self, request: pb.ListDocumentTypesRequest, context: grpc.ServicerContext
    ) -> pb.ListDocumentTypesResponse:
        return doctypes.list_page(request.page_size, request.page_token)

    def GetDocumentType(
        self, request: pb.GetDocumentTypeRequest, context: grpc.ServicerContext
    ) -> pb.GetDocumentTypeResponse:
        return doctypes.get(request.name)


def register(platform: Platform) -> object:
    def add(server: grpc.Server) -> list[str]:
        cases_pb2_grpc.add_CasesServiceServicer_to_server(CasesServicer(platform), server)
        return [pb.DESCRIPTOR.services_by_name["CasesService"].full_name]

    return add
