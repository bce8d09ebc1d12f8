"""The ledger's sequencer (docs/ledger.md §1; seed Art 45): a command appends its entry
queued (leaf_index NULL) under its case's lock; the sequencer sets the leaf index later,
in its own transaction. On PostgreSQL the services' role gets UPDATE on that one column
only, and a trigger lets it change exactly once, from NULL to the index of a stored leaf
that is this entry's hash; every other column stays as inserted, for every role that
does not drop the trigger. SQLite has no roles (whoever holds the file is its owner):
nothing to grant there.

The same for a print's PDF hash (docs/printing.md): the print is inserted when its
document takes effect, with `pdf_sha256` empty; its PDF is rendered after that commit
and its hash set once, from empty, by the services' role (UPDATE on that column only).

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from liuhen.platform.migrations import tenancy

revision: str = "0020"
down_revision: str | Sequence[str] | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTION = """
CREATE OR REPLACE FUNCTION platform_ledger_sequenced() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.leaf_index IS NOT NULL THEN
        RAISE EXCEPTION 'permission denied: ledger entry %/% is already leaf %',
            OLD.case_id, OLD.seq, OLD.leaf_index USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF (NEW.tenant_id, NEW.case_id, NEW.seq, NEW.service, NEW.action, NEW.actor_json,
        NEW.payload_sha256, NEW.refs_json, NEW.time, NEW.prev_hash, NEW.hash)
       IS DISTINCT FROM
       (OLD.tenant_id, OLD.case_id, OLD.seq, OLD.service, OLD.action, OLD.actor_json,
        OLD.payload_sha256, OLD.refs_json, OLD.time, OLD.prev_hash, OLD.hash) THEN
        RAISE EXCEPTION 'permission denied: ledger entry %/% changes only its leaf index',
            OLD.case_id, OLD.seq USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.leaf_index IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM platform_tlog_nodes n
        WHERE n.tenant_id = NEW.tenant_id AND n.level = 0 AND n.idx = NEW.leaf_index
          AND n.hash = sha256('\\x00'::bytea || decode(NEW.hash, 'hex'))
    ) THEN
        RAISE EXCEPTION 'ledger entry %/% is not leaf % of the log', NEW.case_id, NEW.seq,
            NEW.leaf_index USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$
"""


PRINTED = """
CREATE OR REPLACE FUNCTION platform_prints_printed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.pdf_sha256 <> '' OR NEW.pdf_sha256 !~ '^[0-9a-f]{64}$'
       OR (NEW.tenant_id, NEW.document, NEW.case_id, NEW.type, NEW.series, NEW.year, NEW.seq,
           NEW.number, NEW.code, NEW.sheet_json, NEW.object_key, NEW.ledger_seq,
           NEW.ledger_hash, NEW.issued_at)
          IS DISTINCT FROM
          (OLD.tenant_id, OLD.document, OLD.case_id, OLD.type, OLD.series, OLD.year, OLD.seq,
           OLD.number, OLD.code, OLD.sheet_json, OLD.object_key, OLD.ledger_seq,
           OLD.ledger_hash, OLD.issued_at) THEN
        RAISE EXCEPTION 'permission denied: the print of % changes only once, when its PDF '
            'is recorded', OLD.document USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$
"""


def upgrade() -> None:
    if not tenancy.on_postgresql():
        return
    role = op.get_bind().dialect.identifier_preparer.quote(tenancy.app_role())
    op.execute(FUNCTION)
    op.execute(
        "CREATE TRIGGER platform_ledger_sequenced BEFORE UPDATE ON platform_ledger "
        "FOR EACH ROW EXECUTE FUNCTION platform_ledger_sequenced()"
    )
    op.execute(f"GRANT UPDATE (leaf_index) ON platform_ledger TO {role}")
    op.execute(PRINTED)
    op.execute(
        "CREATE TRIGGER platform_prints_printed BEFORE UPDATE ON platform_prints "
        "FOR EACH ROW EXECUTE FUNCTION platform_prints_printed()"
    )
    op.execute(f"GRANT UPDATE (pdf_sha256) ON platform_prints TO {role}")


def downgrade() -> None:
    if not tenancy.on_postgresql():
        return
    role = op.get_bind().dialect.identifier_preparer.quote(tenancy.app_role())
    op.execute(f"REVOKE UPDATE (pdf_sha256) ON platform_prints FROM {role}")
    op.execute("DROP TRIGGER IF EXISTS platform_prints_printed ON platform_prints")
    op.execute("DROP FUNCTION IF EXISTS platform_prints_printed()")
    op.execute(f"REVOKE UPDATE (leaf_index) ON platform_ledger FROM {role}")
    op.execute("DROP TRIGGER IF EXISTS platform_ledger_sequenced ON platform_ledger")
    op.execute("DROP FUNCTION IF EXISTS platform_ledger_sequenced()")
