"""The ledger log's evidence under Object Lock (DESIGN §4; seed Art 45): checkpoints,
cosigned checkpoints and the log's leaf hashes, written once to the tenant's bucket with
COMPLIANCE retention, so neither the database's owner nor the site can withdraw one.

Keys, after C2SP tlog-tiles, under `tlog/<log>/` where <log> names one log: the first
16 hex digits of its first leaf hash (a database rebuilt from nothing starts a new log
and must not collide with the old one's locked objects): `checkpoint/<size>` (the
signed note), `cosigned/<size>` (the note with the witness's cosignature) and level-0
tiles of 256 leaf hashes, `tile/0/<N>` when full and `tile/0/<N>.p/<W>` when partial
(N in groups of three digits, x-prefixed). The tiles let verification name the entry a
rewrite broke: the locked leaf hash differs from the one the database now holds. A
witness keeps what it cosigned as `tlog/witnessed/<site>/<size>-<root, 16 hex>`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from liuhen.platform.ports import ObjectExists, ObjectNotFound, ObjectStore

TILE_WIDTH = 256
HASH = 32
# Case files are kept for the long term (长期); the log outlives every case in it.
RETENTION = timedelta(days=365 * 30)


def tile_index_path(n: int) -> str:
    """C2SP tlog-tiles: 1234067 -> x001/x234/067."""
    digits = f"{n:d}"
    digits = "0" * (-len(digits) % 3) + digits
    groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    return "/".join([*(f"x{g}" for g in groups[:-1]), groups[-1]])


def tile_key(log: str, n: int, width: int) -> str:
    base = f"tlog/{log}/tile/0/{tile_index_path(n)}"
    return base if width == TILE_WIDTH else f"{base}.p/{width}"


def tiles_for(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """(tile, width) of every level-0 tile to write when the log grows old -> new."""
    if new_size <= old_size:
        return []
    first, last = old_size // TILE_WIDTH, (new_size - 1) // TILE_WIDTH
    return [(n, min(TILE_WIDTH, new_size - n * TILE_WIDTH)) for n in range(first, last + 1)]


def witnessed_key(site: str, size: int, root: bytes) -> str:
    return f"tlog/witnessed/{site}/{size}-{root.hex()[:16]}"


class Archive:
    def __init__(self, store: ObjectStore, retention: timedelta = RETENTION) -> None:
        self.store = store
        self.retention = retention

    def _put(self, tenant: str, key: str, data: bytes, kind: str) -> bool:
        """Write once; False if the key already holds an object (it is never replaced)."""
        self.store.ensure_bucket(tenant)
        try:
            self.store.put(
                tenant,
                key,
                [data],
                metadata={"liuhen-kind": kind},
                retain_until=datetime.now(UTC) + self.retention,
            )
        except ObjectExists:
            return False
        return True

    def _get(self, tenant: str, key: str) -> bytes | None:
        try:
            return b"".join(self.store.open(tenant, key))
        except ObjectNotFound:
            return None

    def put_checkpoint(self, tenant: str, log: str, size: int, note: str) -> bool:
        return self._put(tenant, f"tlog/{log}/checkpoint/{size}", note.encode(), "checkpoint")

    def put_cosigned(self, tenant: str, log: str, size: int, note: str) -> bool:
        key = f"tlog/{log}/cosigned/{size}"
        return self._put(tenant, key, note.encode(), "cosigned-checkpoint")

    def put_witnessed(self, tenant: str, site: str, size: int, root: bytes, note: str) -> bool:
        """At the witness: the checkpoint of another site's log it cosigned."""
        key = witnessed_key(site, size, root)
        return self._put(tenant, key, note.encode(), "witnessed-checkpoint")

    def checkpoint(self, tenant: str, log: str, size: int) -> str | None:
        data = self._get(tenant, f"tlog/{log}/checkpoint/{size}")
        return data.decode() if data is not None else None

    def cosigned(self, tenant: str, log: str, size: int) -> str | None:
        data = self._get(tenant, f"tlog/{log}/cosigned/{size}")
        return data.decode() if data is not None else None

    def witnessed(self, tenant: str, site: str, size: int, root: bytes) -> str | None:
        data = self._get(tenant, witnessed_key(site, size, root))
        return data.decode() if data is not None else None

    def put_tiles(
        self,
        tenant: str,
        log: str,
        old_size: int,
        new_size: int,
        leaves: Callable[[int, int], list[bytes]],
    ) -> int:
        """Write the tiles that cover the growth old -> new; `leaves(begin, end)` gives
        the leaf hashes. Returns how many were written."""
        written = 0
        for n, width in tiles_for(old_size, new_size):
            data = b"".join(leaves(n * TILE_WIDTH, n * TILE_WIDTH + width))
            if len(data) != width * HASH:
                raise ValueError(f"tile {n} of {tenant}: {len(data) // HASH} leaves, not {width}")
            written += self._put(tenant, tile_key(log, n, width), data, "tile")
        return written

    def leaf_hash(self, tenant: str, log: str, index: int, tree_size: int) -> bytes | None:
        """The locked leaf hash of `index` as written for a checkpoint of `tree_size`."""
        if not 0 <= index < tree_size:
            return None
        n = index // TILE_WIDTH
        width = min(TILE_WIDTH, tree_size - n * TILE_WIDTH)
        data = self._get(tenant, tile_key(log, n, width))
        if data is None and width < TILE_WIDTH:
            data = self._get(tenant, tile_key(log, n, TILE_WIDTH))
        offset = (index % TILE_WIDTH) * HASH
        if data is None or len(data) < offset + HASH:
            return None
        return data[offset : offset + HASH]
