"""The case's periods and remedies gathered for the time rules of procedure.py."""

from __future__ import annotations

import json
from datetime import date

from liuhen.platform import deadlines
from liuhen.platform.calendar import WorkingCalendar, local_date
from liuhen.platform.db import UnitOfWork, utcnow
from services.cases import orm, procedure
from services.cases.model import Case


def facts(uow: UnitOfWork, calendar: WorkingCalendar, case: Case) -> procedure.Facts:
    """Today in Wuhan, the case's deadlines by the type of the document they hang on, the
    reviews and suits recorded (remedy_record, oldest first) and, after an upholding
    outcome, the 3 months of 行政强制法 Art 53 counted from it."""
    # Only what the rules read: the types of the documents the deadlines hang on and the
    # effective remedy records, not every document of the case (docs/performance.md).
    rows = deadlines.query(uow, case_id=case.id)
    prefix = f"cases/{case.id}/documents/"
    types = {
        prefix + i: t
        for i, t in orm.types_of(
            uow,
            case.id,
            (r.subject.removeprefix(prefix) for r in rows if r.subject.startswith(prefix)),
        ).items()
    }
    periods = tuple(
        procedure.Period(
            rule=row.rule,
            subject_type=types.get(row.subject, ""),
            started_on=row.started_on,
            due_on=row.due_on,
            met=row.met_at is not None,
        )
        for row in rows
    )
    recorded = []
    for d in orm.effective_of_type(uow, case.id, "remedy_record"):
        c = json.loads(d.content_json)
        remedy = procedure.Remedy(
            kind=str(c["kind"]),
            outcome=str(c["outcome"]),
            decided_on=_date(c.get("decided_on")),
        )
        # recorded at the same instant, the lodging comes before its outcome
        recorded.append((d.drafted_at, remedy.outcome != "pending", remedy))
    remedies = [r for _, _, r in sorted(recorded, key=lambda x: (x[0], x[1]))]
    window: dict[str, date] = {}
    last = remedies[-1] if remedies else None
    if last and last.outcome in ("upheld", "changed") and last.decided_on:
        window["court_application"] = calendar.add_months(last.decided_on, 3).on
    return procedure.Facts(
        today=local_date(utcnow()),
        periods=periods,
        remedies=tuple(remedies),
        window_due=window,
    )


def _date(value: object) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None
