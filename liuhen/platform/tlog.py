"""The transparency log of each tenant (DESIGN §4; seed Art 45): every ledger entry of
every case of a tenant is a leaf of one append-only Merkle tree (RFC 9162, merkle.py).

Storage: `platform_tlog_nodes` holds the hash of every perfect subtree, (level, index),
written once when its last leaf arrives and never changed, so the table is append-only
like the ledger (the services' role has INSERT and SELECT only). Appending leaf n
inserts the leaf and the subtrees it completes (one on average, log2 n at most) and
reads at most log2 n left siblings; an inclusion or consistency proof, and the root at
any past size, are O(log n) reads of stored subtrees (merkle.range_nodes). We chose
stored subtrees over a single mutable "frontier" row because a frontier must be updated
(which the append-only grant forbids) and cannot answer a proof without the nodes.

Appends to one tenant's tree are serialised: on PostgreSQL by a transaction-scoped
advisory lock per tenant, which only the sequencer takes (sequencer.py: commands append
their ledger entries queued, under their case's lock), on SQLite by its single writer.
The leaf is SHA-256(0x00 || the entry's 32-byte hash); the entry's hash commits to its
content (ledger.Entry.computed_hash).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import BigInteger, Integer, LargeBinary, String, func, select, text
from sqlalchemy.orm import Mapped, mapped_column

from liuhen.platform import merkle
from liuhen.platform.db import Base, UnitOfWork


class TreeNode(Base):
    __tablename__ = "platform_tlog_nodes"
    tenant_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


@dataclass
class TreeState:
    """The tenant's tree as this transaction extends it: its size and the nodes read
    or written here (so a transaction that appends many entries reads each node once)."""

    size: int
    nodes: dict[merkle.Node, bytes]


def lock_tree(uow: UnitOfWork) -> TreeState:
    """Take the tenant's append lock (once per transaction) and read the tree's size."""
    if uow.tree is None:
        session = uow.session
        if session.get_bind().dialect.name == "postgresql":
            session.execute(
                text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"tlog/{uow.tenant}"}
            )
        with session.no_autoflush:
            last = session.scalar(
                select(func.max(TreeNode.idx)).where(
                    TreeNode.tenant_id == uow.tenant, TreeNode.level == 0
                )
            )
        uow.tree = TreeState(size=0 if last is None else last + 1, nodes={})
    state: TreeState = uow.tree
    return state


def append_leaf(uow: UnitOfWork, entry_hash: bytes) -> int:
    """Add the entry (its 32-byte hash) as the next leaf; returns its leaf index."""
    state = lock_tree(uow)
    index = state.size
    siblings = merkle.left_siblings(index)
    known = _read(uow, [n for n in siblings if n not in state.nodes])
    state.nodes.update(known)
    h = merkle.leaf_hash(entry_hash)
    new = {(0, index): h}
    for sibling, node in zip(siblings, merkle.completed_by(index), strict=True):
        h = merkle.node_hash(state.nodes[sibling], h)
        new[node] = h
    for (level, idx), value in new.items():
        uow.add(TreeNode(tenant_id=uow.tenant, level=level, idx=idx, hash=value))
    state.nodes.update(new)
    state.size = index + 1
    return index


def _read(uow: UnitOfWork, nodes: Iterable[merkle.Node]) -> dict[merkle.Node, bytes]:
    """Point reads of stored subtrees, in one statement per 200. Each OR term carries
    the tenant so that SQLite (and PostgreSQL) answer it from the primary key index."""
    wanted = list(dict.fromkeys(nodes))
    found: dict[merkle.Node, bytes] = {}
    for start in range(0, len(wanted), 200):
        chunk = wanted[start : start + 200]
        terms = " OR ".join(
            f"(tenant_id = :t AND level = :l{i} AND idx = :i{i})" for i in range(len(chunk))
        )
        params: dict[str, object] = {"t": uow.tenant}
        for i, (level, idx) in enumerate(chunk):
            params[f"l{i}"], params[f"i{i}"] = level, idx
        rows = uow.session.execute(
            text(f"SELECT level, idx, hash FROM platform_tlog_nodes WHERE {terms}"), params
        )
        found.update({(int(lv), int(ix)): bytes(h) for lv, ix, h in rows})
    missing = [n for n in wanted if n not in found]
    if missing:
        raise LookupError(f"the tree of {uow.tenant} lacks stored nodes {missing[:3]}")
    return found


def size(uow: UnitOfWork) -> int:
    last = uow.session.scalar(
        select(func.max(TreeNode.idx)).where(TreeNode.tenant_id == uow.tenant, TreeNode.level == 0)
    )
    return 0 if last is None else int(last) + 1


def root(uow: UnitOfWork, tree_size: int) -> bytes:
    """The root hash of the tenant's tree when it had `tree_size` leaves."""
    nodes = merkle.frontier(tree_size)
    stored = _read(uow, nodes)
    return merkle.fold([stored[n] for n in nodes])


def _hashes(uow: UnitOfWork, ranges: Sequence[merkle.Range]) -> list[bytes]:
    stored = _read(uow, merkle.nodes_for(ranges))
    return merkle.hash_ranges(ranges, stored.__getitem__)


def inclusion_proof(uow: UnitOfWork, index: int, tree_size: int) -> list[bytes]:
    return _hashes(uow, merkle.inclusion_ranges(index, tree_size))


def consistency_proof(uow: UnitOfWork, old: int, new: int) -> list[bytes]:
    if old == 0 or old == new:
        return []
    return _hashes(uow, merkle.consistency_ranges(old, new))


def leaf_hashes(uow: UnitOfWork, begin: int, end: int) -> list[bytes]:
    """The stored leaf hashes of [begin, end), in order."""
    rows = uow.session.execute(
        select(TreeNode.idx, TreeNode.hash)
        .where(
            TreeNode.tenant_id == uow.tenant,
            TreeNode.level == 0,
            TreeNode.idx >= begin,
            TreeNode.idx < end,
        )
        .order_by(TreeNode.idx)
    )
    return [bytes(h) for _, h in rows]


def log_id(uow: UnitOfWork) -> str:
    """The log's name in the object store: its first leaf hash, 16 hex digits ("" while
    empty). A database rebuilt from nothing starts a log with another name."""
    first = leaf_hashes(uow, 0, 1)
    return first[0].hex()[:16] if first else ""
