"""Row-level security and grants for tenant tables, on PostgreSQL only (DESIGN §3, §4).

Every table with `tenant_id` gets a policy that shows and accepts only the rows of the
tenant the unit of work set (`app.tenant_id`), forced on the table owner too. The
services' role may read and write them, except the ledger, which it may only read and
append to: nothing allows update or delete of an entry (DESIGN §4; seed Art 45).
"""

from __future__ import annotations

import re

from alembic import context, op

APPEND_ONLY = frozenset(
    {
        "platform_ledger",
        "platform_prints",
        "platform_tlog_nodes",
        "platform_checkpoints",
        "platform_cosignatures",
        "platform_alarms",
    }
)
POLICY = "tenant_isolation"
TENANT_MATCHES = "tenant_id = current_setting('app.tenant_id', true)"


def on_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def app_role() -> str:
    """The role the services log in as (set by env.py; default `liuhen_app`)."""
    role = str(context.config.attributes.get("app_role") or "liuhen_app")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]{0,62}", role):
        raise ValueError(f"not a usable role name for the app role: {role!r}")
    return role


def _quote(name: str) -> str:
    return op.get_bind().dialect.identifier_preparer.quote(name)


def grant_schema() -> None:
    """USAGE on the current schema and its sequences, for the app role."""
    if not on_postgresql():
        return
    role = _quote(app_role())
    # current_schema() is resolved by the server, so this works in --sql mode too.
    op.execute(
        "DO $$ BEGIN "
        f"EXECUTE format('GRANT USAGE ON SCHEMA %I TO {role}', current_schema()); "
        f"EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO {role}', "
        "current_schema()); END $$"
    )


def protect(table: str) -> None:
    """Force row-level security on `table` (which has `tenant_id`) and grant the app
    role what it may do there."""
    if not on_postgresql():
        return
    t, role = _quote(table), _quote(app_role())
    op.execute(f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {t} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY {POLICY} ON {t} FOR ALL "
        f"USING ({TENANT_MATCHES}) WITH CHECK ({TENANT_MATCHES})"
    )
    privileges = "SELECT, INSERT" if table in APPEND_ONLY else "SELECT, INSERT, UPDATE, DELETE"
    op.execute(f"GRANT {privileges} ON {t} TO {role}")
