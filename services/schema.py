"""Every table of every service and of the platform, in one metadata: what the Alembic
migrations (liuhen/platform/migrations) must build, checked by the database contract."""

from __future__ import annotations

import importlib
import importlib.util

from sqlalchemy import MetaData

from liuhen.platform.config import SERVICES
from liuhen.platform.db import Base

PLATFORM_TABLES = (
    "liuhen.platform.ledger",
    "liuhen.platform.tlog",
    "liuhen.platform.checkpoints",
    "liuhen.platform.deadlines",
    "liuhen.platform.outbox",
    "liuhen.platform.printing.registry",
)


def metadata() -> MetaData:
    for module in PLATFORM_TABLES:
        importlib.import_module(module)
    for service in SERVICES:
        if importlib.util.find_spec(f"services.{service}.orm") is not None:
            importlib.import_module(f"services.{service}.orm")
    return Base.metadata
