"""Access requests (调阅), copy requests (复制) with their approvals, the copies made and
the access register of recordings (seed Art 44, 46). The register is append-only: the
services' role may read and add lines, never change or remove one (Art 44 登记, 45).

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from liuhen.platform.migrations import tenancy

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "media_access_requests",
        sa.Column("id", sa.String(length=36), primary_key=True),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("recording_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("requester_kind", sa.String(length=16), nullable=False),
        sa.Column("requester", sa.String(length=64), nullable=False),
        sa.Column("requester_name", sa.String(length=300), nullable=False),
        sa.Column("copier", sa.String(length=64), nullable=False),
        sa.Column("copier_name", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("filed_by", sa.String(length=64), nullable=False),
        sa.Column("filed_by_name", sa.String(length=200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("confidentiality", sa.String(length=32), nullable=False),
    )
    op.create_index(
        "ix_media_access_requests_recording",
        "media_access_requests",
        ["tenant_id", "recording_id"],
    )
    op.create_table(
        "media_access_approvals",
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("approver", sa.String(length=64), nullable=False),
        sa.Column("approver_name", sa.String(length=200), nullable=False),
        sa.Column("approved_at", TS, nullable=False),
        sa.Column("ledger_hash", sa.String(length=64), nullable=False),
        sa.Column("ledger_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("request_id", "tenant_id", "role"),
    )
    op.create_table(
        "media_recording_copies",
        sa.Column("id", sa.String(length=36), primary_key=True),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("recording_id", sa.String(length=36), nullable=False),
        sa.Column("copier", sa.String(length=64), nullable=False),
        sa.Column("copier_name", sa.String(length=200), nullable=False),
        sa.Column("file_name", sa.String(length=300), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("approval_ledger_hash", sa.String(length=64), nullable=False),
        sa.Column("approval_ledger_seq", sa.BigInteger(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("ledger_hash", sa.String(length=64), nullable=False),
    )
    op.create_index(
        "ix_media_recording_copies_request", "media_recording_copies", ["tenant_id", "request_id"]
    )
    op.create_table(
        "media_access_register",
        sa.Column("id", sa.String(length=36), primary_key=True),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("recording_id", sa.String(length=36), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("requester_name", sa.String(length=300), nullable=False),
        sa.Column("copier_name", sa.String(length=200), nullable=False),
        sa.Column("approvers", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("access_request", sa.String(length=36), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("ledger_hash", sa.String(length=64), nullable=False),
    )
    op.create_index(
        "ix_media_access_register_list", "media_access_register", ["tenant_id", "at", "id"]
    )
    op.create_index(
        "ix_media_access_register_case", "media_access_register", ["tenant_id", "case_id", "at"]
    )
    for table in (
        "media_access_requests",
        "media_access_approvals",
        "media_recording_copies",
        "media_access_register",
    ):
        tenancy.protect(table)
    if tenancy.on_postgresql():
        # What was registered stays as registered (Art 44 登记; Art 45).
        for table in ("media_access_register", "media_recording_copies"):
            op.execute(f'REVOKE UPDATE, DELETE ON {table} FROM "{tenancy.app_role()}"')


def downgrade() -> None:
    for name, table in (
        ("ix_media_access_register_case", "media_access_register"),
        ("ix_media_access_register_list", "media_access_register"),
        ("ix_media_recording_copies_request", "media_recording_copies"),
        ("ix_media_access_requests_recording", "media_access_requests"),
    ):
        op.drop_index(name, table_name=table)
    for table in (
        "media_access_register",
        "media_recording_copies",
        "media_access_approvals",
        "media_access_requests",
    ):
        op.drop_table(table)
