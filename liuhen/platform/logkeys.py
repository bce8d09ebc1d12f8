"""The ledger log's keys (DESIGN §4; docs/ledger.md): per site, an Ed25519 key that signs
the site's checkpoints and one it cosigns other sites' checkpoints with as a witness.

They live in a folder (`Settings.log_keys_dir`), one file per key holding the signer
key in the Go note format (`PRIVATE+KEY+<name>+<id>+<material>`): `<site>.log.key`
and `<site>.witness.key`. On the embedded default the folder is `LIUHEN_HOME/keys/log`
and missing keys are generated there, mode 0600; on the stack profile the folder is a
mounted Kubernetes Secret (LIUHEN_LOG_KEYS_DIR, required) and a missing key is an
error. Public keys are derived from the private ones; `verifier_keys` lists them for
a court bundle. Rotation: docs/ledger.md.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from liuhen.platform.catalogue import sites
from liuhen.platform.config import ConfigError, Secret, Settings
from liuhen.platform.note import Kind, Signer, Verifier

ORIGIN_PREFIX = "liuhen.gov.wuhan"


def origin_of(site: str) -> str:
    """The checkpoint origin line, and the log key's name, of a site's ledger log."""
    return f"{ORIGIN_PREFIX}/{site}"


def witness_name(site: str) -> str:
    return f"{ORIGIN_PREFIX}/{site}/witness"


def site_of_origin(origin: str) -> str:
    prefix = ORIGIN_PREFIX + "/"
    return origin[len(prefix) :] if origin.startswith(prefix) else ""


@dataclass
class Keyring:
    folder: Path
    generate: bool
    _cache: dict[tuple[str, str], Signer] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> Keyring:
        if settings.profile == "stack":
            if not settings.log_keys_dir:
                raise ConfigError("LIUHEN_LOG_KEYS_DIR is required when LIUHEN_PROFILE=stack")
            return cls(Path(settings.log_keys_dir), generate=False)
        folder = Path(settings.log_keys_dir) if settings.log_keys_dir else None
        return cls(folder or settings.home / "keys" / "log", generate=True)

    def signer(self, site: str, kind: Literal["log", "witness"] = "log") -> Signer:
        if (site, kind) not in self._cache:
            self._cache[(site, kind)] = self._load(site, kind)
        return self._cache[(site, kind)]

    def log_key(self, site: str) -> Verifier:
        return self.signer(site, "log").verifier

    def witness_key(self, site: str) -> Verifier:
        return self.signer(site, "witness").verifier

    def _load(self, site: str, kind: Kind) -> Signer:
        name = origin_of(site) if kind == "log" else witness_name(site)
        path = self.folder / f"{site}.{kind}.key"
        if path.exists():
            signer = Signer.parse(Secret(path.read_text().strip()).value)
            if signer.name != name or signer.kind != kind:
                raise ConfigError(f"{path} holds the key of {signer.name}, not of {name}")
            return signer
        if not self.generate:
            raise ConfigError(f"no ledger {kind} key for {site}: {path} is missing")
        return _create(path, Signer.generate(name, kind))


def _create(path: Path, signer: Signer) -> Signer:
    """Write a new key 0600; the first process to create it wins."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(signer.skey() + "\n")
    try:
        os.link(tmp, path)
    except FileExistsError:
        return Signer.parse(path.read_text().strip())
    finally:
        tmp.unlink()
    return signer


def generate_all(folder: Path) -> list[Path]:
    """Create every site's missing keys in `folder` (for a Secret, or the local stack)."""
    ring = Keyring(folder, generate=True)
    for site in sites():
        ring.signer(site, "log")
        ring.signer(site, "witness")
    return sorted(folder.glob("*.key"))
