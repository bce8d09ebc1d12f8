"""Bring a database to the newest schema with Alembic (the same migrations for SQLite
and PostgreSQL; on PostgreSQL they also set up row-level security and the app role's
grants, DESIGN §3, §4). Run as the schema owner:

    python -m liuhen.platform.migrate [URL]     # default: $LIUHEN_DATABASE_OWNER_URL
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config

from liuhen.platform.config import Settings

MIGRATIONS = Path(__file__).with_name("migrations")


def config(url: str, *, app_role: str | None = None) -> Config:
    """An Alembic config built in code (no alembic.ini); also for `command.revision`."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if app_role:
        cfg.attributes["app_role"] = app_role
    return cfg


def upgrade(url: str, *, app_role: str | None = None) -> None:
    """Migrate `url` to head. `app_role` (PostgreSQL: the role the services log in as)
    defaults to `liuhen_app`; `Settings.database_app_role` reads $LIUHEN_DB_APP_ROLE."""
    command.upgrade(config(url, app_role=app_role), "head")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    settings = Settings.from_env()
    url = args[0] if args else settings.database_owner_url
    if not url:
        print(
            "usage: python -m liuhen.platform.migrate URL (or set LIUHEN_DATABASE_OWNER_URL)",
            file=sys.stderr,
        )
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    upgrade(url, app_role=settings.database_app_role)
    return 0


if __name__ == "__main__":
    sys.exit(main())
