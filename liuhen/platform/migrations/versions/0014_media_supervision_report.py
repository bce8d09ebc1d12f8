"""The supervision report (seed Art 41, 47): the findings of the scheduled off-site and
fixity checks (append-only: nothing found is ever withdrawn, Art 45) and the reports a
site has sent to the city over the message log.

Revision ID: 0014
Revises: 0012
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from liuhen.platform.migrations import tenancy

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "media_fixity_findings",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("recording_id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("primary_sha256", sa.String(length=64), nullable=False),
        sa.Column("offsite_sha256", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", "tenant_id"),
    )
    op.create_index(
        "ix_media_fixity_findings_found", "media_fixity_findings", ["tenant_id", "found_at"]
    )
    tenancy.protect("media_fixity_findings")
    if tenancy.on_postgresql():  # a finding is never changed or withdrawn (Art 45)
        op.execute(f'REVOKE UPDATE, DELETE ON media_fixity_findings FROM "{tenancy.app_role()}"')
    op.create_table(
        "media_sent_reports",
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "message_id"),
    )
    op.create_index(
        "ix_media_sent_reports_period", "media_sent_reports", ["tenant_id", "period_start"]
    )
    tenancy.protect("media_sent_reports")


def downgrade() -> None:
    op.drop_index("ix_media_sent_reports_period", table_name="media_sent_reports")
    op.drop_table("media_sent_reports")
    op.drop_index("ix_media_fixity_findings_found", table_name="media_fixity_findings")
    op.drop_table("media_fixity_findings")
