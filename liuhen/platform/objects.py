"""Object store adapters for footage and attachments (DESIGN §2, §6).

`FileObjectStore` is the embedded default: a content-addressed folder per tenant that
refuses overwrite and refuses delete under retention or legal hold, with an off-site
copy in a second folder. `S3ObjectStore` is the real adapter: an S3 store with Object
Lock (Ceph RGW multisite in the stack) through the minio SDK, COMPLIANCE retention, and
the off-site zone read back for `replica_sha256`. Both hash while streaming and never
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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO, cast
from urllib.parse import quote, unquote

import certifi
import urllib3
from minio import Minio
from minio.commonconfig import COMPLIANCE, ENABLED, REPLACE, CopySource, Filter
from minio.error import MinioException, S3Error
from minio.lifecycleconfig import AbortIncompleteMultipartUpload, Expiration, LifecycleConfig, Rule
from minio.objectlockconfig import DAYS, ObjectLockConfig
from minio.retention import Retention

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


def _check_tenant(tenant: str) -> str:
    if not _TENANT.fullmatch(tenant):
        raise ValueError(f"tenant id must match {_TENANT.pattern}: {tenant!r}")
    return tenant


def _check_key(key: str) -> str:
    if not key or "\x00" in key or len(key.encode("utf-8")) > 1024:
        raise ValueError(f"object key must be 1..1024 bytes without NUL: {key!r}")
    return key


def _check_retain_until(retain_until: datetime) -> datetime:
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
        return base / _check_tenant(tenant)

    @staticmethod
    def _key_file(tdir: Path, key: str) -> Path:
        name = quote(_check_key(key), safe="")
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
        until = _check_retain_until(retain_until)
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


def _read_chunks(f: Any) -> Iterator[bytes]:
    with f:
        yield from iter(lambda: f.read(CHUNK), b"")


def _stored(entry: Mapping[str, Any]) -> StoredObject:
    return StoredObject(
        key=entry["key"],
        sha256=entry["sha256"],
        size=int(entry["size"]),
        retain_until=datetime.fromisoformat(entry["retain_until"]),
        metadata=dict(entry["metadata"]),
        legal_hold=bool(entry["legal_hold"]),
    )


# --- real: S3 with Object Lock (minio SDK) ------------------------------------------

_META = "liuhen"  # x-amz-meta-liuhen: percent-encoded JSON of the caller's metadata
_SHA = "sha256"  # x-amz-meta-sha256
_LOCKED_CODES = {"AccessDenied", "ObjectLocked"}
_MISSING_CODES = {"NoSuchKey", "NoSuchVersion", "NoSuchBucket", "ResourceNotFound"}


@contextlib.contextmanager
def _s3_errors(what: str, *, locked: bool = False) -> Iterator[None]:
    """Map minio/urllib3 failures to the port's errors."""
    try:
        yield
    except S3Error as exc:
        if locked and exc.code in _LOCKED_CODES:
            raise ObjectLocked(f"{what}: {exc.code} {exc.message}") from exc
        if exc.code in _MISSING_CODES:
            raise ObjectNotFound(what) from exc
        raise ObjectStoreError(f"{what}: {exc.code} {exc.message}") from exc
    except (MinioException, urllib3.exceptions.HTTPError) as exc:
        raise ObjectStoreError(f"{what}: {exc}") from exc


