"""`liuhen report ...`: the supervision report of the audio/video record (seed Art 47),
as a table or as JSON (docs/supervision-report.md)."""

from __future__ import annotations

import argparse
import json
import os
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from google.protobuf.json_format import MessageToDict
from google.protobuf.timestamp_pb2 import Timestamp

from liuhen.platform.calendar import CHINA

Who = Callable[[argparse.ArgumentParser], None]


def _ts(value: datetime) -> Timestamp:
    out = Timestamp()
    out.FromDatetime(value)
    return out


def period(args: argparse.Namespace, now: datetime | None = None) -> tuple[Timestamp, Timestamp]:
    """--from/--to (dates, Beijing time, --to inclusive) or the last --days up to now."""
    now = now or datetime.now(UTC)
    if args.from_date:
        start = _day(args.from_date)
        end = _day(args.to_date) + timedelta(days=1) if args.to_date else now
    else:
        start, end = now - timedelta(days=args.days), now
    return _ts(start), _ts(end)


def _day(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=CHINA).astimezone(UTC)


def _when(value: Timestamp) -> str:
    if not value.seconds and not value.nanos:
        return "-"
    return f"{value.ToDatetime(tzinfo=UTC):%Y-%m-%d %H:%M}Z"


def table(report: Any) -> str:
    """The report as the supervisors read it: a section per block, a finding per row."""
    lines = [
        f"supervision report of {report.site}: {_when(report.period_start)} to "
        f"{_when(report.period_end)} (made {_when(report.generated_time)})",
        f"recordings stored in the period: {report.recordings}; "
        f"ledger chains verified: {report.ledger_chains}",
    ]
    for s in report.sections:
        if not s.available:
            status = f"not available: {s.note}"
        else:
            status = f"{len(s.findings)} finding(s)" if s.findings else "none"
        lines.append(f"{s.title_zh} ({s.name}, {s.article}): {status}")
        for f in s.findings:
            lines.append(
                f"  {_when(f.time):<18} {f.case_number or '-':<24} {f.subject}  {f.detail}"
            )
    return "\n".join(lines)


def _as_json(message: Any) -> str:
    return json.dumps(
        MessageToDict(message, preserving_proto_field_name=True), ensure_ascii=False, indent=2
    )


def _findings(report: Any) -> bool:
    return any(s.findings for s in report.sections)


def cmd_show(args: argparse.Namespace, officer: Any) -> int:
    from liuhen.media.v1 import media_pb2 as pb

    start, end = period(args)
    report = officer(
        "media",
        "GetSupervisionReport",
        pb.GetSupervisionReportRequest(period_start=start, period_end=end),
    ).report
    print(_as_json(report) if args.json else table(report))
    return 1 if _findings(report) else 0


def cmd_send(args: argparse.Namespace, officer: Any) -> int:
    from liuhen.media.v1 import media_pb2 as pb

    start, end = period(args)
    sent = officer(
        "media",
        "SendSupervisionReport",
        pb.SendSupervisionReportRequest(
            request_id=str(uuid.uuid4()), period_start=start, period_end=end
        ),
    )
    print(_as_json(sent) if args.json else f"sent to the city as messages/{sent.message_id}")
    return 0


def cmd_received(args: argparse.Namespace, officer: Any) -> int:
    from liuhen.media.v1 import media_pb2 as pb

    reply = officer(
        "media",
        "ListReceivedSupervisionReports",
        pb.ListReceivedSupervisionReportsRequest(sender=args.sender or "", page_size=args.limit),
    )
    if args.json:
        print(_as_json(reply))
        return 0
    for r in reply.reports:
        print(f"=== from {r.sender}, received {_when(r.received_time)} (messages/{r.message_id})")
        print(table(r.report))
    if not reply.reports:
        print("no reports received")
    return 0


def add_commands(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    who: Who,
    officer: Callable[[argparse.Namespace], Any],
) -> None:
    rep = sub.add_parser("report", help="the supervision report (Art 47)").add_subparsers(
        dest="report_cmd", required=True
    )

    def when(q: argparse.ArgumentParser) -> None:
        q.add_argument("--from", dest="from_date", help="first day, YYYY-MM-DD (Beijing time)")
        q.add_argument("--to", dest="to_date", help="last day, YYYY-MM-DD (inclusive)")
        q.add_argument("--days", type=int, default=7, help="without --from: the last N days")
        q.add_argument("--json", action="store_true", help="print JSON instead of a table")

    def run(fn: Callable[[argparse.Namespace, Any], int]) -> Callable[[argparse.Namespace], int]:
        return lambda args: fn(args, officer(args))

    show = rep.add_parser("show", help="this site's report; exit status 1 when it finds anything")
    when(show)
    who(show)
    show.set_defaults(fn=run(cmd_show), user=os.environ.get("LIUHEN_USER", "head1"))
    send = rep.add_parser("send", help="send this district's report to the city now")
    when(send)
    who(send)
    send.set_defaults(fn=run(cmd_send), user=os.environ.get("LIUHEN_USER", "head1"))
    got = rep.add_parser("received", help="at the city: the reports the districts sent")
    got.add_argument("--sender", help="only this district's")
    got.add_argument("--limit", type=int, default=20)
    got.add_argument("--json", action="store_true")
    who(got)
    got.set_defaults(
        fn=run(cmd_received),
        tenant=os.environ.get("LIUHEN_TENANT", "wuhan"),
        user=os.environ.get("LIUHEN_USER", "supervisor1"),
    )
