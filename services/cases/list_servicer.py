"""ListCases, ListDocuments, ListDeadlines and ListLedgerEntries over gRPC (AIP-132):
parent, paging, filter, order_by."""

from __future__ import annotations

import grpc

from liuhen.cases.v1 import cases_pb2 as pb
from liuhen.platform import deadlines
from liuhen.platform.auth import Principal
from liuhen.platform.calendar import local_date
from liuhen.platform.db import UnitOfWork, utcnow
from liuhen.platform.listing import check_parent
from liuhen.platform.service import ServicerBase, parse_name
from services.cases import handlers, lists
from services.cases.convert import case_to_pb, document_to_pb, entry_to_pb


class ListsMixin(ServicerBase):
    def ListCases(
        self, request: pb.ListCasesRequest, context: grpc.ServicerContext
    ) -> pb.ListCasesResponse:
        today = local_date(utcnow())  # overdue by Wuhan's date, on the PRC calendar

        def work(uow: UnitOfWork, who: Principal) -> pb.ListCasesResponse:
            check_parent(request.parent, who.tenant)
            found, token = lists.list_cases(
                uow,
                today=today,
                filter_text=request.filter,
                order_by=request.order_by,
                page_size=request.page_size,
                token=request.page_token,
            )
            return pb.ListCasesResponse(cases=[case_to_pb(c) for c in found], next_page_token=token)

        return self.read(work)

    def ListDocuments(
        self, request: pb.ListDocumentsRequest, context: grpc.ServicerContext
    ) -> pb.ListDocumentsResponse:
        def work(uow: UnitOfWork, who: Principal) -> pb.ListDocumentsResponse:
            check_parent(request.parent, who.tenant)
            found, token = lists.list_documents(
                uow,
                filter_text=request.filter,
                order_by=request.order_by,
                page_size=request.page_size,
                token=request.page_token,
            )
            return pb.ListDocumentsResponse(
                documents=[document_to_pb(d) for d in found], next_page_token=token
            )

        return self.read(work)

    def ListDeadlines(
        self, request: pb.ListDeadlinesRequest, context: grpc.ServicerContext
    ) -> pb.ListDeadlinesResponse:
        today = local_date(utcnow())  # overdue by Wuhan's date, on the PRC calendar
        if request.case:  # the deprecated field: a malformed name is refused naming it
            parse_name(request.case, "cases/*", "case")
        filter_text = lists.deadline_filter(
            request.filter,
            case=request.case,
            officer=request.officer,
            overdue=request.overdue_only,
            open_=request.open_only,
        )

        def work(uow: UnitOfWork, who: Principal) -> pb.ListDeadlinesResponse:
            if request.parent:  # empty: the caller's own, as before paging
                check_parent(request.parent, who.tenant)
            rows, token = lists.list_deadlines(
                uow.session,
                uow.tenant,
                today=today,
                filter_text=filter_text,
                page_size=request.page_size,
                token=request.page_token,
            )
            return pb.ListDeadlinesResponse(
                deadlines=[deadlines.to_proto(r, today) for r in rows], next_page_token=token
            )

        return self.read(work)

    def ListLedgerEntries(
        self, request: pb.ListLedgerEntriesRequest, context: grpc.ServicerContext
    ) -> pb.ListLedgerEntriesResponse:
        (case_id,) = parse_name(request.parent, "cases/*", "parent")

        def work(uow: UnitOfWork, _who: Principal) -> pb.ListLedgerEntriesResponse:
            handlers.load_case(uow, case_id)  # another tenant's case is NOT_FOUND, as GetCase
            found, token = lists.list_ledger_entries(
                uow, case_id, page_size=request.page_size, token=request.page_token
            )
            return pb.ListLedgerEntriesResponse(
                entries=[entry_to_pb(e) for e in found], next_page_token=token
            )

        return self.read(work)
