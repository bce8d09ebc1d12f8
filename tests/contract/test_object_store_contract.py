"""One contract for footage and attachment storage (DESIGN §6), run on the embedded
content-addressed folder and on S3 with Object Lock (Ceph RGW multisite in the stack):
SHA-256 computed while streaming (Art 41), no overwrite and no delete under retention
or legal hold (Art 45), and an off-site copy with the same checksum (Art 41 异地备份)."""

from __future__ import annotations

import hashlib
import io
import os
import time
import tracemalloc
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from minio import Minio
from minio.deleteobjects import DeleteObject
from minio.error import S3Error

from liuhen.platform.objects import FileObjectStore
from liuhen.platform.ports import (
    FixityMismatch,
    ObjectExists,
    ObjectLocked,
    ObjectNotFound,
    ObjectStore,
    StoredObject,
)
from liuhen.platform.printing import documents as printed
from liuhen.platform.printing import registry
from liuhen.platform.printing.forms import sheet
from liuhen.platform.s3objects import S3ObjectStore

from .conftest import S3Settings

MiB = 1024 * 1024
CHUNK = 64 * 1024
METADATA = {
    "case_number": "鄂汉劳监〔2024〕12号",
    "party": "武汉某某建筑有限公司",
    "handler": "张三",
    "confidentiality": "internal",
    "note": '100% a=b&c; "quoted"',
}


def chunks_of(data: bytes, size: int = CHUNK) -> Iterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


def in_a_year() -> datetime:
    return datetime.now(UTC) + timedelta(days=365)


