"""The off-site copy of each recording as a durable task (seed Art 41 异地备份; issue 10):
written with the recording, resumed by the media service's copier after a restart.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from liuhen.platform.migrations import tenancy

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "media_offsite_copies",
        sa.Column("recording_id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("object_key", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("offsite_sha256", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("fixity_checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "recording_id"),
    )
    op.create_index(
        "ix_media_offsite_copies_state", "media_offsite_copies", ["tenant_id", "state"]
    )
    tenancy.protect("media_offsite_copies")


def downgrade() -> None:
    op.drop_index("ix_media_offsite_copies_state", table_name="media_offsite_copies")
    op.drop_table("media_offsite_copies")
