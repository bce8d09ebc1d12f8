"""Entrusted service between sites (委托送达, seed Art 37(5)): the handling bureau's record
of each entrustment, pending until the entrusted site's 送达回执 or refusal returns.

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from liuhen.platform.migrations import tenancy

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "enforcement_entrustments",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("tenant_id", sa.String(32), nullable=False),
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("document_id", sa.String(36), nullable=False),
        sa.Column("document_type", sa.String(64), nullable=False),
        sa.Column("letter_id", sa.String(36), nullable=False),
        sa.Column("entrusted_site", sa.String(32), nullable=False),
        sa.Column("recipient", sa.String(300), nullable=False),
        sa.Column("address", sa.String(300), nullable=False),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("message_id", sa.String(36), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("deadline_id", sa.String(36), nullable=False),
        sa.Column("document_json", sa.Text, nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answer_message_id", sa.String(36), nullable=False),
        sa.Column("service_record_id", sa.String(36), nullable=False),
        sa.Column("service_date", sa.String(10), nullable=False),
        sa.Column("refusal_reason", sa.String(32), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index(
        "ix_enforcement_entrustments_case", "enforcement_entrustments", ["tenant_id", "case_id"]
    )
    op.create_index(
        "ix_enforcement_entrustments_message",
        "enforcement_entrustments",
        ["tenant_id", "message_id"],
        unique=True,
    )
    tenancy.protect("enforcement_entrustments")


def downgrade() -> None:
    op.drop_index("ix_enforcement_entrustments_message", table_name="enforcement_entrustments")
    op.drop_index("ix_enforcement_entrustments_case", table_name="enforcement_entrustments")
    op.drop_table("enforcement_entrustments")
