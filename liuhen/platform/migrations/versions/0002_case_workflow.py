"""Case workflow columns: major cases and mandatory recording (seed Art 23, 34) on
cases_cases, and the version a correction supersedes on cases_documents (DESIGN §4).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # server defaults fill the rows that exist; the models supply values from now on.
    with op.batch_alter_table("cases_cases") as batch:
        batch.add_column(
            sa.Column("major", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("av_reasons", sa.String(length=200), nullable=False, server_default="")
        )
    with op.batch_alter_table("cases_documents") as batch:
        batch.add_column(
            sa.Column("supersedes", sa.String(length=36), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("cases_documents") as batch:
        batch.drop_column("supersedes")
    with op.batch_alter_table("cases_cases") as batch:
        batch.drop_column("av_reasons")
        batch.drop_column("major")
