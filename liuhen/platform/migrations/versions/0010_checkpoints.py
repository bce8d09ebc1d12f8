"""Signed checkpoints, witnesses' cosignatures and alarms of the ledger log (DESIGN §4;
seed Art 45, 47). All three are append-only (tenancy.APPEND_ONLY).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from liuhen.platform.migrations import tenancy

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("platform_checkpoints", "platform_cosignatures", "platform_alarms")


def utc_datetime() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "platform_checkpoints",
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("origin", sa.String(length=128), nullable=False),
        sa.Column("size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("root_hash", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("time", utc_datetime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "role", "origin", "size"),
    )
    op.create_table(
        "platform_cosignatures",
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("origin", sa.String(length=128), nullable=False),
        sa.Column("size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("witness", sa.String(length=128), nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        sa.Column("time", utc_datetime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "origin", "size", "witness"),
    )
    op.create_table(
        "platform_alarms",
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=128), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("time", utc_datetime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    for table in TABLES:
        tenancy.protect(table)


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
