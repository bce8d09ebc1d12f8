"""The supervision report (seed Art 47) with I/O: gather a site's rows for a period,
send the report to the city over the message log (on request and on a schedule), and
list at the city the reports its districts sent. The city reads only its own inbox,
never a district's tables (DESIGN §7). Handlers never commit."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, func, or_, select

from liuhen.platform import ledger, outbox
from liuhen.platform.auth import Principal
from liuhen.platform.bootstrap import Platform
from liuhen.platform.catalogue import sites
from liuhen.platform.db import UnitOfWork, utcnow
from liuhen.platform.errors import FailedPrecondition, InvalidArgument
from liuhen.platform.listing import DEFAULT_PAGE, MAX_PAGE
from liuhen.platform.outbox import InboxRow
from liuhen.routing.v1 import routing_pb2
from services.media import access_orm, orm, report_orm, session_orm
from services.media.access import READ_VIEW
from services.media.report import (
    ChainCheck,
    CopyFinding,
    Finding,
    Gathered,
    LateRecording,
    Report,
    build,
    from_json,
    scheduled_period,
    to_json,
)
from services.media.sessions import FLAGGED

log = logging.getLogger("liuhen.media.report")
REPORT_MESSAGE = "supervision_report"  # outbox.ROUTES: from a district to its city
READERS = ("head", "bureau_head", "reviewer", "supervisor")
SENDERS = ("head", "supervisor")
EPOCH = datetime(2020, 1, 6, tzinfo=UTC)  # a Monday, 00:00 UTC: where scheduled periods start

# --- the sections another part of the recording chapter fills ----------------------
# Each takes the unit of work and the period and returns the section's findings, or
# None while the tables it reads do not exist (the section is then not available).
Source = Callable[[UnitOfWork, datetime, datetime], Sequence[Finding] | None]


def activities_without_footage(uow: UnitOfWork, start: datetime, end: datetime) -> list[Finding]:
    """On-site sessions of the period (by arrival) with no segment and no recorded
    exemption (Art 23): the activity needed footage and has none."""
    c = session_orm.sessions.c
    rows = uow.session.execute(
        select(c.id, c.case_id, c.place, c.purpose, c.arrival_time)
        .where(
            c.tenant_id == uow.tenant,
            c.arrival_time >= start,
            c.arrival_time < end,
            c.segments == 0,
            c.exempt_reason == "",
        )
        .order_by(c.arrival_time, c.id)
    )
    return [
        Finding(
            f"cases/{r.case_id}/sessions/{r.id}",
            r.case_id,
            detail=f"{r.purpose} @ {r.place}: no footage",
            time=r.arrival_time,
        )
        for r in rows
    ]


def unexplained_interruptions(uow: UnitOfWork, start: datetime, end: datetime) -> list[Finding]:
    """Gaps between a session's segments, begun in the period, still flagged: neither
    spoken on the resuming segment nor explained in writing (Art 26)."""
    c = session_orm.gap_records.c
    rows = uow.session.execute(
        select(c.session_id, c.case_id, c.after_recording, c.start_time, c.end_time)
        .where(
            c.tenant_id == uow.tenant,
            c.state == FLAGGED,
            c.start_time >= start,
            c.start_time < end,
        )
        .order_by(c.start_time, c.session_id)
    )
    return [
        Finding(
            f"cases/{r.case_id}/sessions/{r.session_id}",
            r.case_id,
            detail=(
                f"gap after {_recording_name(r.case_id, r.after_recording)}: "
                f"{r.start_time.isoformat()} – {r.end_time.isoformat()}"
            ),
            time=r.start_time,
        )
        for r in rows
    ]


def unapproved_access(uow: UnitOfWork, start: datetime, end: datetime) -> list[Finding]:
    """Every line of the access register in the period that no approval covers (Art 44,
    46): a copy with no request, or a look or copy through a request that did not hold
    every approval it needs at that moment. The services refuse both, so the section is
    empty; the report shows it from the register itself, not from the services' word."""
    c = access_orm.access_register.c
    rows = uow.session.execute(
        select(c.case_id, c.recording_id, c.action, c.actor, c.at, c.access_request)
        .where(c.tenant_id == uow.tenant, c.at >= start, c.at < end)
        .order_by(c.at, c.id)
    )
    findings = []
    for r in rows:
        if not r.access_request:
            if r.action == READ_VIEW:
                continue  # a reviewer's direct look: the review department's own (Art 44)
            why = f"{r.action} by {r.actor} with no access request"
        else:
            req = access_orm.get_request(uow, r.case_id, r.recording_id, r.access_request)
            if req is not None and req.approved_at(r.at):
                continue
            why = f"{r.action} by {r.actor} before request {r.access_request} was approved"
        findings.append(
            Finding(_recording_name(r.case_id, r.recording_id), r.case_id, detail=why, time=r.at)
        )
    return findings


