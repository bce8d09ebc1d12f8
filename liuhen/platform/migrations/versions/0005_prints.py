"""Prints of effective documents (`platform_prints`): the 文号 numbered per tenant, year
and form, the verification code, the sheet a PDF renders from, its SHA-256 and the
ledger entry that records it (seed Art 41, 45; docs/printing.md). Written once: the
services' role may only read and insert.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from liuhen.platform.migrations import tenancy

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "platform_prints",
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("document", sa.String(length=200), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("series", sa.String(length=32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=True),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("sheet_json", sa.Text(), nullable=False),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=False),
        sa.Column("object_key", sa.String(length=300), nullable=False),
        sa.Column("ledger_seq", sa.BigInteger(), nullable=False),
        sa.Column("ledger_hash", sa.String(length=64), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "document"),
        sa.UniqueConstraint("tenant_id", "series", "year", "seq"),
    )
    op.create_index(op.f("ix_platform_prints_case_id"), "platform_prints", ["case_id"])
    op.create_index(op.f("ix_platform_prints_code"), "platform_prints", ["code"])
    tenancy.protect("platform_prints")


def downgrade() -> None:
    op.drop_index(op.f("ix_platform_prints_code"), table_name="platform_prints")
    op.drop_index(op.f("ix_platform_prints_case_id"), table_name="platform_prints")
    op.drop_table("platform_prints")
