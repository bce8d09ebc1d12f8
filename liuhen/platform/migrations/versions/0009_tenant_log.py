"""Each tenant's Merkle log (DESIGN §4; seed Art 45): `platform_tlog_nodes` and the leaf
index on each ledger entry. Existing entries become leaves in the order they were
appended (time, then case and sequence), so a database migrated with data keeps one
tree per tenant. The node table is append-only like the ledger (tenancy.APPEND_ONLY).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from liuhen.platform import merkle
from liuhen.platform.migrations import tenancy

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "platform_tlog_nodes",
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("level", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "level", "idx"),
    )
    with op.batch_alter_table("platform_ledger") as batch:
        batch.add_column(sa.Column("leaf_index", sa.BigInteger(), nullable=True))
        batch.create_unique_constraint("uq_platform_ledger_leaf", ["tenant_id", "leaf_index"])
    tenancy.protect("platform_tlog_nodes")
    _backfill()


def _backfill() -> None:
    """Make every existing entry a leaf. On PostgreSQL row-level security is forced on
    the owner too, so it is lifted for the length of this transaction."""
    bind = op.get_bind()
    pg = bind.dialect.name == "postgresql"
    if pg:
        op.execute("ALTER TABLE platform_ledger NO FORCE ROW LEVEL SECURITY")
        op.execute("ALTER TABLE platform_tlog_nodes NO FORCE ROW LEVEL SECURITY")
    rows = bind.execute(
        sa.text(
            "SELECT tenant_id, case_id, seq, hash FROM platform_ledger "
            "ORDER BY tenant_id, time, case_id, seq"
        )
    ).all()
    sizes: dict[str, int] = {}
    nodes: dict[tuple[str, int, int], bytes] = {}
    for tenant, case_id, seq, entry_hash in rows:
        index = sizes.get(tenant, 0)
        sizes[tenant] = index + 1
        h = merkle.leaf_hash(bytes.fromhex(entry_hash))
        nodes[(tenant, 0, index)] = h
        for (lv, ix), node in zip(
            merkle.left_siblings(index), merkle.completed_by(index), strict=True
        ):
            h = merkle.node_hash(nodes[(tenant, lv, ix)], h)
            nodes[(tenant, *node)] = h
        bind.execute(
            sa.text(
                "UPDATE platform_ledger SET leaf_index = :i "
                "WHERE tenant_id = :t AND case_id = :c AND seq = :s"
            ),
            {"i": index, "t": tenant, "c": case_id, "s": seq},
        )
    if nodes:
        table = sa.table(
            "platform_tlog_nodes",
            sa.column("tenant_id"),
            sa.column("level"),
            sa.column("idx"),
            sa.column("hash"),
        )
        op.bulk_insert(
            table,
            [{"tenant_id": t, "level": lv, "idx": ix, "hash": h} for (t, lv, ix), h in nodes.items()],
        )
    if pg:
        op.execute("ALTER TABLE platform_ledger FORCE ROW LEVEL SECURITY")
        op.execute("ALTER TABLE platform_tlog_nodes FORCE ROW LEVEL SECURITY")


def downgrade() -> None:
    with op.batch_alter_table("platform_ledger") as batch:
        batch.drop_constraint("uq_platform_ledger_leaf", type_="unique")
        batch.drop_column("leaf_index")
    op.drop_table("platform_tlog_nodes")
