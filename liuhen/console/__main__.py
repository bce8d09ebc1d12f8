"""`python -m liuhen.console`: the console on LIUHEN_CONSOLE_PORT (21150)."""

from __future__ import annotations

import logging
import sys

import uvicorn

from liuhen.console.app import create_app
from liuhen.console.settings import ConsoleSettings
from liuhen.platform.config import ConfigError


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        settings = ConsoleSettings.from_env()
    except ConfigError as exc:
        print(f"console: {exc}", file=sys.stderr)
        return 2
    uvicorn.run(
        create_app(settings),
        host=settings.platform.host,
        port=settings.platform.console_port,
        proxy_headers=True,  # behind the chart's Ingress
        log_level="info",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
