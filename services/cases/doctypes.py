"""The document catalogue over the API (ListDocumentTypes, GetDocumentType): each type
with its typed fields, so a client builds the form from it (DESIGN §4)."""

from __future__ import annotations

import base64
import binascii

from liuhen.cases.v1 import cases_pb2 as pb
from liuhen.platform.catalogue import DocumentType, FieldSpec, document_type, documents
from liuhen.platform.errors import InvalidArgument, not_found

DEFAULT_PAGE, MAX_PAGE = 50, 100


def field_to_pb(f: FieldSpec) -> pb.FieldSpec:
    return pb.FieldSpec(
        name=f.name,
        label=f.label,
        type=pb.FieldType.Value(f"FIELD_TYPE_{f.type.upper()}"),
        required=f.required,
        options=list(f.options),
        max_length=f.max_length,
        has_minimum=f.minimum is not None,
        minimum=f.minimum or 0,
        source=f.source,
    )


def document_type_to_pb(t: DocumentType) -> pb.DocumentType:
    return pb.DocumentType(
        name=f"documentTypes/{t.code}",
        code=t.code,
        title_zh=t.zh,
        stage=t.stage,
        articles=list(t.articles),
        drafters={level: pb.Roles(roles=list(roles)) for level, roles in t.drafters.items()},
        recorded_by=list(t.recorded_by),
        approval_chain=list(t.approval),
        served_to=list(t.served_to),
        decision_document=t.decision_document,
        inbound=t.inbound,
        fields=[field_to_pb(f) for f in t.fields],
    )


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"documentTypes:{offset}".encode()).decode()


def _offset(token: str) -> int:
    if not token:
        return 0
    try:
        kind, _, offset = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
        if kind == "documentTypes" and offset.isdigit():
            return int(offset)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise InvalidArgument(
        "BAD_PAGE_TOKEN",
        "page_token is not one this method returned",
        "分页标记无效",
        article="AIP-158",
        field="page_token",
    )


def list_page(page_size: int, page_token: str) -> pb.ListDocumentTypesResponse:
    """One page of the catalogue, in its order (AIP-158)."""
    if page_size < 0:
        raise InvalidArgument(
            "BAD_PAGE_SIZE", "page_size must not be negative", "每页数量不得为负", field="page_size"
        )
    size = min(page_size or DEFAULT_PAGE, MAX_PAGE)
    start = _offset(page_token)
    types = list(documents().values())
    page = types[start : start + size]
    more = start + size < len(types)
    return pb.ListDocumentTypesResponse(
        document_types=[document_type_to_pb(t) for t in page],
        next_page_token=_token(start + size) if more else "",
    )


def get(name: str) -> pb.GetDocumentTypeResponse:
    code = name.removeprefix("documentTypes/")
    if not name.startswith("documentTypes/") or not code:
        raise InvalidArgument(
            "MALFORMED_NAME",
            f"name must be documentTypes/{{code}}, not {name!r}",
            "名称格式应为 documentTypes/{code}",
            field="name",
        )
    if code not in documents():
        raise not_found("document type", name)
    return pb.GetDocumentTypeResponse(document_type=document_type_to_pb(document_type(code)))
