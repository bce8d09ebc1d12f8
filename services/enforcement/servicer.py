"""EnforcementService over gRPC: protobuf ⇄ commands, nothing else."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from liuhen.cases.v1 import cases_pb2, cases_pb2_grpc
from liuhen.enforcement.v1 import (
    enforcement_internal_pb2,
    enforcement_internal_pb2_grpc,
    enforcement_pb2_grpc,
)
from liuhen.enforcement.v1 import enforcement_pb2 as pb
from liuhen.intake.v1 import intake_pb2, intake_pb2_grpc
from liuhen.platform import deadlines
from liuhen.platform.auth import Principal
from liuhen.platform.bootstrap import Platform
from liuhen.platform.calendar import local_date
from liuhen.platform.db import UnitOfWork, utcnow
from liuhen.platform.enums import to_enum, to_key
from liuhen.platform.printing import registry
from liuhen.platform.server import current_principal
from liuhen.platform.service import ServicerBase, parse_name
from services.enforcement import entrusting, entrustments, evidence, handlers, lists
from services.enforcement.entrusting import Entrustment
from services.enforcement.methods import Evidence
from services.enforcement.model import DocumentToServe, ServeDocument, ServiceRecord


def record_to_pb(record: ServiceRecord, rows: list[deadlines.DeadlineRow]) -> pb.ServiceRecord:
    served = Timestamp()
    served.FromDatetime(record.served_at)
    today = local_date(utcnow())
    body = record.body
    return pb.ServiceRecord(
        name=record.name,
        document=record.document,
        document_type=record.document_type,
        method=pb.ServiceMethod.Value(f"SERVICE_METHOD_{record.method.upper()}"),
        recipient=record.recipient,
        signed_by=record.signed_by,
        served_time=served,
        served_by=record.served_by,
        receipt_sha256=record.receipt_sha256,
        deadlines=[deadlines.to_proto(row, today) for row in rows],
        note=record.note,
        place=str(body.get("place", "")),
        details={str(k): str(v) for k, v in (body.get("details") or {}).items()},
        evidence=[pb.EvidenceObject(**e) for e in body.get("evidence") or ()],
        service_date=str(body.get("service_date", "")),
        deemed=bool(body.get("deemed", False)),
        service_date_source=str(body.get("service_date_source", "")),
    )


def entrustment_to_pb(e: Entrustment, row: deadlines.DeadlineRow | None) -> pb.Entrustment:
    sent = Timestamp()
    sent.FromDatetime(e.sent_at)
    out = pb.Entrustment(
        name=e.name,
        document=e.document,
        letter=e.letter,
        entrusted_site=e.entrusted_site,
        state=to_enum(pb.Entrustment.State, e.state),
        message=f"messages/{e.message_id}",
        service_record=f"cases/{e.case_id}/services/{e.service_record_id}"
        if e.service_record_id
        else "",
        service_date=e.service_date,
        refusal_reason=e.refusal_reason,
        note=e.note,
        recipient=e.recipient,
        address=e.address,
        sent_time=sent,
        answer=f"messages/{e.answer_message_id}" if e.answer_message_id else "",
    )
    if row is not None:
        out.deadline.CopyFrom(deadlines.to_proto(row, local_date(utcnow())))
    return out


def _announced(request: ServeRequest) -> tuple[Evidence, ...]:
    """The evidence a request names, before it is stored (to refuse a service early)."""
    return tuple(
        Evidence(kind=e.kind.strip(), sha256="", object_key="", size=len(e.content))
        for e in request.evidence
    )


def _method(value: int) -> str:
    name = pb.ServiceMethod.Name(value) if value in pb.ServiceMethod.values() else ""
    return name.removeprefix("SERVICE_METHOD_").lower() if value else ""


ServeRequest = pb.ServeDocumentRequest | pb.ServeEntrustedDocumentRequest


def _command(request: ServeRequest, evidence: tuple[Evidence, ...] = ()) -> ServeDocument:
    served = (
        request.served_time.ToDatetime(tzinfo=UTC) if request.HasField("served_time") else utcnow()
    )
    return ServeDocument(
        document=request.document if isinstance(request, pb.ServeDocumentRequest) else "",
        method=_method(request.method),
        recipient=request.recipient.strip(),
        signed_by=request.signed_by.strip(),
        served_at=served,
        note=request.note.strip(),
        fax_number=request.fax_number.strip(),
        place=request.place.strip(),
        details={k.strip(): v.strip() for k, v in request.details.items()},
        evidence=evidence,
    )


def _document(case_id: str, got: cases_pb2.GetDocumentResponse) -> DocumentToServe:
    d, c = got.document, got.case
    return handlers.document_to_serve(
        name=d.name,
        case_id=case_id,
        case_number=c.case_number,
        party=c.party,
        handler=c.handler,
        type_code=d.type,
        state=to_key(cases_pb2.Document.State, d.state),
        content_sha256=d.content_sha256,
        content_json=d.content_json,
        decision_document=d.decision_document,
        case_state=to_key(cases_pb2.Case.State, c.state),
    )


class EnforcementServicer(ServicerBase, enforcement_pb2_grpc.EnforcementServiceServicer):  # type: ignore[misc]
    def _fetch(self, name: str) -> cases_pb2.GetDocumentResponse:
        """The document from the cases service, read as the caller (outside our
        transaction: the cases service reads the same database)."""
        tenant = current_principal().tenant
        stub = cases_pb2_grpc.CasesServiceStub(self.platform.channel("cases"))
        fetch: Callable[..., cases_pb2.GetDocumentResponse] = stub.GetDocument
        return self.platform.call(
            fetch, cases_pb2.GetDocumentRequest(name=name), self.platform.forward(tenant)
        )

    def _fetch_intake_document(self, name: str, intake_id: str) -> DocumentToServe:
        """An intake's own document (不予受理决定书, 告知补正), read as the caller."""
        stub = intake_pb2_grpc.IntakeServiceStub(self.platform.channel("intake"))
        fetch: Callable[..., intake_pb2.GetIntakeDocumentResponse] = stub.GetIntakeDocument
        got = self.platform.call(
            fetch,
            intake_pb2.GetIntakeDocumentRequest(name=name),
            self.platform.forward(current_principal().tenant),
        )
        d, i = got.document, got.intake
        return handlers.document_to_serve(
            name=d.name,
            case_id=intake_id,
            case_number=i.case_number,
            party=i.employer.name,
            handler="",
            type_code=d.type,
            state=to_key(intake_pb2.IntakeDocument.State, d.state),
            content_sha256=d.content_sha256,
            content_json=d.content_json,
            decision_document=d.decision_document,
        )

    def _document_to_serve(self, name: str) -> DocumentToServe:
        if name.startswith("intakes/"):
            intake_id, _ = parse_name(name, "intakes/*/documents/*", "document")
            return self._fetch_intake_document(name, intake_id)
        case_id, _ = parse_name(name, "cases/*/documents/*", "document")
        return _document(case_id, self._fetch(name))

    def ServeDocument(
        self, request: pb.ServeDocumentRequest, context: grpc.ServicerContext
    ) -> pb.ServeDocumentResponse:
        doc = self._document_to_serve(request.document)
        handlers.authorise_service(current_principal(), doc.type)
        handlers.check_request(_command(request, _announced(request)), doc, utcnow())
        cmd = _command(request, self._store_evidence(doc.case_id, request))
        response = self.mutate(
            "ServeDocument",
            request,
            pb.ServeDocumentResponse,
            lambda uow, who: pb.ServeDocumentResponse(
                record=record_to_pb(
                    *handlers.serve_document(
                        uow, who, self.platform.calendar, cmd=cmd, doc=doc, now=utcnow()
                    )
                )
            ),
        )
        self._store_receipt(response.record.name)
        return response

    def _store_evidence(self, case_id: str, request: ServeRequest) -> tuple[Evidence, ...]:
        """The photos, slips and recordings, stored write-once before the record names them."""
        tenant, now = current_principal().tenant, utcnow()
        return tuple(
            evidence.store(
                self.platform.objects,
                tenant,
                case_id=case_id,
                kind=e.kind.strip(),
                content=e.content,
                content_type=e.content_type,
                description=e.description.strip(),
                now=now,
            )
            for e in request.evidence
        )

    def _store_receipt(self, name: str) -> None:
        """The receipt's PDF, stored write-once beside the recordings after the commit."""

        row = self.read(lambda uow, who: registry.find(uow, name))
        if row is not None:
            p = self.platform
            registry.finish_and_store(p.db, p.objects, current_principal().tenant, row)

    def GetServiceRecord(
        self, request: pb.GetServiceRecordRequest, context: grpc.ServicerContext
    ) -> pb.GetServiceRecordResponse:
        collection = "intakes" if request.name.startswith("intakes/") else "cases"
        case_id, record_id = parse_name(request.name, f"{collection}/*/services/*")
        return self.read(
            lambda uow, who: pb.GetServiceRecordResponse(
                record=record_to_pb(
                    *handlers.with_deadlines(
                        uow, handlers.load(uow, collection, case_id, record_id)
                    )
                )
            )
        )

    def ListServiceRecords(
        self, request: pb.ListServiceRecordsRequest, context: grpc.ServicerContext
    ) -> pb.ListServiceRecordsResponse:
        filter_text = lists.with_case(request.case, ("cases", "intakes"), request.filter)

        def work(uow: UnitOfWork, who: Principal) -> pb.ListServiceRecordsResponse:
            pairs, token = lists.list_records(
                uow,
                filter_text=filter_text,
                order_by=request.order_by,
                page_size=request.page_size,
                token=request.page_token,
            )
            return pb.ListServiceRecordsResponse(
                records=[record_to_pb(*pair) for pair in pairs], next_page_token=token
            )

        return self.read(work)


