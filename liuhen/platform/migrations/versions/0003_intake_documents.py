"""Intake documents and jurisdiction: the intake's own documents (不予受理决定书, 补正通知,
移送管辖单, 指定办理单, 提请指定管辖: seed Art 11, 13-15) in `intake_documents`; on
`intake_intakes` the two-year limit (劳动保障监察条例 Art 20) and where a transferred,
designated or disputed intake came from.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from liuhen.platform.migrations import tenancy

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # server defaults fill the rows that exist; the models supply values from now on.
    with op.batch_alter_table("intake_intakes") as batch:
        batch.add_column(sa.Column("conduct_ended_on", sa.Date(), nullable=True))
        for flag in ("reported_within_two_years", "time_barred"):
            batch.add_column(
                sa.Column(flag, sa.Boolean(), nullable=False, server_default=sa.false())
            )
        batch.add_column(
            sa.Column("from_site", sa.String(length=64), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("sender_intake", sa.String(length=200), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("inbound_message_id", sa.String(length=36), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("origin_json", sa.Text(), nullable=False, server_default="{}"))
    op.create_table(
        "intake_documents",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("intake_id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("content_json", sa.Text(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("drafted_by", sa.String(length=64), nullable=False),
        sa.Column("drafted_role", sa.String(length=32), nullable=False),
        sa.Column("drafted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recipient", sa.String(length=64), nullable=False),
        sa.Column("approved_by", sa.String(length=64), nullable=False),
        sa.Column("effective_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_intake_documents_intake_id"), "intake_documents", ["intake_id"], unique=False
    )
    op.create_index(
        op.f("ix_intake_documents_tenant_id"), "intake_documents", ["tenant_id"], unique=False
    )
    tenancy.protect("intake_documents")


def downgrade() -> None:
    op.drop_index(op.f("ix_intake_documents_tenant_id"), table_name="intake_documents")
    op.drop_index(op.f("ix_intake_documents_intake_id"), table_name="intake_documents")
    op.drop_table("intake_documents")
    with op.batch_alter_table("intake_intakes") as batch:
        for column in (
            "origin_json",
            "inbound_message_id",
            "sender_intake",
            "from_site",
            "time_barred",
            "reported_within_two_years",
            "conduct_ended_on",
        ):
            batch.drop_column(column)
