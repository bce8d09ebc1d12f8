"""One contract for the ledger log's evidence under Object Lock (DESIGN §4; seed Art 45),
run on the embedded folder and on S3 with Object Lock (Ceph RGW in the stack):
checkpoints, cosigned checkpoints and leaf tiles are written once, read back, never
replaced and never deleted while retained."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest

from liuhen.platform.archive import TILE_WIDTH, Archive, tile_index_path, tile_key, tiles_for
from liuhen.platform.objects import FileObjectStore
from liuhen.platform.ports import ObjectLocked
from liuhen.platform.s3objects import S3ObjectStore

from .conftest import S3Settings

LOG = "0123456789abcdef"
NOTE = "liuhen.gov.wuhan/t\n300\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n\u2014 x AAAA\n"


def leaves(begin: int, end: int) -> list[bytes]:
    return [hashlib.sha256(i.to_bytes(8, "big")).digest() for i in range(begin, end)]


def test_tile_paths_follow_c2sp_tlog_tiles() -> None:
    assert tile_index_path(1234067) == "x001/x234/067" and tile_index_path(5) == "005"
    assert tile_key(LOG, 1, 44) == f"tlog/{LOG}/tile/0/001.p/44"
    assert tiles_for(0, 300) == [(0, TILE_WIDTH), (1, 44)]
    assert tiles_for(300, 600) == [(1, TILE_WIDTH), (2, 88)] and tiles_for(5, 5) == []


class ArchiveContract:
    """Subclass once per adapter and provide the `archive` fixture."""

    @pytest.fixture
    def archive(self) -> Archive:
        raise NotImplementedError

    @pytest.fixture
    def tenant(self, unique: str) -> str:
        return f"t{unique}"

    def test_art45_a_checkpoint_is_kept_once_and_never_replaced(
        self, archive: Archive, tenant: str
    ) -> None:
        assert archive.put_checkpoint(tenant, LOG, 300, NOTE)
        assert not archive.put_checkpoint(tenant, LOG, 300, NOTE.replace("300", "301"))
        assert archive.checkpoint(tenant, LOG, 300) == NOTE
        assert archive.put_cosigned(tenant, LOG, 300, NOTE + "\u2014 w BBBB\n")
        assert archive.cosigned(tenant, LOG, 300) == NOTE + "\u2014 w BBBB\n"
        assert archive.checkpoint(tenant, "another-log", 300) is None

    def test_art45_a_kept_checkpoint_cannot_be_deleted(self, archive: Archive, tenant: str) -> None:
        archive.put_checkpoint(tenant, LOG, 7, NOTE)
        with pytest.raises(ObjectLocked):
            archive.store.delete(tenant, f"tlog/{LOG}/checkpoint/7")
        assert archive.checkpoint(tenant, LOG, 7) == NOTE

    def test_art45_leaf_tiles_give_back_every_leaf_hash_as_the_log_grows(
        self, archive: Archive, tenant: str
    ) -> None:
        assert archive.put_tiles(tenant, LOG, 0, 300, leaves) == 2
        assert archive.put_tiles(tenant, LOG, 300, 600, leaves) == 2
        expected = leaves(0, 600)
        for index in (0, 255, 256, 299):
            assert archive.leaf_hash(tenant, LOG, index, 300) == expected[index]
        for index in (256, 511, 599):
            assert archive.leaf_hash(tenant, LOG, index, 600) == expected[index]
        assert archive.leaf_hash(tenant, LOG, 600, 600) is None

    def test_a_witness_keeps_what_it_cosigned_by_size_and_root(
        self, archive: Archive, tenant: str
    ) -> None:
        root = bytes(range(32))
        assert archive.put_witnessed(tenant, "jiangan", 12, root, NOTE)
        assert archive.witnessed(tenant, "jiangan", 12, root) == NOTE
        assert archive.witnessed(tenant, "jiangan", 12, bytes(32)) is None


class TestFileArchive(ArchiveContract):
    @pytest.fixture
    def archive(self, tmp_path: Path) -> Archive:
        return Archive(FileObjectStore(tmp_path / "objects"), retention=timedelta(days=1))


@pytest.mark.stack
class TestS3Archive(ArchiveContract):
    @pytest.fixture
    def archive(self, s3_settings: S3Settings) -> Archive:
        store = S3ObjectStore(
            s3_settings.endpoint,
            s3_settings.access_key,
            s3_settings.secret_key,
            offsite_endpoint=s3_settings.offsite_endpoint,
        )
        return Archive(store, retention=timedelta(days=1))
