"""An index for a tenant's open and overdue deadlines (ListDeadlines `overdue_only`,
`open_only` without a case): the per-case index of 0011 cannot serve them, and the call
read every deadline of the tenant to keep a few (bench.city, docs/performance.md).

Revision ID: 0016
Revises: 0014
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_platform_deadlines_tenant_open",
        "platform_deadlines",
        ["tenant_id", "met_at", "due_on"],
    )


def downgrade() -> None:
    op.drop_index("ix_platform_deadlines_tenant_open", table_name="platform_deadlines")