class EntrustmentServicer(EnforcementServicer):
    """委托送达 (Art 37(5)): the handling bureau's side and the entrusted site's."""

    def EntrustService(
        self, request: pb.EntrustServiceRequest, context: grpc.ServicerContext
    ) -> pb.EntrustServiceResponse:
        case_id, _ = parse_name(request.letter, "cases/*/documents/*", "letter")
        letter_doc = _document(case_id, self._fetch(request.letter))
        entrusting.check_letter(letter_doc.type, letter_doc.state, case_id, case_id)
        letter = entrusting.parse_letter(letter_doc.content)
        served_case, _ = parse_name(letter.document, "cases/*/documents/*", "content_json.document")
        entrusting.check_letter(letter_doc.type, letter_doc.state, case_id, served_case)
        doc = _document(served_case, self._fetch(letter.document))
        return self.mutate(
            "EntrustService",
            request,
            pb.EntrustServiceResponse,
            lambda uow, who: pb.EntrustServiceResponse(
                entrustment=entrustment_to_pb(
                    *with_deadline(
                        uow,
                        entrustments.entrust(
                            uow,
                            who,
                            self.platform.calendar,
                            letter_doc=letter_doc,
                            letter=letter,
                            doc=doc,
                            now=utcnow(),
                        ),
                    )
                )
            ),
        )

    def ListEntrustments(
        self, request: pb.ListEntrustmentsRequest, context: grpc.ServicerContext
    ) -> pb.ListEntrustmentsResponse:
        filter_text = lists.with_case(request.case, ("cases",), request.filter)

        def work(uow: UnitOfWork, who: Principal) -> pb.ListEntrustmentsResponse:
            pairs, token = lists.list_entrustments(
                uow,
                filter_text=filter_text,
                order_by=request.order_by,
                page_size=request.page_size,
                token=request.page_token,
            )
            return pb.ListEntrustmentsResponse(
                entrustments=[entrustment_to_pb(*pair) for pair in pairs], next_page_token=token
            )

        return self.read(work)

    def ServeEntrustedDocument(
        self, request: pb.ServeEntrustedDocumentRequest, context: grpc.ServicerContext
    ) -> pb.ServeEntrustedDocumentResponse:
        (message_id,) = parse_name(request.message, "messages/*", "message")
        doc = self.read(lambda uow, who: entrustments.entrusted_document(uow, message_id))
        handlers.authorise_service(current_principal(), doc.type)
        entrustments.check_serve_request(_command(request, _announced(request)), doc, utcnow())
        cmd = _command(request, self._store_evidence(doc.case_id, request))

        def work(uow: UnitOfWork, who: Principal) -> pb.ServeEntrustedDocumentResponse:
            answer, sha, served_on = entrustments.serve_entrusted(
                uow, who, message_id=message_id, cmd=cmd, now=utcnow()
            )
            return pb.ServeEntrustedDocumentResponse(
                answer=pb.EntrustmentAnswer(
                    message=f"messages/{answer.message_id}",
                    type=answer.type,
                    entrustment=request.message,
                    receipt_sha256=sha,
                    service_date=served_on,
                )
            )

        return self.mutate(
            "ServeEntrustedDocument", request, pb.ServeEntrustedDocumentResponse, work
        )

    def RefuseEntrustment(
        self, request: pb.RefuseEntrustmentRequest, context: grpc.ServicerContext
    ) -> pb.RefuseEntrustmentResponse:
        (message_id,) = parse_name(request.message, "messages/*", "message")
        reason = (
            pb.RefusalReason.Name(request.reason).removeprefix("REFUSAL_REASON_").lower()
            if request.reason in pb.RefusalReason.values() and request.reason
            else ""
        )

        def work(uow: UnitOfWork, who: Principal) -> pb.RefuseEntrustmentResponse:
            answer = entrustments.refuse_entrusted(
                uow, who, message_id=message_id, reason=reason, note=request.note.strip()
            )
            return pb.RefuseEntrustmentResponse(
                answer=pb.EntrustmentAnswer(
                    message=f"messages/{answer.message_id}",
                    type=answer.type,
                    entrustment=request.message,
                )
            )

        return self.mutate("RefuseEntrustment", request, pb.RefuseEntrustmentResponse, work)


def with_deadline(
    uow: UnitOfWork, e: Entrustment
) -> tuple[Entrustment, deadlines.DeadlineRow | None]:
    uow.session.flush()
    rows = [r for r in deadlines.query(uow, case_id=e.case_id) if r.id == e.deadline_id]
    return e, (rows[0] if rows else None)


def register(platform: Platform) -> object:
    def add(server: grpc.Server) -> list[str]:
        from services.enforcement.internal import EnforcementInternalServicer  # built on this

        enforcement_pb2_grpc.add_EnforcementServiceServicer_to_server(
            EntrustmentServicer(platform), server
        )
        enforcement_internal_pb2_grpc.add_EnforcementInternalServiceServicer_to_server(
            EnforcementInternalServicer(platform), server
        )
        internal = enforcement_internal_pb2.DESCRIPTOR.services_by_name
        return [
            pb.DESCRIPTOR.services_by_name["EnforcementService"].full_name,
            internal["EnforcementInternalService"].full_name,
        ]

    return add
