"""Alembic environment: one database holds every service's tables (services.schema).

The whole upgrade runs in one transaction that first takes a lock (an advisory lock on
PostgreSQL, BEGIN IMMEDIATE on SQLite), so services that start together and all
migrate do it one after the other and the later ones find the schema at head.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from liuhen.platform.db import make_engine
from services.schema import metadata

config = context.config
# The role the services log in as on PostgreSQL: migrate.upgrade(app_role=...) (from
# Settings.database_app_role), then `-x app_role=...`, then liuhen_app.
config.attributes.setdefault(
    "app_role", context.get_x_argument(as_dictionary=True).get("app_role") or "liuhen_app"
)
MIGRATION_LOCK = 0x6C6975686E  # "liuhn": any fixed key shared by every migrator


def run_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=metadata(),
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    # DDL may wait for the services' transactions: a longer bound than a call's.
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "", statement_timeout_s=600)
    try:
        with engine.connect() as connection:
            # SQLite DDL is transactional too; one transaction makes the upgrade atomic.
            context.configure(
                connection=connection, target_metadata=metadata(), transactional_ddl=True
            )
            with context.begin_transaction():
                if connection.dialect.name == "postgresql":
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK}
                    )
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