class ObjectStoreContract:
    """Subclass once per adapter and provide the `store` fixture (tenant ensured)."""

    replica_timeout_s = 0.0

    @pytest.fixture
    def store(self) -> ObjectStore:
        raise NotImplementedError

    @pytest.fixture
    def tenant(self, unique: str) -> str:
        return f"t{unique}"

    @pytest.fixture
    def short_retention_store(self, store: ObjectStore) -> ObjectStore:
        """A store whose retention may be seconds long (S3: no bucket default)."""
        return store

    def put(self, store: ObjectStore, tenant: str, key: str, data: bytes) -> str:
        stored = store.put(
            tenant, key, chunks_of(data), metadata=METADATA, retain_until=in_a_year()
        )
        return stored.sha256

    def test_multi_chunk_stream_roundtrips_with_its_sha256(
        self, store: ObjectStore, tenant: str
    ) -> None:
        data = os.urandom(3 * MiB + 123)
        until = in_a_year()
        stored = store.put(
            tenant, "case/1/seg-001.mp4", chunks_of(data), metadata=METADATA, retain_until=until
        )
        assert stored.sha256 == hashlib.sha256(data).hexdigest()
        assert stored.size == len(data)
        head = store.head(tenant, "case/1/seg-001.mp4")
        assert (head.sha256, head.size, head.key) == (stored.sha256, len(data), stored.key)
        assert head.retain_until is not None
        assert abs((head.retain_until - until).total_seconds()) < 1.5
        assert head.legal_hold is False
        pieces = list(store.open(tenant, "case/1/seg-001.mp4"))
        assert max(len(p) for p in pieces) <= CHUNK
        assert b"".join(pieces) == data

    def test_art44_a_byte_range_is_read_in_chunks_without_the_rest(
        self, store: ObjectStore, tenant: str
    ) -> None:
        """Art 44 playback: a browser seeks, so the store reads from any offset."""
        data = os.urandom(300_000)
        self.put(store, tenant, "case/r/seg.mp4", data)
        pieces = list(store.open_range(tenant, "case/r/seg.mp4", offset=70_000, length=150_000))
        assert max(len(p) for p in pieces) <= CHUNK
        assert b"".join(pieces) == data[70_000:220_000]
        rest = store.open_range(tenant, "case/r/seg.mp4", offset=299_990)
        assert b"".join(rest) == data[299_990:]
        cut = store.open_range(tenant, "case/r/seg.mp4", offset=299_000, length=5_000)
        assert b"".join(cut) == data[299_000:]
        assert b"".join(store.open_range(tenant, "case/r/seg.mp4", offset=300_000)) == b""
        assert b"".join(store.open_range(tenant, "case/r/seg.mp4", offset=5, length=0)) == b""
        with pytest.raises(ValueError):
            store.open_range(tenant, "case/r/seg.mp4", offset=-1)
        with pytest.raises(ObjectNotFound):
            b"".join(store.open_range(tenant, "case/r/none.mp4", offset=0, length=10))

    def test_non_ascii_metadata_roundtrips(self, store: ObjectStore, tenant: str) -> None:
        self.put(store, tenant, "案件/附件.pdf", b"%PDF-1.7 tiny")
        assert dict(store.head(tenant, "案件/附件.pdf").metadata) == METADATA

    def test_overwrite_is_refused_and_the_original_bytes_stay(
        self, store: ObjectStore, tenant: str
    ) -> None:
        """Art 45: footage is never overwritten."""
        original = os.urandom(200_000)
        sha = self.put(store, tenant, "case/2/seg.mp4", original)
        with pytest.raises(ObjectExists):
            self.put(store, tenant, "case/2/seg.mp4", b"forged")
        assert store.head(tenant, "case/2/seg.mp4").sha256 == sha
        assert b"".join(store.open(tenant, "case/2/seg.mp4")) == original

    def test_delete_under_retention_is_refused(self, store: ObjectStore, tenant: str) -> None:
        """Art 45: no one deletes footage under retention."""
        sha = self.put(store, tenant, "case/3/seg.mp4", b"evidence")
        with pytest.raises(ObjectLocked):
            store.delete(tenant, "case/3/seg.mp4")
        assert store.head(tenant, "case/3/seg.mp4").sha256 == sha
        assert b"".join(store.open(tenant, "case/3/seg.mp4")) == b"evidence"

    def test_art43_a_lock_is_extended_and_never_shortened(
        self, store: ObjectStore, tenant: str
    ) -> None:
        """Art 43: footage is kept as long as its case file, known when the file is
        archived: the lock set at upload is extended then; asking for less keeps it."""
        self.put(store, tenant, "case/3/long.mp4", b"evidence")
        later = datetime.now(UTC) + timedelta(days=365 * 40)
        extended = store.extend_retention(tenant, "case/3/long.mp4", later)
        assert extended.retain_until is not None
        assert abs((extended.retain_until - later).total_seconds()) < 1.5
        kept = store.extend_retention(tenant, "case/3/long.mp4", in_a_year())
        assert kept.retain_until == extended.retain_until
        head = store.head(tenant, "case/3/long.mp4")
        assert head.retain_until == extended.retain_until
        with pytest.raises(ObjectLocked):
            store.delete(tenant, "case/3/long.mp4")

    def test_legal_hold_is_shown_and_refuses_delete(self, store: ObjectStore, tenant: str) -> None:
        self.put(store, tenant, "case/4/seg.mp4", b"litigated")
        store.set_legal_hold(tenant, "case/4/seg.mp4", True)
        assert store.head(tenant, "case/4/seg.mp4").legal_hold is True
        with pytest.raises(ObjectLocked):
            store.delete(tenant, "case/4/seg.mp4")
        store.set_legal_hold(tenant, "case/4/seg.mp4", False)
        assert store.head(tenant, "case/4/seg.mp4").legal_hold is False
        with pytest.raises(ObjectLocked):  # retention still holds
            store.delete(tenant, "case/4/seg.mp4")

    def test_legal_hold_outlives_retention(
        self, short_retention_store: ObjectStore, tenant: str
    ) -> None:
        store = short_retention_store
        until = datetime.now(UTC) + timedelta(seconds=3)
        store.put(tenant, "case/5/seg.mp4", [b"held"], metadata={}, retain_until=until)
        store.set_legal_hold(tenant, "case/5/seg.mp4", True)
        time.sleep(max(0.0, (until - datetime.now(UTC)).total_seconds()) + 1.5)
        with pytest.raises(ObjectLocked):
            store.delete(tenant, "case/5/seg.mp4")
        store.set_legal_hold(tenant, "case/5/seg.mp4", False)
        store.delete(tenant, "case/5/seg.mp4")
        with pytest.raises(ObjectNotFound):
            store.head(tenant, "case/5/seg.mp4")

    def test_art41_offsite_copy_has_the_same_sha256(self, store: ObjectStore, tenant: str) -> None:
        data = os.urandom(1 * MiB + 7)
        sha = self.put(store, tenant, "case/6/seg.mp4", data)
        assert store.copy_offsite(tenant, "case/6/seg.mp4", self.replica_timeout_s) == sha
        assert store.copy_offsite(tenant, "case/6/seg.mp4", self.replica_timeout_s) == sha
        assert store.replica_sha256(tenant, "case/6/seg.mp4", self.replica_timeout_s) == sha

    def test_primary_is_rehashed_from_its_bytes(self, store: ObjectStore, tenant: str) -> None:
        data = os.urandom(200_000)
        sha = self.put(store, tenant, "case/9/seg.mp4", data)
        assert store.primary_sha256(tenant, "case/9/seg.mp4") == sha
        with pytest.raises(ObjectNotFound):
            store.primary_sha256(tenant, "nothing/here")

    def make_leftover(self, store: ObjectStore, tenant: str) -> None:
        """What a writer killed mid-upload leaves behind (adapter-specific)."""
        raise NotImplementedError

    def staging_left(self, store: ObjectStore, tenant: str) -> int:
        raise NotImplementedError

    def test_interrupted_puts_leave_nothing_once_cleaned(
        self, store: ObjectStore, tenant: str
    ) -> None:
        """A stream that fails midway is cleaned by the put itself; what a kill -9 left
        is cleaned by clean_staging (at the media service's start)."""

        def broken() -> Iterator[bytes]:
            for i in range(100):  # 6.25 MiB: more than one multipart part
                yield bytes([i]) * CHUNK
            raise ConnectionError("the client went away")

        with pytest.raises(ConnectionError):
            store.put(tenant, "case/10/cut.mp4", broken(), metadata={}, retain_until=in_a_year())
        assert self.staging_left(store, tenant) == 0
        with pytest.raises(ObjectNotFound):
            store.head(tenant, "case/10/cut.mp4")
        self.make_leftover(store, tenant)
        assert self.staging_left(store, tenant) > 0
        assert store.clean_staging(0.0, tenant) > 0
        assert self.staging_left(store, tenant) == 0

    def test_missing_objects_are_not_found(self, store: ObjectStore, tenant: str) -> None:
        with pytest.raises(ObjectNotFound):
            store.head(tenant, "nothing/here")
        with pytest.raises(ObjectNotFound):
            store.open(tenant, "nothing/here")
        with pytest.raises(ObjectNotFound):
            store.delete(tenant, "nothing/here")
        assert store.replica_sha256(tenant, "nothing/here", 0.0) is None

    def test_retention_must_be_a_future_aware_time(self, store: ObjectStore, tenant: str) -> None:
        with pytest.raises(ValueError):
            store.put(tenant, "k1", [b"x"], metadata={}, retain_until=datetime(2999, 1, 1))
        past = datetime.now(UTC) - timedelta(days=1)
        with pytest.raises(ValueError):
            store.put(tenant, "k2", [b"x"], metadata={}, retain_until=past)

    def test_empty_object_has_the_empty_hash(self, store: ObjectStore, tenant: str) -> None:
        stored = store.put(tenant, "empty", iter(()), metadata={}, retain_until=in_a_year())
        assert stored.sha256 == hashlib.sha256(b"").hexdigest() and stored.size == 0
        assert b"".join(store.open(tenant, "empty")) == b""

    def test_art45_a_printed_pdf_is_stored_once_beside_the_recordings(
        self, store: ObjectStore, tenant: str
    ) -> None:
        issued = datetime.now(UTC)
        made = sheet(
            tenant="jiangan", document="cases/c/documents/d", type_code="rectification_order",
            content={"period_days": 10}, number="江岸人社监限改〔2026〕1号", case_number="1",
            addressee="某公司", signatures=(), issued=issued, code="K7QM-2XPA-9D",
        )  # fmt: skip
        pdf = printed.pdf(made)
        key = registry.object_key(made.document)
        row = registry.PrintRow(
            document=made.document, sheet_json=made.to_json(), code=made.code, issued_at=issued,
            pdf_sha256=hashlib.sha256(pdf).hexdigest(), object_key=key,
        )  # fmt: skip
        registry.store(store, tenant, row, years=1)
        registry.store(store, tenant, row, years=1)  # already there: left as it is
        assert registry.read(store, tenant, row) == pdf
        assert store.head(tenant, row.object_key).sha256 == row.pdf_sha256
        with pytest.raises(ObjectExists):
            store.put(tenant, row.object_key, [b"other"], metadata={}, retain_until=in_a_year())


