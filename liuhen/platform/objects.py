"""Object store adapters for footage and attachments (DESIGN §2, §6).

`FileObjectStore` is the embedded default: a content-addressed folder per tenant that
refuses overwrite and refuses delete under retention or legal hold, with an off-site
copy in a second folder. `S3ObjectStore` (`s3objects`) is the real adapter: an S3 store
with Object Lock (Ceph RGW multisite in the stack). Both hash while streaming and never
hold a whole object in memory (Art 41 同步上传/异地备份, Art 45 不得删除或修改).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from liuhen.platform.ports import (
    FixityMismatch,
    ObjectExists,
    ObjectLocked,
    ObjectNotFound,
    ObjectStore,
    PortError,
    StoredObject,
)
from liuhen.platform.private import FILE_MODE, private_dir, write_private

CHUNK = 64 * 1024
_TENANT = re.compile(r"[a-z0-9][a-z0-9-]{1,40}")


class ObjectStoreError(PortError):
    """The store failed for a reason other than the ones the port names."""


def check_tenant(tenant: str) -> str:
    if not _TENANT.fullmatch(tenant):
        raise ValueError(f"tenant id must match {_TENANT.pattern}: {tenant!r}")
    return tenant


def check_key(key: str) -> str:
    if not key or "\x00" in key or len(key.encode("utf-8")) > 1024:
        raise ValueError(f"object key must be 1..1024 bytes without NUL: {key!r}")
    return key


def check_retain_until(retain_until: datetime) -> datetime:
    if retain_until.tzinfo is None:
        raise ValueError("retain_until must carry a time zone")
    if retain_until <= datetime.now(UTC):
        raise ValueError(f"retain_until is not in the future: {retain_until.isoformat()}")
    return retain_until.astimezone(UTC)


# --- embedded: a content-addressed folder ---------------------------------------------


class FileObjectStore(ObjectStore):
    """`root/<tenant>/cas/<sha256>` holds the bytes once (read-only files);
    `root/<tenant>/keys/<quoted key>.json` maps a key to its hash, size, metadata,
    retention and legal hold. A key is claimed with a hard link, which fails if the key
    exists, so two processes cannot both write it. The off-site copy is the same layout
    under `offsite` (default `root/_offsite`), written by `copy_offsite`. Bytes in
    flight sit in `tmp/`, locked while written, so `clean_staging` can tell a crashed
    upload's leftovers from a live one. Folders are 0700 and files 0600/0400: they
    hold personal data."""

    def __init__(self, root: Path, *, offsite: Path | None = None) -> None:
        self._root = Path(root)
        self._offsite = Path(offsite) if offsite is not None else self._root / "_offsite"

    # paths
    def _tenant_dir(self, base: Path, tenant: str) -> Path:
        return base / check_tenant(tenant)

    @staticmethod
    def _key_file(tdir: Path, key: str) -> Path:
        name = quote(check_key(key), safe="")
        if len(name) > 200:  # "%%" never occurs in a quoted name, so no clash
            name = "%%" + hashlib.sha256(key.encode("utf-8")).hexdigest()
        return tdir / "keys" / f"{name}.json"

    @contextlib.contextmanager
    def _locked(self, tenant: str) -> Iterator[Path]:
        tdir = self._tenant_dir(self._root, tenant)
        if not (tdir / "keys").is_dir():
            raise ObjectStoreError(f"no store for tenant {tenant!r}: call ensure_bucket")
        fd = os.open(tdir / ".lock", os.O_CREAT | os.O_RDWR, FILE_MODE)
        with os.fdopen(fd, "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield tdir
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def ensure_bucket(self, tenant: str) -> None:
        for base in (self._root, self._offsite):
            private_dir(base)
            tdir = private_dir(self._tenant_dir(base, tenant))
            for sub in ("cas", "keys", "tmp"):
                private_dir(tdir / sub)

    def put(
        self,
        tenant: str,
        key: str,
        chunks: Iterable[bytes],
        *,
        metadata: Mapping[str, str],
        retain_until: datetime,
    ) -> StoredObject:
        until = check_retain_until(retain_until)
        tdir = self._tenant_dir(self._root, tenant)
        if self._key_file(tdir, key).exists():
            raise ObjectExists(f"{tenant}/{key}")
        if not (tdir / "keys").is_dir():
            raise ObjectStoreError(f"no store for tenant {tenant!r}: call ensure_bucket")
        tmp, digest, size = _stream_to_temp(chunks, tdir / "tmp")
        entry = {
            "key": key,
            "sha256": digest,
            "size": size,
            "metadata": dict(metadata),
            "retain_until": until.isoformat(),
            "legal_hold": False,
        }
        with self._locked(tenant):
            _store_blob(tmp, tdir / "cas" / digest)
            if not _create_exclusive(self._key_file(tdir, key), entry):
                raise ObjectExists(f"{tenant}/{key}")
        return _stored(entry)

    def copy_offsite(self, tenant: str, key: str, timeout_s: float = 0.0) -> str | None:
        """Copy the object to the off-site folder (the bytes hashed as they are copied,
        so a primary that no longer matches its hash is not copied) and return the
        off-site copy's hash."""
        with self._locked(tenant):
            entry = self._entry(tenant, key)
            src = self._tenant_dir(self._root, tenant) / "cas" / entry["sha256"]
            odir = self._tenant_dir(self._offsite, tenant)
            if not (odir / "cas" / entry["sha256"]).exists():
                with open(src, "rb") as f:
                    tmp, digest, _ = _stream_to_temp(iter(lambda: f.read(CHUNK), b""), odir / "tmp")
                if digest != entry["sha256"]:
                    tmp.unlink()
                    raise FixityMismatch(
                        f"{tenant}/{key}: primary bytes hash to {digest}, "
                        f"recorded {entry['sha256']}"
                    )
                _store_blob(tmp, odir / "cas" / entry["sha256"])
            _replace_json(self._key_file(odir, key), entry)
        return self.replica_sha256(tenant, key)

    def clean_staging(self, older_than_s: float = 0.0, tenant: str | None = None) -> int:
        """Remove what interrupted writes left in `tmp/` (and half-written key files):
        a file no live writer holds locked. Returns how many were removed."""
        removed = 0
        cutoff = time.time() - older_than_s
        for base in (self._root, self._offsite):
            if not base.is_dir():
                continue
            tdirs = [self._tenant_dir(base, tenant)] if tenant else list(base.iterdir())
            for tdir in tdirs:
                leftovers = [*tdir.glob("tmp/put-*"), *tdir.glob("keys/.*.tmp")]
                for path in leftovers:
                    removed += _remove_if_abandoned(path, cutoff)
        return removed

    def _entry(self, tenant: str, key: str, base: Path | None = None) -> dict[str, Any]:
        path = self._key_file(self._tenant_dir(base or self._root, tenant), key)
        try:
            entry: dict[str, Any] = json.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            raise ObjectNotFound(f"{tenant}/{key}") from None
        return entry

    def head(self, tenant: str, key: str) -> StoredObject:
        return _stored(self._entry(tenant, key))

    def open(self, tenant: str, key: str) -> Iterator[bytes]:
        entry = self._entry(tenant, key)
        f = open(self._tenant_dir(self._root, tenant) / "cas" / entry["sha256"], "rb")  # noqa: SIM115
        return verified(_read_chunks(f), entry["sha256"], f"{tenant}/{key}")

    def open_range(
        self, tenant: str, key: str, *, offset: int, length: int | None = None
    ) -> Iterator[bytes]:
        check_range(offset, length)
        entry = self._entry(tenant, key)
        f = open(self._tenant_dir(self._root, tenant) / "cas" / entry["sha256"], "rb")  # noqa: SIM115
        f.seek(offset)
        return _read_chunks(f, length)

    def primary_sha256(self, tenant: str, key: str) -> str:
        entry = self._entry(tenant, key)
        return _hash_file(self._tenant_dir(self._root, tenant) / "cas" / entry["sha256"])

    def delete(self, tenant: str, key: str) -> None:
        with self._locked(tenant):
            entry = self._entry(tenant, key)
            if entry["legal_hold"]:
                raise ObjectLocked(f"{tenant}/{key} is under legal hold")
            until = datetime.fromisoformat(entry["retain_until"])
            if until > datetime.now(UTC):
                raise ObjectLocked(f"{tenant}/{key} is retained until {until.isoformat()}")
            for base in (self._root, self._offsite):
                tdir = self._tenant_dir(base, tenant)
                self._key_file(tdir, key).unlink(missing_ok=True)
                if not _referenced(tdir / "keys", entry["sha256"]):
                    (tdir / "cas" / entry["sha256"]).unlink(missing_ok=True)

    def set_legal_hold(self, tenant: str, key: str, on: bool) -> None:
        with self._locked(tenant):
            for base in (self._root, self._offsite):
                path = self._key_file(self._tenant_dir(base, tenant), key)
                if base is self._offsite and not path.exists():
                    continue
                entry = self._entry(tenant, key, base)
                entry["legal_hold"] = bool(on)
                _replace_json(path, entry)

    def extend_retention(self, tenant: str, key: str, retain_until: datetime) -> StoredObject:
        until = check_retain_until(retain_until)
        with self._locked(tenant):
            for base in (self._root, self._offsite):
                path = self._key_file(self._tenant_dir(base, tenant), key)
                if base is self._offsite and not path.exists():
                    continue
                entry = self._entry(tenant, key, base)
                if datetime.fromisoformat(entry["retain_until"]) < until:
                    entry["retain_until"] = until.isoformat()
                    _replace_json(path, entry)
        return self.head(tenant, key)

    def replica_sha256(self, tenant: str, key: str, timeout_s: float = 0.0) -> str | None:
        """The off-site copy's hash, re-read from its bytes; None while it has none (the
        embedded store copies on `copy_offsite` only, so there is nothing to wait for)."""
        odir = self._tenant_dir(self._offsite, tenant)
        try:
            entry = self._entry(tenant, key, self._offsite)
            return _hash_file(odir / "cas" / entry["sha256"])
        except (ObjectNotFound, FileNotFoundError):
            return None


