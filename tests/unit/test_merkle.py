"""The tenant log's Merkle tree (RFC 9162 §2.1; seed Art 45: no record may be altered).

The vectors are those of the RFC's reference implementations: the eight leaves, their
roots and the inclusion and consistency proofs of transparency-dev/merkle
`proof/verify_test.go` (the same as google/certificate-transparency-go's
`merkle/log_verifier_test.go`). Indices there are 1-based; here 0-based.
"""

from __future__ import annotations

import hashlib
import random

import pytest

from liuhen.platform import merkle
from liuhen.platform.merkle import ProofError

LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
ROOTS = [
    bytes.fromhex(h)
    for h in (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    )
]


def hx(*hashes: str) -> list[bytes]:
    return [bytes.fromhex(h) for h in hashes]


# (leaf index, tree size, proof)
INCLUSION = [
    (
        0,
        8,
        hx(
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ),
    ),
    (
        5,
        8,
        hx(
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ),
    ),
    (2, 3, hx("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")),
    (
        1,
        5,
        hx(
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ),
    ),
]
# (old size, new size, proof)
CONSISTENCY = [
    (
        1,
        8,
        hx(
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ),
    ),
    (
        6,
        8,
        hx(
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ),
    ),
    (
        2,
        5,
        hx(
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ),
    ),
    (
        6,
        7,
        hx(
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ),
    ),
]


class Stored:
    """The perfect subtrees of a tree, built by appending as the ledger does."""

    def __init__(self) -> None:
        self.nodes: dict[merkle.Node, bytes] = {}
        self.size = 0

    def append(self, data: bytes) -> None:
        h = merkle.leaf_hash(data)
        self.nodes[(0, self.size)] = h
        for sibling, node in zip(
            merkle.left_siblings(self.size), merkle.completed_by(self.size), strict=True
        ):
            h = merkle.node_hash(self.nodes[sibling], h)
            self.nodes[node] = h
        self.size += 1

    def root(self, size: int) -> bytes:
        return merkle.fold([self.nodes[n] for n in merkle.frontier(size)])

    def inclusion(self, index: int, size: int) -> list[bytes]:
        return merkle.hash_ranges(merkle.inclusion_ranges(index, size), self.nodes.__getitem__)

    def consistency(self, old: int, new: int) -> list[bytes]:
        return merkle.hash_ranges(merkle.consistency_ranges(old, new), self.nodes.__getitem__)


@pytest.fixture
def tree() -> Stored:
    t = Stored()
    for leaf in LEAVES:
        t.append(leaf)
    return t


def test_the_roots_of_the_reference_vectors(tree: Stored) -> None:
    leaf_hashes = [merkle.leaf_hash(d) for d in LEAVES]
    for size in range(1, 9):
        assert merkle.root_of(leaf_hashes[:size]) == ROOTS[size - 1]
        assert tree.root(size) == ROOTS[size - 1]
    assert merkle.root_of([]) == hashlib.sha256(b"").digest()


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION)
def test_inclusion_proofs_match_the_reference_vectors_and_verify(
    tree: Stored, index: int, size: int, proof: list[bytes]
) -> None:
    assert tree.inclusion(index, size) == proof
    merkle.verify_inclusion(index, size, merkle.leaf_hash(LEAVES[index]), proof, ROOTS[size - 1])


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY)
def test_consistency_proofs_match_the_reference_vectors_and_verify(
    tree: Stored, old: int, new: int, proof: list[bytes]
) -> None:
    assert tree.consistency(old, new) == proof
    merkle.verify_consistency(old, new, ROOTS[old - 1], ROOTS[new - 1], proof)


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION)
def test_art45_a_corrupted_inclusion_proof_fails(index: int, size: int, proof: list[bytes]) -> None:
    leaf, root = merkle.leaf_hash(LEAVES[index]), ROOTS[size - 1]
    probes = [
        (index + 1, size, leaf, proof, root),
        (index, size * 2, leaf, proof, root),
        (index, size, merkle.leaf_hash(b"forged"), proof, root),
        (index, size, leaf, proof, ROOTS[0] if size > 1 else ROOTS[1]),
        (index, size, leaf, [*proof, root], root),
        (index, size, leaf, proof[:-1], root),
    ]
    for i in range(len(proof)):
        flipped = list(proof)
        flipped[i] = bytes([proof[i][0] ^ 8]) + proof[i][1:]
        probes.append((index, size, leaf, flipped, root))
    for args in probes:
        with pytest.raises(ProofError):
            merkle.verify_inclusion(*args)


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY)
def test_art45_a_corrupted_consistency_proof_fails(old: int, new: int, proof: list[bytes]) -> None:
    r1, r2 = ROOTS[old - 1], ROOTS[new - 1]
    probes = [
        (old + 1, new, r1, r2, proof),
        (old, new * 2, r1, r2, proof),
        (old, new, r2, r1, proof),
        (old, new, r1, r2, []),
        (old, new, r1, r2, [*proof, r1]),
        (old, new, r1, r2, proof[:-1]),
    ]
    for i in range(len(proof)):
        flipped = list(proof)
        flipped[i] = bytes([proof[i][0] ^ 16]) + proof[i][1:]
        probes.append((old, new, r1, r2, flipped))
    for args in probes:
        with pytest.raises(ProofError):
            merkle.verify_consistency(*args)


def test_trivial_consistency_needs_no_proof_and_equal_sizes_need_equal_roots() -> None:
    merkle.verify_consistency(0, 5, b"", ROOTS[4], [])
    merkle.verify_consistency(3, 3, ROOTS[2], ROOTS[2], [])
    with pytest.raises(ProofError):
        merkle.verify_consistency(3, 3, ROOTS[2], ROOTS[3], [])
    with pytest.raises(ProofError):
        merkle.verify_consistency(4, 3, ROOTS[3], ROOTS[2], [])


def test_every_proof_of_a_random_tree_verifies_against_the_reference_root() -> None:
    rng = random.Random(45)
    tree, data = Stored(), [rng.randbytes(rng.randint(0, 40)) for _ in range(70)]
    for d in data:
        tree.append(d)
    hashes = [merkle.leaf_hash(d) for d in data]
    for size in range(1, 71):
        root = merkle.root_of(hashes[:size])
        assert tree.root(size) == root
        for index in range(size):
            merkle.verify_inclusion(index, size, hashes[index], tree.inclusion(index, size), root)
        for old in range(1, size + 1):
            old_root = merkle.root_of(hashes[:old])
            merkle.verify_consistency(old, size, old_root, root, tree.consistency(old, size))


def test_a_proof_reads_logarithmically_many_stored_nodes() -> None:
    size = 1_000_003
    assert len(merkle.nodes_for(merkle.inclusion_ranges(123_457, size))) <= 2 * 20
    assert len(merkle.nodes_for(merkle.consistency_ranges(999_999, size))) <= 2 * 20
    assert len(merkle.frontier(size)) == bin(size).count("1")
