"""Whether a case or intake has an open deadline past due: one indexed EXISTS on the
deadlines table, for the List methods' `overdue` filter (DESIGN §5)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.sql.elements import ColumnClause

from liuhen.platform.deadlines import DeadlineRow


def overdue(
    id_column: ColumnClause[Any], tenant_column: ColumnClause[Any], today: date
) -> Callable[[str, str], ColumnElement[bool]]:
    """A clause factory for `overdue = true|false` (Wuhan's date, the caller's `today`)."""

    def clause(op: str, value: str) -> ColumnElement[bool]:
        late = exists(
            select(DeadlineRow.id).where(
                DeadlineRow.tenant_id == tenant_column,
                DeadlineRow.case_id == id_column,
                DeadlineRow.met_at.is_(None),
                DeadlineRow.due_on < today,
            )
        )
        wanted = (value == "true") == (op == "=")
        return late if wanted else ~late

    return clause