class _TenantSuffix(ObjectStore):
    """Routes every call to `<tenant><suffix>`: a second bucket for the same test."""

    def __init__(self, inner: ObjectStore, suffix: str) -> None:
        self._inner, self._suffix = inner, suffix

    def ensure_bucket(self, tenant: str) -> None:
        self._inner.ensure_bucket(tenant + self._suffix)

    def put(
        self,
        tenant: str,
        key: str,
        chunks: Iterable[bytes],
        *,
        metadata: Mapping[str, str],
        retain_until: datetime,
    ) -> StoredObject:
        return self._inner.put(
            tenant + self._suffix, key, chunks, metadata=metadata, retain_until=retain_until
        )

    def head(self, tenant: str, key: str) -> StoredObject:
        return self._inner.head(tenant + self._suffix, key)

    def open(self, tenant: str, key: str) -> Iterator[bytes]:
        return self._inner.open(tenant + self._suffix, key)

    def open_range(
        self, tenant: str, key: str, *, offset: int, length: int | None = None
    ) -> Iterator[bytes]:
        return self._inner.open_range(tenant + self._suffix, key, offset=offset, length=length)

    def delete(self, tenant: str, key: str) -> None:
        self._inner.delete(tenant + self._suffix, key)

    def set_legal_hold(self, tenant: str, key: str, on: bool) -> None:
        self._inner.set_legal_hold(tenant + self._suffix, key, on)

    def extend_retention(self, tenant: str, key: str, retain_until: datetime) -> StoredObject:
        return self._inner.extend_retention(tenant + self._suffix, key, retain_until)

    def replica_sha256(self, tenant: str, key: str, timeout_s: float = 0.0) -> str | None:
        return self._inner.replica_sha256(tenant + self._suffix, key, timeout_s)

    def copy_offsite(self, tenant: str, key: str, timeout_s: float = 0.0) -> str | None:
        return self._inner.copy_offsite(tenant + self._suffix, key, timeout_s)

    def primary_sha256(self, tenant: str, key: str) -> str:
        return self._inner.primary_sha256(tenant + self._suffix, key)

    def clean_staging(self, older_than_s: float = 0.0, tenant: str | None = None) -> int:
        return self._inner.clean_staging(older_than_s, tenant and tenant + self._suffix)