class _HashingReader:
    """A file-like view of a chunk iterator for put_object(length=-1): read(n) gathers
    up to n bytes (one part) so minio does not concatenate 64 KiB pieces itself."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._rest = b""
        self.sha256 = hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        buf = bytearray(self._rest)
        self._rest = b""
        while n < 0 or len(buf) < n:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self.sha256.update(chunk)
            buf += chunk
        if 0 <= n < len(buf):
            self._rest = bytes(buf[n:])
            del buf[n:]
        return bytes(buf)


class S3ObjectStore(ObjectStore):
    """A bucket `<prefix><tenant>` with Object Lock per tenant.

    The hash is known only once the stream ends and S3 metadata cannot change after a
    write, so a put streams (multipart) to `<prefix><tenant>.staging` while hashing,
    copies it server-side to the final key with the hash in its metadata, sets
    COMPLIANCE retention, and removes the staged copy. Ceph RGW 16 ignores object-lock
    headers on copy and multipart uploads (only a single PUT honours them) but applies
    the bucket's default retention to every new version, so the bucket carries a short
    COMPLIANCE default (`default_retention_days`): the final object is locked from its
    first byte and the explicit retention then extends it to `retain_until`."""

    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        *,
        offsite_endpoint: str | None,
        bucket_prefix: str = "liuhen-",
        secure: bool = False,
        part_size: int = 8 * 1024 * 1024,
        region: str | None = None,
        default_retention_days: int | None = 1,
        timeout_s: float = 30.0,
    ) -> None:
        def client(at: str) -> Minio:
            return Minio(
                at,
                access_key,
                secret_key,
                secure=secure,
                region=region,
                http_client=_http_client(timeout_s, secure),
            )

        self._client = client(endpoint)
        self._offsite = client(offsite_endpoint) if offsite_endpoint else None
        self._prefix = bucket_prefix
        self._part_size = part_size
        self._default_days = default_retention_days

    def _bucket(self, tenant: str) -> str:
        return self._prefix + _check_tenant(tenant)

    def ensure_bucket(self, tenant: str) -> None:
        bucket = self._bucket(tenant)
        for name, lock in ((bucket, True), (f"{bucket}{_STAGING}", False)):
            try:
                with _s3_errors(f"make bucket {name}"):
                    if not self._client.bucket_exists(name):
                        self._client.make_bucket(name, object_lock=lock)
            except ObjectStoreError as exc:
                if "BucketAlreadyOwnedByYou" not in str(exc):
                    raise
        with _s3_errors(f"lifecycle of {bucket}{_STAGING}"):
            # What a crash leaves in staging goes by itself within a day, even if no
            # media process starts again to clean it.
            self._client.set_bucket_lifecycle(f"{bucket}{_STAGING}", _STAGING_LIFECYCLE)
        if self._default_days:
            with _s3_errors(f"lock configuration of {bucket}"):
                self._client.set_object_lock_config(
                    bucket, ObjectLockConfig(COMPLIANCE, self._default_days, DAYS)
                )

    def _versions(self, bucket: str, key: str) -> list[str | None]:
        """Every version and delete marker of exactly this key, newest first."""
        found: list[str | None] = []
        for obj in self._client.list_objects(
            bucket, prefix=key, recursive=True, include_version=True
        ):
            if obj.object_name == key:
                found.append(obj.version_id)
            elif obj.object_name is not None and obj.object_name > key:
                break  # listed in key order: nothing more for this key
        return found

    def put(
        self,
        tenant: str,
        key: str,
        chunks: Iterable[bytes],
        *,
        metadata: Mapping[str, str],
        retain_until: datetime,
    ) -> StoredObject:
        until = _check_retain_until(retain_until)
        bucket, key = self._bucket(tenant), _check_key(key)
        staging, staged = f"{bucket}{_STAGING}", uuid.uuid4().hex
        with _s3_errors(f"put {tenant}/{key}"):
            if self._versions(bucket, key):  # a key is written once (Art 45)
                raise ObjectExists(f"{tenant}/{key}")
            reader = _HashingReader(chunks)
            self._client.put_object(
                staging, staged, cast(BinaryIO, reader), length=-1, part_size=self._part_size
            )
            try:
                self._client.copy_object(
                    bucket,
                    key,
                    CopySource(staging, staged),
                    metadata={_SHA: reader.sha256.hexdigest(), _META: _encode_meta(metadata)},
                    metadata_directive=REPLACE,
                    retention=Retention(COMPLIANCE, until),
                )
            finally:
                self._client.remove_object(staging, staged)
        stored = self.head(tenant, key)
        if stored.retain_until is None or stored.retain_until < until - timedelta(seconds=1):
            with _s3_errors(f"retain {tenant}/{key}"):
                self._client.set_object_retention(
                    bucket, key, Retention(COMPLIANCE, until), version_id=stored.version_id
                )
            stored = self.head(tenant, key)
        return stored

    def head(self, tenant: str, key: str) -> StoredObject:
        with _s3_errors(f"{tenant}/{key}"):
            st = self._client.stat_object(self._bucket(tenant), _check_key(key))
        return _stored_from_headers(key, st.metadata, st.size, st.version_id)

    def open(self, tenant: str, key: str) -> Iterator[bytes]:
        sha = self.head(tenant, key).sha256
        with _s3_errors(f"{tenant}/{key}"):
            response = self._client.get_object(self._bucket(tenant), _check_key(key))
        return verified(_stream_response(response), sha, f"{tenant}/{key}")

    def primary_sha256(self, tenant: str, key: str) -> str:
        h = hashlib.sha256()
        with _s3_errors(f"{tenant}/{key}"):
            response = self._client.get_object(self._bucket(tenant), _check_key(key))
            for chunk in _stream_response(response):
                h.update(chunk)
        return h.hexdigest()

    def copy_offsite(self, tenant: str, key: str, timeout_s: float = 0.0) -> str | None:
        """The store replicates to the off-site zone itself (RGW multisite): wait for
        the copy there."""
        return self.replica_sha256(tenant, key, timeout_s)

    def clean_staging(self, older_than_s: float = 3600.0, tenant: str | None = None) -> int:
        """Remove staged objects and abort multipart uploads in the staging buckets
        that are older than older_than_s (an upload still running on another replica
        is younger)."""
        cutoff = datetime.now(UTC) - timedelta(seconds=older_than_s)
        removed = 0
        with _s3_errors("clean staging"):
            if tenant:
                names = [self._bucket(tenant) + _STAGING]
            else:
                names = [
                    b.name
                    for b in self._client.list_buckets()
                    if b.name.startswith(self._prefix) and b.name.endswith(_STAGING)
                ]
            for name in names:
                removed += self._clean_bucket(name, cutoff)
        return removed

    def _clean_bucket(self, bucket: str, cutoff: datetime) -> int:
        removed = 0
        for obj in self._client.list_objects(bucket, recursive=True):
            if obj.object_name and obj.last_modified and obj.last_modified <= cutoff:
                self._client.remove_object(bucket, obj.object_name)
                removed += 1
        # minio has no public call for these; its own put_object uses the same two.
        uploads = self._client._list_multipart_uploads(bucket).uploads
        for up in uploads:
            if up.upload_id and (up.initiated_time is None or up.initiated_time <= cutoff):
                self._client._abort_multipart_upload(bucket, up.object_name, up.upload_id)
                removed += 1
        return removed

    def delete(self, tenant: str, key: str) -> None:
        """Removes each version; the store itself must refuse a locked one."""
        bucket = self._bucket(tenant)
        with _s3_errors(f"{tenant}/{key}", locked=True):
            versions = self._versions(bucket, _check_key(key))
            if not versions:
                raise ObjectNotFound(f"{tenant}/{key}")
            for version_id in versions:
                self._client.remove_object(bucket, key, version_id=version_id)

    def set_legal_hold(self, tenant: str, key: str, on: bool) -> None:
        bucket = self._bucket(tenant)
        with _s3_errors(f"{tenant}/{key}"):
            version_id = self._client.stat_object(bucket, _check_key(key)).version_id
            if on:
                self._client.enable_object_legal_hold(bucket, key, version_id=version_id)
            else:
                self._client.disable_object_legal_hold(bucket, key, version_id=version_id)

    def replica_sha256(self, tenant: str, key: str, timeout_s: float = 0.0) -> str | None:
        """Hash of the object as the off-site zone serves it, once replication has
        brought it there (polled until timeout_s)."""
        if self._offsite is None:
            return None
        bucket, deadline = self._bucket(tenant), time.monotonic() + timeout_s
        while True:
            try:
                with _s3_errors(f"off-site {tenant}/{key}"):
                    h = hashlib.sha256()
                    for chunk in _stream_response(self._offsite.get_object(bucket, key)):
                        h.update(chunk)
                    return h.hexdigest()
            except ObjectNotFound:
                if time.monotonic() >= deadline:
                    return None
            time.sleep(0.5)


_STAGING = ".staging"
_STAGING_LIFECYCLE = LifecycleConfig(
    [
        Rule(
            ENABLED,
            rule_filter=Filter(prefix=""),
            rule_id="liuhen-staging-leftovers",
            expiration=Expiration(days=1),
            abort_incomplete_multipart_upload=AbortIncompleteMultipartUpload(
                days_after_initiation=1
            ),
        )
    ]
)


def _http_client(timeout_s: float, secure: bool) -> urllib3.PoolManager:
    """minio's own pool, with our deadline instead of its five minutes: a store that
    hangs fails the call (issue 10)."""
    return urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=min(timeout_s, 10.0), read=timeout_s),
        maxsize=10,
        cert_reqs="CERT_REQUIRED" if secure else "CERT_NONE",
        ca_certs=os.environ.get("SSL_CERT_FILE") or certifi.where(),
        retries=urllib3.Retry(total=3, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]),
    )


def _encode_meta(metadata: Mapping[str, str]) -> str:
    text = json.dumps(dict(metadata), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return quote(text, safe="")


def _stored_from_headers(
    key: str, headers: Any, size: int | None, version_id: str | None
) -> StoredObject:
    until = headers.get("x-amz-object-lock-retain-until-date")
    meta = headers.get(f"x-amz-meta-{_META}")
    return StoredObject(
        key=key,
        sha256=str(headers.get(f"x-amz-meta-{_SHA}") or ""),
        size=int(size or 0),
        retain_until=_parse_s3_time(str(until)) if until else None,
        version_id=version_id,
        metadata=json.loads(unquote(str(meta))) if meta else {},
        legal_hold=str(headers.get("x-amz-object-lock-legal-hold") or "").upper() == "ON",
    )


def _parse_s3_time(value: str) -> datetime:
    """RGW sends `2026-12-27T04:53:41.000000000Z` (nanoseconds), which minio's parser
    refuses: cut the fraction to microseconds."""
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)?", value)
    if not m:
        raise ObjectStoreError(f"unreadable retain-until date {value!r}")
    frac = (m.group(2) or "0")[:6].ljust(6, "0")
    tz = "+00:00" if m.group(3) in (None, "Z") else m.group(3)
    return datetime.fromisoformat(f"{m.group(1)}.{frac}{tz}")


def _stream_response(response: Any) -> Iterator[bytes]:
    try:
        yield from response.stream(CHUNK)
    finally:
        response.close()
        response.release_conn()
