"""The deadline engine (DESIGN §5): open a time limit from an event, mark it met,
list what is open or overdue per tenant, officer or case."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Boolean, Date, Index, Integer, Select, String, select
from sqlalchemy.orm import Mapped, mapped_column

from liuhen.common.v1 import common_pb2
from liuhen.platform.calendar import WorkingCalendar, local_date
from liuhen.platform.catalogue import deadline_rules
from liuhen.platform.db import Base, UnitOfWork, UtcDateTime, utcnow
from liuhen.platform.enums import to_enum


class DeadlineRow(Base):
    __tablename__ = "platform_deadlines"
    # 0007: the List methods' `overdue` filter (an open item past due, per case).
    __table_args__ = (
        Index("ix_platform_deadlines_open", "tenant_id", "case_id", "met_at", "due_on"),
        # 0016: a tenant's open (and overdue) deadlines, oldest due first (ListDeadlines).
        Index("ix_platform_deadlines_tenant_open", "tenant_id", "met_at", "due_on"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(32), index=True)
    case_id: Mapped[str] = mapped_column(String(64), index=True)
    rule: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(200))
    officer: Mapped[str] = mapped_column(String(64), default="")
    started_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    unit: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(Integer)
    provisional: Mapped[bool] = mapped_column(Boolean)
    met_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    created: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


def open_deadline(
    uow: UnitOfWork,
    calendar: WorkingCalendar,
    *,
    rule: str,
    case_id: str,
    subject: str,
    start: date,
    officer: str = "",
    amount: int | None = None,
) -> DeadlineRow:
    spec = deadline_rules()[rule]
    n = spec.amount if amount is None else amount
    due = calendar.add(start, n, spec.unit)
    row = DeadlineRow(
        id=str(uuid.uuid4()),
        tenant_id=uow.tenant,
        case_id=case_id,
        rule=rule,
        subject=subject,
        officer=officer,
        started_on=start,
        due_on=due.on,
        unit=spec.unit,
        amount=n,
        provisional=due.provisional,
    )
    uow.add(row)
    return row


def meet(uow: UnitOfWork, *, rule: str, case_id: str = "", subject: str = "") -> list[DeadlineRow]:
    """Mark the open deadlines of `rule` on the case or on `subject` as met now; a deadline
    met after its due date keeps that: `late` (met_on > due_on)."""
    stmt = select(DeadlineRow).where(
        DeadlineRow.tenant_id == uow.tenant, DeadlineRow.rule == rule, DeadlineRow.met_at.is_(None)
    )
    if case_id:
        stmt = stmt.where(DeadlineRow.case_id == case_id)
    if subject:
        stmt = stmt.where(DeadlineRow.subject == subject)
    met = []
    for row in uow.session.scalars(stmt):
        if case_id or subject:
            row.met_at = utcnow()
            met.append(row)
    return met


def close_replaced(uow: UnitOfWork, *, case_id: str, document_type: str) -> list[DeadlineRow]:
    """A step taken through another route closes the period it replaces (a 立案监督建议书 to
    the procuratorate instead of a request to reconsider, 移送规定 Art 9, 14)."""
    rules = [r.rule for r in deadline_rules().values() if document_type in r.replaced_by]
    return [row for rule in rules for row in meet(uow, case_id=case_id, rule=rule)]


def met_on(row: DeadlineRow) -> date | None:
    return local_date(row.met_at) if row.met_at is not None else None


def is_late(row: DeadlineRow) -> bool:
    """Met after the due date: a late step stays late once it is taken."""
    day = met_on(row)
    return day is not None and day > row.due_on


def is_over(row: DeadlineRow, today: date) -> bool:
    """The period has run out: its due date is behind `today`."""
    return row.due_on < today


# Where a limit stands (the proto's Deadline.State, lower-case).
OPEN, MET, OVERDUE = "open", "met", "overdue"
STATES = (OPEN, MET, OVERDUE)


def state_of(row: DeadlineRow, today: date) -> str:
    if row.met_at is not None:
        return MET
    return OVERDUE if row.due_on < today else OPEN


def query_statement(
    tenant: str,
    *,
    case_id: str = "",
    officer: str = "",
    open_only: bool = False,
    due_before: date | None = None,
) -> Select[DeadlineRow]:
    """The tenant's deadlines (of one case, of one officer), earliest due first; only the
    open ones (not met), and of those only the ones due before `due_before` (overdue on
    that day, `state_of`), filtered in the query, by an index, not after reading all."""
    stmt = select(DeadlineRow).where(DeadlineRow.tenant_id == tenant)
    if case_id:
        stmt = stmt.where(DeadlineRow.case_id == case_id)
    if officer:
        stmt = stmt.where(DeadlineRow.officer == officer)
    if open_only or due_before is not None:
        stmt = stmt.where(DeadlineRow.met_at.is_(None))
    if due_before is not None:
        stmt = stmt.where(DeadlineRow.due_on < due_before)
    return stmt.order_by(DeadlineRow.due_on, DeadlineRow.created)


def query(
    uow: UnitOfWork,
    *,
    case_id: str = "",
    officer: str = "",
    open_only: bool = False,
    due_before: date | None = None,
) -> list[DeadlineRow]:
    stmt = query_statement(
        uow.tenant, case_id=case_id, officer=officer, open_only=open_only, due_before=due_before
    )
    return list(uow.session.scalars(stmt))


def to_proto(row: DeadlineRow, today: date) -> common_pb2.Deadline:
    spec = deadline_rules()[row.rule]
    return common_pb2.Deadline(
        id=row.id,
        rule=row.rule,
        what=spec.what,
        case_id=row.case_id,
        subject=row.subject,
        started_on=row.started_on.isoformat(),
        due_on=row.due_on.isoformat(),
        unit=row.unit,
        amount=row.amount,
        provisional=row.provisional,
        state=to_enum(common_pb2.Deadline.State, state_of(row, today)),
        source=spec.source,
        officer=row.officer,
        met_on=day.isoformat() if (day := met_on(row)) else "",
        late=is_late(row),
    )
