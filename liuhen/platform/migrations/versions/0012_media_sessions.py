"""On-site sessions, their interruptions and what each recording is attached to (an
intake, a session, an image's note): seed Art 7, 24–26, 41.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from liuhen.platform.migrations import tenancy

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "media_sessions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("arrival_time", TZ, nullable=False),
        sa.Column("departure_time", TZ, nullable=False),
        sa.Column("place", sa.String(length=300), nullable=False),
        sa.Column("purpose", sa.String(length=300), nullable=False),
        sa.Column("officers_json", sa.Text(), nullable=False),
        sa.Column("parties_json", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("unexplained_gaps", sa.Integer(), nullable=False),
        sa.Column("segments", sa.Integer(), nullable=False),
        sa.Column("exempt_reason", sa.Text(), nullable=False),
        sa.Column("exempt_approver", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_media_sessions_tenant_case", "media_sessions", ["tenant_id", "case_id"])
    op.create_table(
        "media_recording_contexts",
        sa.Column("recording_id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("intake_id", sa.String(length=36), nullable=False),
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("resume_reason", sa.String(length=32), nullable=False),
        sa.Column("note_time", TZ, nullable=True),
        sa.Column("note_place", sa.String(length=300), nullable=False),
        sa.Column("note_content", sa.Text(), nullable=False),
        sa.Column("note_recorder_name", sa.String(length=200), nullable=False),
        sa.Column("note_recorder_identity", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("recording_id", "tenant_id"),
    )
    op.create_index(
        "ix_media_recording_contexts_session",
        "media_recording_contexts",
        ["tenant_id", "session_id"],
    )
    op.create_table(
        "media_session_gaps",
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("after_recording", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("before_recording", sa.String(length=36), nullable=False),
        sa.Column("start_time", TZ, nullable=False),
        sa.Column("end_time", TZ, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("flagged_at", TZ, nullable=False),
        sa.Column("how", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("document", sa.String(length=200), nullable=False),
        sa.Column("reported_to", sa.String(length=200), nullable=False),
        sa.Column("reported_at", TZ, nullable=True),
        sa.Column("explained_at", TZ, nullable=True),
        sa.Column("explained_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "session_id", "after_recording"),
    )
    for table in ("media_sessions", "media_recording_contexts", "media_session_gaps"):
        tenancy.protect(table)


def downgrade() -> None:
    op.drop_table("media_session_gaps")
    op.drop_index("ix_media_recording_contexts_session", table_name="media_recording_contexts")
    op.drop_table("media_recording_contexts")
    op.drop_index("ix_media_sessions_tenant_case", table_name="media_sessions")
    op.drop_table("media_sessions")
