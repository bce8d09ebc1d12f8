"""The real object store: S3 with Object Lock (Ceph RGW multisite in the stack)
through the minio SDK, COMPLIANCE retention, and the off-site zone read back for
`replica_sha256` (DESIGN §2, §6; Art 41 异地备份, Art 45 不得删除或修改). The embedded
folder store and what both share are in `objects`."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import re
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO, cast
from urllib.parse import quote, unquote

import certifi
import urllib3
from minio import Minio
from minio.commonconfig import COMPLIANCE, ENABLED, REPLACE, CopySource, Filter
from minio.error import MinioException, S3Error
from minio.lifecycleconfig import (
    AbortIncompleteMultipartUpload,
    Expiration,
    LifecycleConfig,
    Rule,
)
from minio.objectlockconfig import DAYS, ObjectLockConfig
from minio.retention import Retention

from liuhen.platform.objects import (
    CHUNK,
    ObjectStoreError,
    check_key,
    check_range,
    check_retain_until,
    check_tenant,
    verified,
)
from liuhen.platform.ports import (
    ObjectExists,
    ObjectLocked,
    ObjectNotFound,
    ObjectStore,
    StoredObject,
)

# --- real: S3 with Object Lock (minio SDK) ------------------------------------------

_META = "liuhen"  # x-amz-meta-liuhen: percent-encoded JSON of the caller's metadata
_SHA = "sha256"  # x-amz-meta-sha256
_RETAIN_ATTEMPTS = 3  # times a short retention is set again before put fails
_RETAIN_SLACK = timedelta(seconds=1)  # minio sends the date to the millisecond
log = logging.getLogger(__name__)
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

    def unread(self, data: bytes) -> None:
        """Give back bytes read (already hashed): the next read starts with them."""
        self._rest = data + self._rest


class S3ObjectStore(ObjectStore):
    """A bucket `<prefix><tenant>` with Object Lock per tenant.

    An object no larger than one part is read whole, hashed, and written with a single
    PUT that carries its hash and its retention. For a larger one the hash is known
    only once the stream ends and S3 metadata cannot change after a write, so a put
    streams (multipart) to `<prefix><tenant>.staging` while hashing,
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
        return self._prefix + check_tenant(tenant)

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
        until = check_retain_until(retain_until)
        bucket, key = self._bucket(tenant), check_key(key)
        staging, staged = f"{bucket}{_STAGING}", uuid.uuid4().hex
        with _s3_errors(f"put {tenant}/{key}"):
            if self._versions(bucket, key):  # a key is written once (Art 45)
                raise ObjectExists(f"{tenant}/{key}")
            reader = _HashingReader(chunks)
            first = reader.read(self._part_size + 1)
            if len(first) <= self._part_size:
                # The whole object is in hand: one PUT carries its hash and its lock,
                # which RGW honours on a single PUT (and nothing is staged).
                self._client.put_object(
                    bucket,
                    key,
                    io.BytesIO(first),
                    len(first),
                    metadata={_SHA: reader.sha256.hexdigest(), _META: _encode_meta(metadata)},
                    retention=Retention(COMPLIANCE, until),
                )
                return self._retained(tenant, key, until)
            reader.unread(first)
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
        return self._retained(tenant, key, until)

    def _retained(self, tenant: str, key: str, until: datetime) -> StoredObject:
        """The object as stored, once its COMPLIANCE retention is seen to reach `until`.

        RGW has been seen to answer a retain-until date short of the one the copy asked
        for; the retention is then set again on that version (extending a COMPLIANCE
        date is allowed) and read back. An object that still falls short is an error,
        never a silent success: a short lock would let the record be deleted (Art 45).
        """
        bucket = self._bucket(tenant)
        for _ in range(_RETAIN_ATTEMPTS):
            stored = self.head(tenant, key)
            if stored.retain_until is not None and stored.retain_until >= until - _RETAIN_SLACK:
                return stored
            log.warning(
                "retention of %s/%s read back as %s, asked %s: setting it again",
                tenant,
                key,
                stored.retain_until,
                until,
            )
            with _s3_errors(f"retain {tenant}/{key}"):
                self._client.set_object_retention(
                    bucket, key, Retention(COMPLIANCE, until), version_id=stored.version_id
                )
        stored = self.head(tenant, key)
        if stored.retain_until is None or stored.retain_until < until - _RETAIN_SLACK:
            raise ObjectStoreError(
                f"{tenant}/{key}: the store keeps it until {stored.retain_until}, not {until}"
            )
        return stored

    def extend_retention(self, tenant: str, key: str, retain_until: datetime) -> StoredObject:
        """COMPLIANCE retention may be extended, never shortened; RGW multisite carries
        the new date to the off-site zone with the object's metadata."""
        until = check_retain_until(retain_until)
        stored = self.head(tenant, key)
        if stored.retain_until is not None and stored.retain_until >= until - _RETAIN_SLACK:
            return stored
        with _s3_errors(f"retain {tenant}/{key}"):
            self._client.set_object_retention(
                self._bucket(tenant),
                check_key(key),
                Retention(COMPLIANCE, until),
                version_id=stored.version_id,
            )
        return self._retained(tenant, key, until)

    def head(self, tenant: str, key: str) -> StoredObject:
        with _s3_errors(f"{tenant}/{key}"):
            st = self._client.stat_object(self._bucket(tenant), check_key(key))
        return _stored_from_headers(key, st.metadata, st.size, st.version_id)

    def open(self, tenant: str, key: str) -> Iterator[bytes]:
        sha = self.head(tenant, key).sha256
        with _s3_errors(f"{tenant}/{key}"):
            response = self._client.get_object(self._bucket(tenant), check_key(key))
        return verified(_stream_response(response), sha, f"{tenant}/{key}")

    def open_range(
        self, tenant: str, key: str, *, offset: int, length: int | None = None
    ) -> Iterator[bytes]:
        """A ranged GET (HTTP Range), streamed; a range past the end is empty."""
        check_range(offset, length)
        if length == 0:
            return iter(())
        with _s3_errors(f"{tenant}/{key}"):
            try:
                response = self._client.get_object(
                    self._bucket(tenant), check_key(key), offset=offset, length=length or 0
                )
            except S3Error as exc:
                if exc.code != "InvalidRange":
                    raise
                self.head(tenant, key)  # a missing object is still NOT_FOUND
                return iter(())
        return _stream_response(response)

    def primary_sha256(self, tenant: str, key: str) -> str:
        h = hashlib.sha256()
        with _s3_errors(f"{tenant}/{key}"):
            response = self._client.get_object(self._bucket(tenant), check_key(key))
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
            versions = self._versions(bucket, check_key(key))
            if not versions:
                raise ObjectNotFound(f"{tenant}/{key}")
            for version_id in versions:
                self._client.remove_object(bucket, key, version_id=version_id)

    def set_legal_hold(self, tenant: str, key: str, on: bool) -> None:
        bucket = self._bucket(tenant)
        with _s3_errors(f"{tenant}/{key}"):
            version_id = self._client.stat_object(bucket, check_key(key)).version_id
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
