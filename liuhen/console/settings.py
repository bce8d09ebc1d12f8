"""The console's settings: the platform's (profile, the services' addresses, Keycloak)
plus the cookie-signing secret and the public address (LIUHEN_CONSOLE_*)."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from liuhen.platform.config import ConfigError, Settings

OFFICER_CLIENT = "liuhen-officer"  # the tenant realm's public client (keycloak_realms.py)


@dataclass(frozen=True)
class ConsoleSettings:
    platform: Settings
    session_secret: str
    public_url: str = ""  # e.g. https://console.example; empty: the request's own address
    session_max_age_s: int = 8 * 3600  # a working day; the token's own expiry still rules

    def address(self, service: str) -> str:
        """Where the console reaches `service` (`Settings.address`, LIUHEN_SERVICE_ADDRESS)."""
        return self.platform.address(service)

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ConsoleSettings:
        env = os.environ if env is None else env
        platform = Settings.from_env(env)
        secret = env.get("LIUHEN_CONSOLE_SECRET", "")
        if not secret:
            if platform.profile == "stack":
                raise ConfigError("LIUHEN_CONSOLE_SECRET is required when LIUHEN_PROFILE=stack")
            secret = _embedded_secret(platform)
        return cls(
            platform,
            secret,
            public_url=env.get("LIUHEN_CONSOLE_URL", "").rstrip("/"),
        )


def _embedded_secret(platform: Settings) -> str:
    """On the embedded default the cookie key lives beside the issuer's key, so that a
    restarted console still reads the cookies it signed."""
    path = platform.home / "keys" / "console-session.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(secrets.token_urlsafe(32))
        tmp.chmod(0o600)
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
        tmp.unlink()
    return path.read_text().strip()
