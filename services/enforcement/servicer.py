"""EnforcementService over gRPC: protobuf ⇄ commands, nothing else."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from liuhen.cases.v1 import cases_pb2, cases_pb2_grpc
from liuhen.enforcement.v1 import enforcement_pb2 as pb
from liuhen.enforcement.v1 import enforcement_pb2_grpc
from liuhen.intake.v1 import intake_pb2, intake_pb2_grpc
from liuhen.platform import deadlines
from liuhen.platform.auth import Principal
from liuhen.platform.bootstrap import Platform
from liuhen.platform.calendar import local_date
from liuhen.platform.db import UnitOfWork, utcnow
from liuhen.platform.printing import registry
from liuhen.platform.server import current_principal
from liuhen.platform.service import ServicerBase, parse_name
from services.enforcement import evidence, handlers
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


def _method(value: int) -> str:
    name = pb.ServiceMethod.Name(value) if value in pb.ServiceMethod.values() else ""
    return name.removeprefix("SERVICE_METHOD_").lower() if value else ""


def _command(
    request: pb.ServeDocumentRequest, evidence: tuple[Evidence, ...] = ()
) -> ServeDocument:
    served = (
        request.served_time.ToDatetime(tzinfo=UTC) if request.HasField("served_time") else utcnow()
    )
    return ServeDocument(
        document=request.document,
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
        state=d.state,
        content_sha256=d.content_sha256,
        content_json=d.content_json,
        decision_document=d.decision_document,
        case_state=c.state,
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
            state=d.state,
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
        announced = tuple(
            Evidence(kind=e.kind.strip(), sha256="", object_key="", size=len(e.content))
            for e in request.evidence
        )
        handlers.check_request(_command(request, announced), doc, utcnow())
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

    def _store_evidence(
        self, case_id: str, request: pb.ServeDocumentRequest
    ) -> tuple[Evidence, ...]:
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

        def work(uow: UnitOfWork, who: Principal) -> None:
            row = registry.find(uow, name)
            if row is not None:
                registry.store(self.platform.objects, who.tenant, row)

        self.read(work)

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
        collection = "intakes" if request.case.startswith("intakes/") else "cases"
        (case_id,) = parse_name(request.case, f"{collection}/*", "case")
        return self.read(
            lambda uow, who: pb.ListServiceRecordsResponse(
                records=[
                    record_to_pb(*pair)
                    for pair in handlers.list_records(uow, case_id)
                    if pair[0].parent.startswith(collection)
                ]
            )
        )


def register(platform: Platform) -> object:
    def add(server: grpc.Server) -> list[str]:
        enforcement_pb2_grpc.add_EnforcementServiceServicer_to_server(
            EnforcementServicer(platform), server
        )
        return [pb.DESCRIPTOR.services_by_name["EnforcementService"].full_name]

    return add
