"""The one document workflow for intake documents too (DESIGN §4): `intake_documents`
gets the approval chain still to act, the approvals given, the version and the document
it corrects, as `cases_documents` has. A document that waited for the head's approval
(state `drafted`) is now `submitted` with the head still to act.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("intake_documents") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(
            sa.Column("chain", sa.String(length=200), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("approvals", sa.Text(), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("supersedes", sa.String(length=36), nullable=False, server_default="")
        )
    # Every intake document with an approval step is approved by the head alone.
    op.execute(
        "UPDATE intake_documents SET state = 'submitted', chain = 'head' WHERE state = 'drafted'"
    )
    op.execute(
        "UPDATE intake_documents SET approvals = 'head:' || approved_by "
        "WHERE state = 'effective' AND approved_by <> ''"
    )


def downgrade() -> None:
    op.execute("UPDATE intake_documents SET state = 'drafted' WHERE state = 'submitted'")
    with op.batch_alter_table("intake_documents") as batch:
        for column in ("supersedes", "approvals", "chain", "version"):
            batch.drop_column(column)
