"""The Merkle core against the RFC 6962/9162 reference vectors and against a naive implementation
written straight from the RFC's recursive definitions (MTH, PATH, SUBPROOF) over a list of leaves."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inkseal.evidence.merkle import (
    SHA256,
    SM3,
    Frontier,
    Hasher,
    MemoryTree,
    ProofInvalid,
    extend,
    range_nodes,
    verify_consistency,
    verify_inclusion,
)

# The Certificate Transparency reference leaves and roots (RFC 6962 test data, as published with
# the CT and transparency-dev/merkle test suites): roots of the first n leaves for n = 0..8.
LEAVES = [
    bytes.fromhex(h)
    for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f")
]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
INCLUSION = {
    (0, 8): [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (5, 8): [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
}
CONSISTENCY = {
    (2, 8): [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (2, 5): [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
}


# --- the naive reference, RFC 9162 §2.1.1, §2.1.3.1, §2.1.4.1 over a list of leaf hashes ---------


def naive_root(h: Hasher, leaves: list[bytes]) -> bytes:
    n = len(leaves)
    if n == 0:
        return h.empty()
    if n == 1:
        return leaves[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return h.node(naive_root(h, leaves[:k]), naive_root(h, leaves[k:]))


def naive_path(h: Hasher, m: int, leaves: list[bytes]) -> list[bytes]:
    n = len(leaves)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return [*naive_path(h, m, leaves[:k]), naive_root(h, leaves[k:])]
    return [*naive_path(h, m - k, leaves[k:]), naive_root(h, leaves[:k])]


def naive_subproof(h: Hasher, m: int, leaves: list[bytes], whole: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if whole else [naive_root(h, leaves)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return [*naive_subproof(h, m, leaves[:k], whole), naive_root(h, leaves[k:])]
    return [*naive_subproof(h, m - k, leaves[k:], False), naive_root(h, leaves[:k])]


def tree_of(h: Hasher, leaves: list[bytes]) -> MemoryTree:
    tree = MemoryTree(h)
    for leaf in leaves:
        tree.append(leaf)
    return tree


# --- reference vectors ---------------------------------------------------------------------------


def test_roots_match_the_rfc_6962_reference_for_every_size():
    leaves = [SHA256.leaf(d) for d in LEAVES]
    tree = MemoryTree()
    assert tree.root().hex() == ROOTS[0]
    for n, leaf in enumerate(leaves, start=1):
        tree.append(leaf)
        assert tree.root().hex() == ROOTS[n], n
    assert SHA256.leaf(b"").hex() == hashlib.sha256(b"\x00").hexdigest() == ROOTS[1]


@pytest.mark.parametrize(("index", "size"), sorted(INCLUSION))
def test_inclusion_proofs_match_the_reference(index, size):
    tree = tree_of(SHA256, [SHA256.leaf(d) for d in LEAVES])
    proof = tree.inclusion_proof(index, size)
    assert [p.hex() for p in proof] == INCLUSION[(index, size)]
    verify_inclusion(SHA256, tree.levels[0][index], index, size, proof, bytes.fromhex(ROOTS[size]))


@pytest.mark.parametrize(("first", "second"), sorted(CONSISTENCY))
def test_consistency_proofs_match_the_reference(first, second):
    tree = tree_of(SHA256, [SHA256.leaf(d) for d in LEAVES])
    proof = tree.consistency_proof(first, second)
    assert [p.hex() for p in proof] == CONSISTENCY[(first, second)]
    verify_consistency(SHA256, first, second, bytes.fromhex(ROOTS[first]), bytes.fromhex(ROOTS[second]), proof)


def test_a_subtree_that_does_not_start_on_its_boundary_is_refused():
    assert range_nodes(8, 13) == [(2, 2), (0, 12)]
    with pytest.raises(ValueError, match="not a subtree"):
        range_nodes(3, 5)


# --- properties against the naive reference ------------------------------------------------------

hashers = st.sampled_from([SHA256, SM3])
leaf_lists = st.lists(st.binary(max_size=8), min_size=1, max_size=70)


@settings(max_examples=60, deadline=None)
@given(hashers, leaf_lists, st.data())
def test_proofs_equal_the_naive_ones_and_verify(h, data, draw):
    leaves = [h.leaf(d) for d in data]
    tree = tree_of(h, leaves)
    size = draw.draw(st.integers(1, len(leaves)))
    index = draw.draw(st.integers(0, size - 1))
    first = draw.draw(st.integers(1, size))
    root, first_root = naive_root(h, leaves[:size]), naive_root(h, leaves[:first])
    assert tree.root(size) == root
    proof = tree.inclusion_proof(index, size)
    assert proof == naive_path(h, index, leaves[:size])
    verify_inclusion(h, leaves[index], index, size, proof, root)
    consistency = tree.consistency_proof(first, size)
    assert consistency == (naive_subproof(h, first, leaves[:size], True) if first < size else [])
    verify_consistency(h, first, size, first_root, root, consistency)


@settings(max_examples=60, deadline=None)
@given(leaf_lists, st.data())
def test_a_wrong_leaf_index_size_or_proof_never_verifies(data, draw):
    h = SHA256
    leaves = [h.leaf(d + b"|" + str(i).encode()) for i, d in enumerate(data)]
    tree = tree_of(h, leaves)
    size = draw.draw(st.integers(2, max(2, len(leaves)))) if len(leaves) > 1 else 1
    index = draw.draw(st.integers(0, size - 1))
    root, proof = tree.root(size), tree.inclusion_proof(index, size)
    attempts = [
        (leaves[(index + 1) % size], index, size, proof),
        (leaves[index], index, size, [*proof, h.empty()]),
    ]
    if proof:
        attempts.append((leaves[index], index, size, proof[:-1]))
        attempts.append((leaves[index], index, size, [bytes(32), *proof[1:]]))
    if size > 1:
        attempts.append((leaves[index], (index + 1) % size, size, proof))
    for leaf, i, n, p in attempts:
        if (leaf, i, n, p) == (leaves[index], index, size, proof):
            continue
        with pytest.raises(ProofInvalid):
            verify_inclusion(h, leaf, i, n, p, root)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(max_size=4), min_size=2, max_size=70), st.data())
def test_a_tampered_consistency_proof_or_forked_root_never_verifies(data, draw):
    h = SHA256
    leaves = [h.leaf(d + b"|" + str(i).encode()) for i, d in enumerate(data)]
    tree = tree_of(h, leaves)
    second = draw.draw(st.integers(2, len(leaves)))
    first = draw.draw(st.integers(1, second - 1))
    proof = tree.consistency_proof(first, second)
    old, new = tree.root(first), tree.root(second)
    forked = h.node(old, b"fork".ljust(32, b"\0"))
    for a, b, p in [
        (forked, new, proof),
        (old, forked, proof),
        (old, new, proof[:-1]),
        (old, new, [*proof, h.empty()]),
        (old, new, [bytes(32), *proof[1:]]),
    ]:
        with pytest.raises(ProofInvalid):
            verify_consistency(h, first, second, a, b, p)
    with pytest.raises(ProofInvalid, match="forked"):
        verify_consistency(h, second, second, new, forked, [])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.binary(max_size=4), max_size=60), st.lists(st.integers(1, 9), max_size=8))
def test_appending_in_batches_from_the_frontier_makes_the_same_tree(data, batches):
    h = SHA256
    leaves = [h.leaf(d) for d in data]
    whole = tree_of(h, leaves)
    stored: dict[tuple[int, int], bytes] = {}
    size = 0
    for width in [*batches, len(leaves)]:
        batch = leaves[size : size + width]
        if not batch:
            continue
        frontier = {node: stored[node] for node in (range_nodes(0, size) if size else [])}
        stored.update(extend(h, frontier, size, batch))
        size += len(batch)
    assert size == len(leaves)
    for (level, index), digest in stored.items():
        assert whole.node((level, index)) == digest
    assert sum(len(level) for level in whole.levels) == len(stored)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.binary(max_size=4), max_size=70))
def test_the_streaming_frontier_knows_the_root_at_every_size(data):
    leaves = [SHA256.leaf(d) for d in data]
    frontier = Frontier()
    assert frontier.root() == naive_root(SHA256, [])
    for n, leaf in enumerate(leaves, start=1):
        frontier.append(leaf)
        assert frontier.root() == naive_root(SHA256, leaves[:n])
