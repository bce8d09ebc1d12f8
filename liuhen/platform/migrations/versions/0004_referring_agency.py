"""The agency that forwarded a complaint (转办/交办, seed Art 8(2), 12) on `intake_intakes`.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("intake_intakes") as batch:
        batch.add_column(
            sa.Column("referring_agency", sa.String(length=200), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("intake_intakes") as batch:
        batch.drop_column("referring_agency")
