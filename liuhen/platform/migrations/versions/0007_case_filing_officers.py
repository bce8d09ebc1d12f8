"""Who drafted and who approved a case's filing, on `cases_cases`, so the separation of
intake from handling and review (seed Art 6, 11) can be checked on the case.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases_cases") as batch:
        for name in ("filing_drafted_by", "filing_approved_by"):
            batch.add_column(
                sa.Column(name, sa.String(length=64), nullable=False, server_default="")
            )


def downgrade() -> None:
    with op.batch_alter_table("cases_cases") as batch:
        batch.drop_column("filing_approved_by")
        batch.drop_column("filing_drafted_by")
