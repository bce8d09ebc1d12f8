"""The printing methods of CasesService: a document's PDF, its verification, and the bound
case file; and, after any mutation that made a document effective, storing its PDF
write-once in the object store (Art 41, 45)."""

from __future__ import annotations

import json
from collections.abc import Sequence

import grpc
from google.protobuf.message import Message

from liuhen.cases.v1 import cases_pb2 as pb
from liuhen.platform.auth import Principal
from liuhen.platform.catalogue import document_type
from liuhen.platform.db import UnitOfWork
from liuhen.platform.errors import InvalidArgument, NotFound, not_found
from liuhen.platform.ledger import sha256_hex
from liuhen.platform.printing import registry
from liuhen.platform.printing.documents import code_in
from liuhen.platform.printing.forms import Sheet
from liuhen.platform.printing.storing import StoresPrints
from liuhen.platform.service import parse_name
from services.cases import orm

PART = 1 << 20  # a response carries at most 1 MiB of a PDF
MAX_VERIFY_BYTES = 3 << 20


def pdf_part(data: bytes, offset: int) -> pb.PdfPart:
    if offset < 0 or (offset and offset >= len(data)):
        raise InvalidArgument(
            "BAD_OFFSET",
            f"offset must be within 0..{len(data) - 1}",
            "读取位置超出范围",
            field="offset",
        )
    return pb.PdfPart(
        data=data[offset : offset + PART],
        offset=offset,
        total_size=len(data),
        sha256=sha256_hex(data),
    )


class PrintsMixin(StoresPrints):
    def printed(self, response: Message) -> Sequence[str]:
        """A mutation that made a document effective: its PDF is stored after the commit."""
        doc = getattr(response, "document", None)
        return (
            [doc.name]
            if isinstance(doc, pb.Document) and doc.state == pb.Document.EFFECTIVE
            else []
        )

    def GetDocumentPdf(
        self, request: pb.GetDocumentPdfRequest, context: grpc.ServicerContext
    ) -> pb.GetDocumentPdfResponse:
        case_id, _ = _document_ids(request.name)

        def work(uow: UnitOfWork, who: Principal) -> pb.GetDocumentPdfResponse:
            row = registry.find(uow, request.name)
            if row is None or row.case_id != case_id:
                raise not_found("printed document", request.name)
            data = registry.read(self.platform.objects, who.tenant, row)
            return pb.GetDocumentPdfResponse(
                part=pdf_part(data, request.offset),
                number=row.number,
                verification_code=row.code,
                ledger_seq=row.ledger_seq,
            )

        return self.read(work)

    def VerifyDocumentPdf(
        self, request: pb.VerifyDocumentPdfRequest, context: grpc.ServicerContext
    ) -> pb.VerifyDocumentPdfResponse:
        code, sha = request.verification_code, request.sha256
        if request.pdf:
            if len(request.pdf) > MAX_VERIFY_BYTES:
                raise InvalidArgument(
                    "PDF_TOO_LARGE",
                    "send the code and the SHA-256 instead of the PDF",
                    "文件过大，请提供验证码与哈希值",
                    field="pdf",
                )
            code, sha = code or code_in(request.pdf), sha256_hex(request.pdf)
        if not code or len(sha) != 64:
            raise InvalidArgument(
                "NO_VERIFICATION_CODE",
                "give the PDF, or its verification code and SHA-256",
                "须提供文件，或验证码与哈希值",
                field="verification_code",
            )

        def work(uow: UnitOfWork, _who: Principal) -> pb.VerifyDocumentPdfResponse:
            v = registry.verify(uow, code, sha.lower())
            if v is None:
                raise NotFound("NOT_FOUND", f"no document with code {code}", "验证码不存在")
            r = v.row
            # An intake and the case filed from it share the id: an intake's document
            # names its intake, and its case once there is one (seed Art 11, 13).
            case = orm.get_case(uow, r.case_id)
            return pb.VerifyDocumentPdfResponse(
                matches=v.matches,
                document=r.document,
                intake=f"intakes/{r.case_id}",
                case=f"cases/{case.id}" if case else "",
                case_number=case.case_number if case else Sheet.from_json(r.sheet_json).case_number,
                type=r.type,
                title_zh=document_type(r.type).zh,
                number=r.number,
                verification_code=r.code,
                ledger_seq=r.ledger_seq,
                ledger_hash=r.ledger_hash,
                recorded_sha256=r.pdf_sha256,
                sha256=v.sha256,
                ledger_verified=v.ledger_verified,
            )

        return self.read(work)

    def GetCaseFilePdf(
        self, request: pb.GetCaseFilePdfRequest, context: grpc.ServicerContext
    ) -> pb.GetCaseFilePdfResponse:
        """The bound file, rendered afresh (deterministic: the same file gives the same
        bytes, so the parts of one PDF read in several calls fit together)."""
        from services.cases import binder_glue, casefile, file_sources, handlers, orm

        (case_id,) = parse_name(request.case, "cases/*", "case")
        sources = file_sources.gather(self.platform, case_id)

        def work(uow: UnitOfWork, _who: Principal) -> pb.GetCaseFilePdfResponse:
            case = handlers.load_case(uow, case_id)
            items = casefile.build(
                case, orm.case_documents(uow, case_id), sources.recordings, sources.others
            )
            data, manifest = binder_glue.bind(
                uow, case, items, sources.media, self.platform.settings.retention_years_by_kind
            )
            manifest["index_sha256"] = casefile.index_sha256(items)
            return pb.GetCaseFilePdfResponse(
                part=pdf_part(data, request.offset),
                manifest_json=json.dumps(manifest, ensure_ascii=False, sort_keys=True),
            )

        return self.read(work)


def _document_ids(name: str) -> list[str]:
    """The subject's id (an intake's or a case's) and the document's, from its name:
    cases/{c}/documents/{d}, .../services/{s}, intakes/{i}/documents/{d}, or an intake's
    filing approval, intakes/{i}/filing_approval (one per intake)."""
    if name.startswith("intakes/") and name.endswith("/filing_approval"):
        return [*parse_name(name.removesuffix("/filing_approval"), "intakes/*"), ""]
    kind = name.split("/", 3)[2] if name.count("/") >= 3 else "documents"
    collection = "intakes" if name.startswith("intakes/") else "cases"
    return parse_name(name, f"{collection}/*/{kind}/*")
