"""Indexes for the paged List methods (AIP-132, 158): ListIntakes, ListCases and
ListDocuments page by keyset on (tenant, order column, id), filter on state and
officer, and the `overdue` filter looks up a case's open deadlines past due.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = [
    ("ix_intake_intakes_list_received", "intake_intakes", ["tenant_id", "received_at", "id"]),
    ("ix_intake_intakes_list_state", "intake_intakes", ["tenant_id", "state", "received_at"]),
    (
        "ix_intake_intakes_list_officer",
        "intake_intakes",
        ["tenant_id", "registered_by", "received_at"],
    ),
    ("ix_cases_cases_list_filed", "cases_cases", ["tenant_id", "filed_at", "id"]),
    ("ix_cases_cases_list_state", "cases_cases", ["tenant_id", "state", "filed_at"]),
    ("ix_cases_cases_list_handler", "cases_cases", ["tenant_id", "handler", "filed_at"]),
    ("ix_cases_cases_list_reviewer", "cases_cases", ["tenant_id", "reviewer", "filed_at"]),
    ("ix_cases_documents_list_drafted", "cases_documents", ["tenant_id", "drafted_at", "id"]),
    (
        "ix_cases_documents_list_state",
        "cases_documents",
        ["tenant_id", "state", "chain", "drafted_at"],
    ),
    (
        "ix_platform_deadlines_open",
        "platform_deadlines",
        ["tenant_id", "case_id", "met_at", "due_on"],
    ),
]


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