def _hash_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def _remove_if_abandoned(path: Path, cutoff: float) -> int:
    """Unlink `path` if it is older than `cutoff` and no writer holds its lock."""
    try:
        if path.stat().st_mtime > cutoff:
            return 0
        with open(path, "rb") as f:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            path.unlink()
        return 1
    except (BlockingIOError, FileNotFoundError):
        return 0


def verified(chunks: Iterable[bytes], sha256: str, what: str) -> Iterator[bytes]:
    """Yield the chunks, hashing them; raise FixityMismatch at the end if the bytes read
    are not the bytes recorded (a download re-hashes as it streams)."""
    h = hashlib.sha256()
    for chunk in chunks:
        h.update(chunk)
        yield chunk
    if sha256 and h.hexdigest() != sha256:
        raise FixityMismatch(f"{what}: read bytes hash to {h.hexdigest()}, recorded {sha256}")


def _stream_to_temp(chunks: Iterable[bytes], tmpdir: Path) -> tuple[Path, str, int]:
    """Write the chunks to a new 0600 file in `tmpdir`, locked while it is written (so
    `clean_staging` leaves it alone), removed if the stream fails."""
    h = hashlib.sha256()
    size = 0
    fd, name = tempfile.mkstemp(dir=tmpdir, prefix="put-")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as out:
            fcntl.flock(out, fcntl.LOCK_EX)
            for chunk in chunks:
                h.update(chunk)
                size += len(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        os.unlink(name)
        raise
    return Path(name), h.hexdigest(), size


def _store_blob(tmp: Path, blob: Path) -> None:
    if blob.exists():  # same content already stored once
        tmp.unlink()
        return
    os.chmod(tmp, 0o400)
    os.replace(tmp, blob)


def _create_exclusive(path: Path, entry: Mapping[str, Any]) -> bool:
    """Write the key index only if the key is free (link() never replaces)."""
    tmp = path.with_name(f".{uuid.uuid4().hex}.tmp")
    write_private(tmp, json.dumps(entry, ensure_ascii=False))
    try:
        os.link(tmp, path)
    except FileExistsError:
        return False
    finally:
        tmp.unlink()
    return True


def _replace_json(path: Path, entry: Mapping[str, Any]) -> None:
    tmp = path.with_name(f".{uuid.uuid4().hex}.tmp")
    write_private(tmp, json.dumps(entry, ensure_ascii=False))
    os.replace(tmp, path)


def _referenced(keys_dir: Path, digest: str) -> bool:
    for path in keys_dir.glob("*.json"):
        with contextlib.suppress(OSError, ValueError):
            if json.loads(path.read_text("utf-8"))["sha256"] == digest:
                return True
    return False


def _read_chunks(f: Any, length: int | None = None) -> Iterator[bytes]:
    """The file's chunks from where it stands; at most `length` bytes (None: all)."""
    with f:
        left = -1 if length is None else length
        while left != 0:
            chunk = f.read(CHUNK if left < 0 else min(CHUNK, left))
            if not chunk:
                return
            left -= len(chunk) if left > 0 else 0
            yield chunk


def check_range(offset: int, length: int | None) -> None:
    if offset < 0 or (length is not None and length < 0):
        raise ValueError(f"a range starts at 0 or later and is not negative: {offset}, {length}")


def _stored(entry: Mapping[str, Any]) -> StoredObject:
    return StoredObject(
        key=entry["key"],
        sha256=entry["sha256"],
        size=int(entry["size"]),
        retain_until=datetime.fromisoformat(entry["retain_until"]),
        metadata=dict(entry["metadata"]),
        legal_hold=bool(entry["legal_hold"]),
    )
