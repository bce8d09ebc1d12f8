"""The supervision report's RPCs (seed Art 47), mixed into MediaServicer: protobuf ⇄
report_handlers, nothing else. They run on the servicer's `calls` pool."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from liuhen.media.v1 import media_pb2 as pb
from liuhen.platform.aio import Offload
from liuhen.platform.auth import Principal
from liuhen.platform.db import UnitOfWork, utcnow
from liuhen.platform.errors import InvalidArgument
from liuhen.platform.server import current_principal
from liuhen.platform.service import ServicerBase
from liuhen.platform.timestamps import datetime_of, timestamp
from services.media import report_handlers
from services.media.report import Finding, Report, Section, check_period


def period_of(request: Any) -> tuple[datetime, datetime]:
    try:
        start = datetime_of(request, "period_start")
        end = datetime_of(request, "period_end")
    except (ValueError, OverflowError):
        raise InvalidArgument(
            "BAD_PERIOD",
            "period_start and period_end must be valid times",
            "报告期间的时间无效",
            article="seed Art 47",
            field="period_start",
        ) from None
    return check_period(start, end)


def _finding(f: Finding) -> pb.ReportFinding:
    out = pb.ReportFinding(
        subject=f.subject,
        case=f"cases/{f.case_id}" if f.case_id else "",
        case_number=f.case_number,
        detail=f.detail,
    )
    if f.time is not None:
        out.time.CopyFrom(timestamp(f.time))
    return out


def _section(s: Section) -> pb.ReportSection:
    return pb.ReportSection(
        name=s.spec.name,
        title_zh=s.spec.title_zh,
        article=s.spec.article,
        available=s.available,
        note=s.note,
        findings=[_finding(f) for f in s.findings],
    )


def report_to_pb(report: Report) -> pb.SupervisionReport:
    return pb.SupervisionReport(
        site=report.site,
        period_start=timestamp(report.period_start),
        period_end=timestamp(report.period_end),
        generated_time=timestamp(report.generated_at),
        sections=[_section(s) for s in report.sections],
        recordings=report.recordings,
        ledger_chains=report.ledger_chains,
    )


class SupervisionReportRpcs(ServicerBase):
    """GetSupervisionReport, SendSupervisionReport, ListReceivedSupervisionReports."""

    calls: Offload  # set by MediaServicer
    report_sources: report_handlers.Sources = report_handlers.Sources()

    async def GetSupervisionReport(
        self, request: pb.GetSupervisionReportRequest, context: Any
    ) -> pb.GetSupervisionReportResponse:
        report_handlers.check_reader(current_principal())
        start, end = period_of(request)
        report = await self.calls(
            self.read,
            lambda uow, who: report_handlers.compute(
                uow, start, end, utcnow(), self.report_sources
            ),
        )
        return pb.GetSupervisionReportResponse(report=report_to_pb(report))

    async def SendSupervisionReport(
        self, request: pb.SendSupervisionReportRequest, context: Any
    ) -> pb.SendSupervisionReportResponse:
        report_handlers.check_sender(current_principal())
        start, end = period_of(request)

        def work(uow: UnitOfWork, who: Principal) -> pb.SendSupervisionReportResponse:
            now = utcnow()
            report = report_handlers.compute(uow, start, end, now, self.report_sources)
            sent = report_handlers.send(uow, report, requested_by=who.user_id, now=now)
            return pb.SendSupervisionReportResponse(report=report_to_pb(report), message_id=sent)

        sent: pb.SendSupervisionReportResponse = await self.calls(
            self.mutate, "SendSupervisionReport", request, pb.SendSupervisionReportResponse, work
        )
        return sent

    async def ListReceivedSupervisionReports(
        self, request: pb.ListReceivedSupervisionReportsRequest, context: Any
    ) -> pb.ListReceivedSupervisionReportsResponse:
        report_handlers.check_city_reader(current_principal())
        rows, token = await self.calls(
            self.read,
            lambda uow, who: report_handlers.received(
                uow, sender=request.sender, page_size=request.page_size, token=request.page_token
            ),
        )
        return pb.ListReceivedSupervisionReportsResponse(
            reports=[
                pb.ReceivedSupervisionReport(
                    message_id=r.message_id,
                    sender=r.sender,
                    received_time=timestamp(r.received),
                    report=report_to_pb(r.report),
                )
                for r in rows
            ],
            next_page_token=token,
        )
