"""The Merkle tree of a transparency log, as RFC 9162 §2.1 defines it (seed Art 45).

Pure functions, no I/O, standard library only (the offline verifier `liuhen.verify`
imports this module). A leaf hash is SHA-256(0x00 || data), an interior node
SHA-256(0x01 || left || right); the tree over n leaves splits at the largest power of
two below n.

Storage keeps the hash of every *perfect* subtree: node (level, index) covers leaves
[index * 2^level, (index + 1) * 2^level). Every subtree a proof names (RFC 9162 PATH and
SUBPROOF) starts at a multiple of its left part's size, so its hash folds from at most
log2(n) stored perfect subtrees: `range_nodes` names them and `fold` combines them. A
proof is therefore O(log n) reads, whatever the size of the tree.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

Node = tuple[int, int]  # (level, index): the perfect subtree of 2^level leaves
Range = tuple[int, int]  # [begin, end) of leaf indices


class ProofError(ValueError):
    """A proof that does not hold, with what failed."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def root_of(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) from the leaf hashes (RFC 9162 §2.1.1): the reference definition."""
    n = len(leaf_hashes)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaf_hashes[0]
    k = split(n)
    return node_hash(root_of(leaf_hashes[:k]), root_of(leaf_hashes[k:]))


# --- appending: the nodes a new leaf completes -----------------------------------------


def completed_by(index: int) -> list[Node]:
    """The perfect subtrees above leaf `index` that the leaf completes, lowest first
    (their hashes: fold the left siblings `left_siblings(index)` into the leaf hash)."""
    out, level, i = [], 0, index
    while i & 1:
        level, i = level + 1, i >> 1
        out.append((level, i))
    return out


def left_siblings(index: int) -> list[Node]:
    """The stored left siblings the new leaf `index` is combined with, lowest first."""
    out, level, i = [], 0, index
    while i & 1:
        out.append((level, i - 1))
        level, i = level + 1, i >> 1
    return out


def frontier(size: int) -> list[Node]:
    """The perfect subtrees that make up a tree of `size` leaves, left to right."""
    return range_nodes(0, size)


# --- proofs: the subtrees they name, and their hashes from stored nodes --------------


def range_nodes(begin: int, end: int) -> list[Node]:
    """The perfect subtrees that cover [begin, end), left to right, when `begin` is a
    multiple of the largest power of two not above end - begin (true of every subtree
    RFC 9162's recursions name)."""
    out, pos = [], begin
    while pos < end:
        size = 1 << ((end - pos).bit_length() - 1)
        if pos % size:
            raise ProofError(f"[{begin}, {end}) is not a subtree of an RFC 9162 tree")
        out.append((size.bit_length() - 1, pos // size))
        pos += size
    return out


def fold(hashes: Sequence[bytes]) -> bytes:
    """MTH of a range from its perfect subtrees (left to right, decreasing sizes)."""
    if not hashes:
        return EMPTY_ROOT
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """PATH(m, D[n]) of RFC 9162 §2.1.3.1 as the ranges whose MTH it lists, leaf first."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of {size}")
    out: list[Range] = []
    lo, hi, m = 0, size, index
    while hi - lo > 1:
        k = split(hi - lo)
        if m < k:
            out.append((lo + k, hi))
            hi = lo + k
        else:
            out.append((lo, lo + k))
            lo, m = lo + k, m - k
    out.reverse()
    return out


def consistency_ranges(old: int, new: int) -> list[Range]:
    """PROOF(m, D[n]) of RFC 9162 §2.1.4.1 as ranges, for 0 < m <= n."""
    if not 0 < old <= new:
        raise ProofError(f"no consistency proof from {old} to {new}")
    out: list[Range] = []
    lo, hi, m, whole = 0, new, old, True
    while m != hi - lo:
        k = split(hi - lo)
        if m <= k:
            out.append((lo + k, hi))
            hi = lo + k
        else:
            out.append((lo, lo + k))
            lo, m, whole = lo + k, m - k, False
    if not whole:
        out.append((lo, hi))
    out.reverse()
    return out


def hash_ranges(ranges: Sequence[Range], node: Callable[[Node], bytes]) -> list[bytes]:
    """The MTH of each range, from the stored perfect subtrees `node` returns."""
    return [fold([node(n) for n in range_nodes(a, b)]) for a, b in ranges]


def nodes_for(ranges: Sequence[Range]) -> list[Node]:
    """Every stored node the ranges need (to fetch them in one query)."""
    return [n for a, b in ranges for n in range_nodes(a, b)]


# --- verification (RFC 9162 §2.1.3.2 and §2.1.4.2) -----------------------------------


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    if index >= size:
        raise ProofError(f"leaf index {index} is not below the tree size {size}")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError("the inclusion proof is longer than the tree is high")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the inclusion proof is shorter than the tree is high")
    return r


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Raise ProofError unless `leaf` is leaf `index` of the tree of `size` with `root`."""
    if root_from_inclusion(index, size, leaf, proof) != root:
        raise ProofError(f"leaf {index} is not in the tree of size {size} with that root")


def verify_consistency(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Raise ProofError unless the tree (new, new_root) extends (old, old_root)."""
    if old > new:
        raise ProofError(f"a tree of {new} cannot extend one of {old}")
    if old == new or old == 0:
        if proof:
            raise ProofError("a proof where none is due")
        if old == new and old_root != new_root:
            raise ProofError(f"two different roots for the tree of size {old}")
        return
    if not proof:
        raise ProofError("an empty consistency proof")
    path = list(proof)
    if old & (old - 1) == 0:  # an exact power of two: the old root is a node of the new
        path.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the consistency proof is too long")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0 or fr != old_root or sr != new_root:
        raise ProofError(f"the tree of size {new} does not extend the tree of size {old}")
