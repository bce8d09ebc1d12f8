"""Indexes for the paged ListMessages, ListServiceRecords and ListEntrustments (issue 12;
AIP-132, 158): each pages by keyset on (tenant, its time, id) and filters on the fields
the console asks for (a message's type and state; a service's or entrustment's case; an
entrustment's state).

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = [
    ("ix_platform_inbox_list_received", "platform_inbox", ["tenant_id", "received", "message_id"]),
    ("ix_platform_inbox_list_type", "platform_inbox", ["tenant_id", "type", "received"]),
    ("ix_platform_inbox_list_state", "platform_inbox", ["tenant_id", "state", "received"]),
    ("ix_platform_outbox_list_created", "platform_outbox", ["tenant_id", "created", "message_id"]),
    ("ix_platform_outbox_list_type", "platform_outbox", ["tenant_id", "type", "created"]),
    ("ix_platform_outbox_list_state", "platform_outbox", ["tenant_id", "state", "created"]),
    (
        "ix_enforcement_service_records_list_served",
        "enforcement_service_records",
        ["tenant_id", "served_at", "id"],
    ),
    (
        "ix_enforcement_service_records_list_case",
        "enforcement_service_records",
        ["tenant_id", "case_id", "served_at", "id"],
    ),
    (
        "ix_enforcement_entrustments_list_sent",
        "enforcement_entrustments",
        ["tenant_id", "sent_at", "id"],
    ),
    (
        "ix_enforcement_entrustments_list_case",
        "enforcement_entrustments",
        ["tenant_id", "case_id", "sent_at", "id"],
    ),
    (
        "ix_enforcement_entrustments_list_state",
        "enforcement_entrustments",
        ["tenant_id", "state", "sent_at"],
    ),
]


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