# --- the embedded content-addressed folder -------------------------------------------------


class TestFileObjectStore(ObjectStoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path, tenant: str) -> ObjectStore:
        store = FileObjectStore(tmp_path / "objects")
        store.ensure_bucket(tenant)
        return store

    def test_bytes_are_stored_once_read_only(self, tmp_path: Path, tenant: str) -> None:
        store = FileObjectStore(tmp_path / "objects")
        store.ensure_bucket(tenant)
        sha = self.put(store, tenant, "a", b"same bytes")
        self.put(store, tenant, "b", b"same bytes")
        blob = tmp_path / "objects" / tenant / "cas" / sha
        assert [p.name for p in blob.parent.iterdir()] == [sha]
        assert blob.stat().st_mode & 0o222 == 0

    def test_put_streams_without_holding_the_object(self, store: ObjectStore, tenant: str) -> None:
        def generated() -> Iterator[bytes]:
            for i in range(160):  # 10 MiB, made as it is read
                yield bytes([i]) * CHUNK

        tracemalloc.start()
        try:
            store.put(tenant, "big", generated(), metadata={}, retain_until=in_a_year())
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak < 2 * MiB

    def make_leftover(self, store: ObjectStore, tenant: str) -> None:
        assert isinstance(store, FileObjectStore)
        (store._root / tenant / "tmp" / "put-killed").write_bytes(b"x" * 1000)

    def staging_left(self, store: ObjectStore, tenant: str) -> int:
        assert isinstance(store, FileObjectStore)
        return len(list((store._root / tenant / "tmp").iterdir()))

    def test_a_live_writers_staging_is_left_alone(self, store: ObjectStore, tenant: str) -> None:
        def watched() -> Iterator[bytes]:
            yield b"first"
            assert store.clean_staging(0.0, tenant) == 0  # the put holds its lock
            yield b"second"

        stored = store.put(tenant, "live", watched(), metadata={}, retain_until=in_a_year())
        assert stored.sha256 == hashlib.sha256(b"firstsecond").hexdigest()

    def test_art45_an_altered_stored_byte_is_found(self, tmp_path: Path, tenant: str) -> None:
        """Whoever owns the folder can change a blob: re-hashing finds it, a download
        fails at its end, and the altered bytes are never copied off-site."""
        store = FileObjectStore(tmp_path / "objects")
        store.ensure_bucket(tenant)
        data = os.urandom(300_000)
        sha = self.put(store, tenant, "case/11/seg.mp4", data)
        blob = tmp_path / "objects" / tenant / "cas" / sha
        blob.chmod(0o600)
        with blob.open("r+b") as f:
            f.seek(1234)
            f.write(bytes([data[1234] ^ 0xFF]))
        assert store.primary_sha256(tenant, "case/11/seg.mp4") != sha
        with pytest.raises(FixityMismatch):
            b"".join(store.open(tenant, "case/11/seg.mp4"))
        with pytest.raises(FixityMismatch):
            store.copy_offsite(tenant, "case/11/seg.mp4")
        assert store.replica_sha256(tenant, "case/11/seg.mp4") is None

    def test_files_are_readable_by_the_service_user_only(self, tmp_path: Path, tenant: str) -> None:
        """The folder holds personal data (Art 46): 0700 folders, 0600/0400 files."""
        store = FileObjectStore(tmp_path / "objects")
        store.ensure_bucket(tenant)
        self.put(store, tenant, "case/12/seg.mp4", b"footage")
        store.copy_offsite(tenant, "case/12/seg.mp4")
        store.set_legal_hold(tenant, "case/12/seg.mp4", True)
        paths = [tmp_path / "objects", *(tmp_path / "objects").rglob("*")]
        assert len(paths) > 10
        for path in paths:
            assert path.stat().st_mode & 0o077 == 0, path

    def test_unknown_tenant_is_refused(self, tmp_path: Path) -> None:
        store = FileObjectStore(tmp_path / "objects")
        with pytest.raises(Exception, match="ensure_bucket"):
            self.put(store, "nobody", "k", b"x")


