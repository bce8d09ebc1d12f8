"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}

New tables with a `tenant_id` column must get row-level security and the app role's
grants on PostgreSQL: call `tenancy.protect(...)` for each (see 0001_initial).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from liuhen.platform.migrations import tenancy
${imports if imports else ""}
revision: str = ${repr(up_revision)}
down_revision: str | Sequence[str] | None = ${repr(down_revision)}
branch_labels: str | Sequence[str] | None = ${repr(branch_labels)}
depends_on: str | Sequence[str] | None = ${repr(depends_on)}


def upgrade() -> None:
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    ${downgrades if downgrades else "pass"}