@dataclass(frozen=True)
class Sources:
    missing_footage: Source = activities_without_footage
    unexplained: Source = unexplained_interruptions
    unapproved: Source = unapproved_access


# --- gathering ----------------------------------------------------------------------


def _recording_name(case_id: str, rec_id: str) -> str:
    return f"cases/{case_id}/recordings/{rec_id}"


def _late(uow: UnitOfWork, start: datetime, end: datetime) -> list[LateRecording]:
    c = orm.recordings.c
    rows = uow.session.execute(
        select(c.id, c.case_id, c.case_number, c.end_time, c.stored_at)
        .where(c.tenant_id == uow.tenant, c.late.is_(True), c.stored_at >= start, c.stored_at < end)
        .order_by(c.stored_at, c.id)
    )
    return [
        LateRecording(
            _recording_name(r.case_id, r.id), r.case_id, r.case_number, r.end_time, r.stored_at
        )
        for r in rows
    ]


def _stored(uow: UnitOfWork, start: datetime, end: datetime) -> int:
    c = orm.recordings.c
    return int(
        uow.session.scalar(
            select(func.count())
            .select_from(orm.recordings)
            .where(c.tenant_id == uow.tenant, c.stored_at >= start, c.stored_at < end)
        )
        or 0
    )


def _chains(uow: UnitOfWork) -> list[ChainCheck]:
    """Every ledger chain of the site, verified now: a chain broken at any time is a
    finding of every report until it is dealt with."""
    row = ledger.LedgerRow
    ids = uow.session.scalars(
        select(row.case_id).where(row.tenant_id == uow.tenant).distinct().order_by(row.case_id)
    )
    checks = []
    for case_id in list(ids):
        v = ledger.verify(uow, case_id)
        checks.append(ChainCheck(case_id, v.ok, v.first_bad_seq, v.detail))
    return checks


def _case_numbers(uow: UnitOfWork) -> dict[str, str]:
    c = orm.recordings.c
    rows = uow.session.execute(
        select(c.case_id, c.case_number).where(c.tenant_id == uow.tenant).distinct()
    )
    return {r.case_id: r.case_number for r in rows}


def gather(uow: UnitOfWork, start: datetime, end: datetime, sources: Sources) -> Gathered:
    return Gathered(
        recordings=_stored(uow, start, end),
        late=_late(uow, start, end),
        copy_findings=[
            CopyFinding(
                _recording_name(f.case_id, f.recording_id), f.case_id, f.state, f.detail, f.found_at
            )
            for f in report_orm.findings_between(uow, start, end)
        ],
        chains=_chains(uow),
        missing_footage=sources.missing_footage(uow, start, end),
        unexplained=sources.unexplained(uow, start, end),
        unapproved=sources.unapproved(uow, start, end),
        case_numbers=_case_numbers(uow),
    )


def compute(
    uow: UnitOfWork, start: datetime, end: datetime, now: datetime, sources: Sources = Sources()
) -> Report:
    return build(uow.tenant, start, end, now, gather(uow, start, end, sources))


def check_reader(principal: Principal) -> None:
    principal.require_role(*READERS, action="reading the supervision report")


# --- sending to the city --------------------------------------------------------------


def city() -> str:
    return next(s.id for s in sites().values() if s.level == "city")


def check_sender(principal: Principal) -> None:
    principal.require_role(*SENDERS, action="sending the supervision report to the city")
    if principal.tenant == city():
        raise FailedPrecondition(
            "CITY_REPORT_NOT_SENT",
            "the city reads its own report (GetSupervisionReport); districts send theirs to it",
            "市级机构直接查看本级报告，无需报送",
            article="seed Art 47",
        )