# --- S3 with Object Lock (Ceph RGW multisite in the stack) ------------------------------


@pytest.mark.stack
class TestS3ObjectStore(ObjectStoreContract):
    replica_timeout_s = 120.0

    @pytest.fixture
    def store(self, s3_settings: S3Settings, tenant: str) -> ObjectStore:
        store = S3ObjectStore(
            s3_settings.endpoint,
            s3_settings.access_key,
            s3_settings.secret_key,
            offsite_endpoint=s3_settings.offsite_endpoint,
            part_size=5 * MiB,
        )
        store.ensure_bucket(tenant)
        return store

    @pytest.fixture
    def short_retention_store(self, s3_settings: S3Settings, tenant: str) -> ObjectStore:
        store = S3ObjectStore(
            s3_settings.endpoint,
            s3_settings.access_key,
            s3_settings.secret_key,
            offsite_endpoint=s3_settings.offsite_endpoint,
            default_retention_days=None,
        )
        store.ensure_bucket(f"{tenant}-short")
        return _TenantSuffix(store, "-short")

    def make_leftover(self, store: ObjectStore, tenant: str) -> None:
        """A staged object and a multipart upload that a killed writer never finished."""
        assert isinstance(store, S3ObjectStore)
        staging = f"liuhen-{tenant}.staging"
        store._client.put_object(staging, "killed", io.BytesIO(b"x" * 1000), 1000)
        store._client._create_multipart_upload(staging, "killed-multipart", {})

    def staging_left(self, store: ObjectStore, tenant: str) -> int:
        assert isinstance(store, S3ObjectStore)
        staging = f"liuhen-{tenant}.staging"
        objects = list(store._client.list_objects(staging, recursive=True))
        return len(objects) + len(store._client._list_multipart_uploads(staging).uploads)

    def test_multipart_upload_is_hashed_and_locked(self, store: ObjectStore, tenant: str) -> None:
        """RGW ignores object-lock headers on multipart uploads: the lock must hold
        anyway (bucket default, then explicit retention)."""
        data = os.urandom(11 * MiB + 5)  # three 5 MiB parts
        until = in_a_year()
        stored = store.put(
            tenant, "case/7/long.mp4", chunks_of(data), metadata={}, retain_until=until
        )
        assert stored.sha256 == hashlib.sha256(data).hexdigest()
        head = store.head(tenant, "case/7/long.mp4")
        assert head.size == len(data) and head.retain_until is not None
        assert abs((head.retain_until - until).total_seconds()) < 1.5
        with pytest.raises(ObjectLocked):
            store.delete(tenant, "case/7/long.mp4")
        assert b"".join(store.open(tenant, "case/7/long.mp4")) == data

    def test_art45_a_small_object_keeps_the_retention_it_was_put_with(
        self, store: ObjectStore, short_retention_store: ObjectStore, tenant: str
    ) -> None:
        """An object of one part is written by a single PUT carrying its lock: read back
        at once and again after its off-site copy, the date is the one asked for, not
        the bucket's one-day default (seen once from RGW on a cosigned checkpoint)."""
        until = in_a_year()
        for which in (store, short_retention_store):
            stored = which.put(
                tenant, "tlog/x/cosigned/5", [b"note"], metadata={}, retain_until=until
            )
            assert stored.retain_until is not None
            assert abs((stored.retain_until - until).total_seconds()) < 1.5
            assert which.replica_sha256(tenant, "tlog/x/cosigned/5", self.replica_timeout_s)
            head = which.head(tenant, "tlog/x/cosigned/5")
            assert head.retain_until is not None
            assert abs((head.retain_until - until).total_seconds()) < 1.5
            with pytest.raises(ObjectLocked):
                which.delete(tenant, "tlog/x/cosigned/5")

    def test_admin_keys_cannot_delete_a_locked_version_at_either_zone(
        self, store: ObjectStore, s3_settings: S3Settings, tenant: str
    ) -> None:
        """Art 45: an administrator cannot delete footage either, at the primary zone or
        at the off-site zone, even asking to bypass governance retention."""
        data = os.urandom(300_000)
        sha = self.put(store, tenant, "case/8/seg.mp4", data)
        assert store.replica_sha256(tenant, "case/8/seg.mp4", self.replica_timeout_s) == sha
        bucket = f"liuhen-{tenant}"
        for endpoint in (s3_settings.endpoint, s3_settings.offsite_endpoint):
            admin = Minio(
                endpoint,
                s3_settings.admin_access_key,
                s3_settings.admin_secret_key,
                secure=False,
            )
            versions = [
                o.version_id
                for o in admin.list_objects(
                    bucket, prefix="case/8/seg.mp4", recursive=True, include_version=True
                )
            ]
            assert versions and all(versions), endpoint
            for version_id in versions:
                with pytest.raises(S3Error) as refused:
                    admin.remove_object(bucket, "case/8/seg.mp4", version_id=version_id)
                assert refused.value.code == "AccessDenied", endpoint
                errors = list(
                    admin.remove_objects(
                        bucket,
                        [DeleteObject("case/8/seg.mp4", version_id)],
                        bypass_governance_mode=True,
                    )
                )
                assert len(errors) == 1, endpoint
            got = admin.get_object(bucket, "case/8/seg.mp4")
            try:
                assert hashlib.sha256(got.read()).hexdigest() == sha, endpoint
            finally:
                got.close()
                got.release_conn()