def send(uow: UnitOfWork, report: Report, *, requested_by: str, now: datetime) -> str:
    """Put the report in the outbox to the city, in the caller's transaction; the
    routing relay delivers it. Returns the message id."""
    envelope = outbox.enqueue(
        uow,
        type=REPORT_MESSAGE,
        recipient=city(),
        payload_json=json.dumps(to_json(report), ensure_ascii=False),
    )
    uow.add(
        report_orm.SentReport(
            tenant_id=uow.tenant,
            message_id=envelope.message_id,
            period_start=report.period_start,
            period_end=report.period_end,
            requested_by=requested_by,
            created=now,
        )
    )
    return envelope.message_id


# --- at the city: the reports received --------------------------------------------------


@dataclass(frozen=True)
class Received:
    message_id: str
    sender: str
    received: datetime
    report: Report


def check_city_reader(principal: Principal) -> None:
    principal.require_role(
        "supervisor", "head", "bureau_head", action="reading the districts' reports"
    )
    if principal.tenant != city():
        raise FailedPrecondition(
            "NOT_THE_CITY",
            "only the city receives the districts' supervision reports",
            "仅市级机构接收各区报告",
            article="seed Art 47",
        )


def _token(row: InboxRow) -> str:
    raw = json.dumps([row.received.isoformat(), row.message_id]).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _after(token: str) -> tuple[datetime, str] | None:
    if not token:
        return None
    try:
        when, message_id = json.loads(base64.urlsafe_b64decode(token.encode()))
        after = datetime.fromisoformat(when)
        if after.tzinfo is None:
            raise ValueError("a page token's time is in UTC")
        return after, str(message_id)
    except (binascii.Error, ValueError, TypeError):
        raise InvalidArgument(
            "BAD_PAGE_TOKEN",
            "page_token is not one this list gave",
            "分页标记无效",
            field="page_token",
        ) from None


def received(
    uow: UnitOfWork, *, sender: str, page_size: int, token: str
) -> tuple[list[Received], str]:
    """The reports in the city's inbox, newest first (AIP-158 paging by keyset)."""
    if page_size < 0:
        raise InvalidArgument(
            "BAD_PAGE_SIZE",
            "page_size must not be negative",
            "page_size 不得为负",
            field="page_size",
        )
    size = min(page_size or DEFAULT_PAGE, MAX_PAGE)
    stmt = select(InboxRow).where(InboxRow.tenant_id == uow.tenant, InboxRow.type == REPORT_MESSAGE)
    if sender:
        stmt = stmt.where(InboxRow.sender == sender)
    after = _after(token)
    if after is not None:
        stmt = stmt.where(
            or_(
                InboxRow.received < after[0],
                and_(InboxRow.received == after[0], InboxRow.message_id < after[1]),
            )
        )
    rows = list(
        uow.session.scalars(
            stmt.order_by(InboxRow.received.desc(), InboxRow.message_id.desc()).limit(size + 1)
        )
    )
    page, more = rows[:size], len(rows) > size
    out = []
    for row in page:
        envelope = _envelope(row.envelope)
        out.append(
            Received(
                row.message_id,
                row.sender,
                row.received,
                from_json(json.loads(envelope.payload_json)),
            )
        )
    return out, (_token(page[-1]) if more and page else "")


def _envelope(raw: bytes) -> routing_pb2.Envelope:
    envelope = routing_pb2.Envelope()
    envelope.ParseFromString(raw)
    return envelope


# --- the schedule -------------------------------------------------------------------------


class ReportScheduler:
    """Worker: every district sends the city its report for each whole period of
    `interval_s` (from EPOCH), once, soon after the period ends (Art 47)."""

    def __init__(self, platform: Platform, interval_s: float, sources: Sources = Sources()) -> None:
        self.platform, self.interval = platform, timedelta(seconds=interval_s)
        self.sources = sources
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="liuhen-media-report", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        wait = min(self.interval.total_seconds(), 60.0)
        while not self._stopped.is_set():
            try:
                self.run_once(utcnow())
            except Exception:  # a database that is down: tried again next round
                log.exception("supervision report round failed")
            self._stopped.wait(wait)

    def run_once(self, now: datetime) -> int:
        """Send every district's report for the last whole period, unless sent; returns
        how many were sent."""
        start, end = scheduled_period(now, self.interval, EPOCH)
        sent = 0
        for tenant, site in sites().items():
            if site.level == "city" or self._stopped.is_set():
                continue
            with self.platform.db.unit_of_work(tenant) as uow:
                if report_orm.scheduled_send_of(uow, start) is not None:
                    continue
                report = compute(uow, start, end, now, self.sources)
                send(uow, report, requested_by="", now=now)
                uow.commit()
                sent += 1
        return sent
