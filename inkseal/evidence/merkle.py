"""RFC 9162 Merkle tree hashing, inclusion and consistency proofs. Pure: no Django.

Leaf hash: HASH(0x00 || data); interior node: HASH(0x01 || left || right); the empty tree's hash
is HASH(""). Proof generation follows RFC 9162 §2.1.3.1 (PATH) and §2.1.4.1 (SUBPROOF); proof
verification follows §2.1.3.2 and §2.1.4.2 step by step.

Generation works on ranges, not on leaf lists, so a log of any size answers a proof with a few
dozen stored nodes: every subtree the RFC recursion visits starts at a multiple of a power of two
and splits into *perfect* subtrees (2^level leaves starting at index * 2^level), the only nodes a
store keeps. `inclusion_ranges` / `consistency_ranges` say which subtree hashes a proof holds,
`range_nodes` which perfect nodes make each of them, and `range_hash` folds those into one hash.

The hash is a parameter (`Hasher`): the platform's log uses SHA-256 (what RFC 9162 clients and the
C2SP checkpoint ecosystem read); SM3 works the same way for a 国密 tree (tested, not stored).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from inkseal.pki import gm

Node = tuple[int, int]  # (level, index): the perfect subtree of leaves [index << level, (index + 1) << level)
Range = tuple[int, int]  # leaves [start, end)


class ProofInvalid(Exception):
    """A proof does not prove what it claims; `str()` says why."""


@dataclass(frozen=True)
class Hasher:
    name: str  # "sha256" or "sm3"

    def digest(self, data: bytes) -> bytes:
        return gm.new_sm3(data).digest() if self.name == "sm3" else hashlib.new(self.name, data).digest()

    @property
    def size(self) -> int:
        return 32

    def leaf(self, data: bytes) -> bytes:
        return self.digest(b"\x00" + data)

    def node(self, left: bytes, right: bytes) -> bytes:
        return self.digest(b"\x01" + left + right)

    def empty(self) -> bytes:
        return self.digest(b"")


SHA256 = Hasher("sha256")
SM3 = Hasher("sm3")


def split(n: int) -> int:
    """The largest power of two smaller than n (n > 1): RFC 9162's k with k < n <= 2k."""
    return 1 << ((n - 1).bit_length() - 1)


def _is_power_of_two(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


def range_nodes(start: int, end: int) -> list[Node]:
    """The perfect subtrees that make the subtree [start, end), largest (leftmost) first."""
    if not 0 <= start < end:
        raise ValueError(f"empty or negative range [{start}, {end})")
    nodes: list[Node] = []
    while start < end:
        n = end - start
        width = n if _is_power_of_two(n) else split(n)
        level = width.bit_length() - 1
        if start % width:
            raise ValueError(f"[{start}, {end}) is not a subtree of an RFC 9162 tree")
        nodes.append((level, start >> level))
        start += width
    return nodes


def range_hash(hasher: Hasher, hashes: Sequence[bytes]) -> bytes:
    """MTH of a subtree from its perfect parts' hashes (as `range_nodes` orders them)."""
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = hasher.node(left, result)
    return result


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The subtrees whose hashes form the inclusion proof of leaf `index` in a tree of `size`
    leaves, in proof order (RFC 9162 §2.1.3.1 PATH)."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size} leaves")

    def path(m: int, start: int, end: int) -> list[Range]:
        n = end - start
        if n == 1:
            return []
        k = split(n)
        if m < k:
            return [*path(m, start, start + k), (start + k, end)]
        return [*path(m - k, start + k, end), (start, start + k)]

    return path(index, 0, size)


def consistency_ranges(first: int, second: int) -> list[Range]:
    """The subtrees whose hashes prove a tree of `first` leaves is a prefix of one of `second`
    (RFC 9162 §2.1.4.1 SUBPROOF); empty when the sizes are equal."""
    if not 0 < first <= second:
        raise ValueError(f"no consistency proof from {first} to {second} leaves")

    def subproof(m: int, start: int, end: int, whole: bool) -> list[Range]:
        n = end - start
        if m == n:
            return [] if whole else [(start, end)]
        k = split(n)
        if m <= k:
            return [*subproof(m, start, start + k, whole), (start + k, end)]
        return [*subproof(m - k, start + k, end, False), (start, start + k)]

    return subproof(first, 0, second, True)


def nodes_for(ranges: Iterable[Range]) -> set[Node]:
    """Every stored node a list of ranges needs (fetch them at once)."""
    return {node for start, end in ranges for node in range_nodes(start, end)}


def hashes_for(
    hasher: Hasher, ranges: Iterable[Range], node: Callable[[Node], bytes] | Mapping[Node, bytes]
) -> list[bytes]:
    look = node.__getitem__ if isinstance(node, Mapping) else node
    return [range_hash(hasher, [look(n) for n in range_nodes(start, end)]) for start, end in ranges]


def extend(
    hasher: Hasher, frontier: Mapping[Node, bytes], size: int, leaf_hashes: Sequence[bytes]
) -> dict[Node, bytes]:
    """The perfect nodes (level 0 = the leaves) that appending `leaf_hashes` to a tree of `size`
    leaves completes. `frontier` holds the tree's `range_nodes(0, size)`: the only older nodes an
    append ever needs."""
    known = dict(frontier)
    made: dict[Node, bytes] = {}
    for offset, leaf in enumerate(leaf_hashes):
        level, index = 0, size + offset
        known[(0, index)] = made[(0, index)] = leaf
        while index & 1:
            parent = hasher.node(known[(level, index - 1)], known[(level, index)])
            level, index = level + 1, index >> 1
            known[(level, index)] = made[(level, index)] = parent
    return made


def verify_inclusion(
    hasher: Hasher, leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """RFC 9162 §2.1.3.2; raises ProofInvalid unless `leaf_hash` is leaf `index` of the tree of
    `size` leaves whose root hash is `root`."""
    if not 0 <= index < size:
        raise ProofInvalid(f"leaf index {index} is outside a tree of {size} leaves")
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            raise ProofInvalid("the inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = hasher.node(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = hasher.node(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofInvalid("the inclusion proof is shorter than the tree is deep")
    if r != root:
        raise ProofInvalid("the inclusion proof leads to another root hash")


def verify_consistency(
    hasher: Hasher, first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> None:
    """RFC 9162 §2.1.4.2; raises ProofInvalid unless the tree of `first` leaves with root
    `first_root` is a prefix of the tree of `second` leaves with root `second_root`."""
    if not 0 < first <= second:
        raise ProofInvalid(f"no consistency proof exists from {first} to {second} leaves")
    if first == second:
        if proof:
            raise ProofInvalid("a proof between equal sizes must be empty")
        if first_root != second_root:
            raise ProofInvalid("two different root hashes for the same tree size: the log forked")
        return
    if not proof:
        raise ProofInvalid("the consistency proof is empty")
    path = [first_root, *proof] if _is_power_of_two(first) else list(proof)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofInvalid("the consistency proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            fr, sr = hasher.node(c, fr), hasher.node(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = hasher.node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofInvalid("the consistency proof is shorter than the tree is deep")
    if fr != first_root:
        raise ProofInvalid("the consistency proof does not lead to the older root hash")
    if sr != second_root:
        raise ProofInvalid("the consistency proof does not lead to the newer root hash")


class MemoryTree:
    """A whole tree in memory (every perfect node): for `log verify`, which recomputes the tree
    from the leaves, and for benchmarks. Appending is amortised O(1) node hashes."""

    def __init__(self, hasher: Hasher = SHA256):
        self.hasher = hasher
        self.levels: list[list[bytes]] = [[]]

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def append(self, leaf_hash: bytes) -> None:
        self.levels[0].append(leaf_hash)
        level, index = 0, self.size - 1
        while index & 1:
            parent = self.hasher.node(self.levels[level][index - 1], self.levels[level][index])
            level, index = level + 1, index >> 1
            if len(self.levels) == level:
                self.levels.append([])
            self.levels[level].append(parent)

    def node(self, node: Node) -> bytes:
        level, index = node
        return self.levels[level][index]

    def root(self, size: int | None = None) -> bytes:
        size = self.size if size is None else size
        if size == 0:
            return self.hasher.empty()
        if size > self.size:
            raise ValueError(f"the tree has {self.size} leaves, not {size}")
        return hashes_for(self.hasher, [(0, size)], self.node)[0]

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        return hashes_for(self.hasher, inclusion_ranges(index, self.size if size is None else size), self.node)

    def consistency_proof(self, first: int, second: int | None = None) -> list[bytes]:
        return hashes_for(self.hasher, consistency_ranges(first, self.size if second is None else second), self.node)


class Frontier:
    """The right edge of a growing tree (its perfect subtrees, largest first): enough to know the
    root at every size while streaming the leaves once, in O(log n) memory."""

    def __init__(self, hasher: Hasher = SHA256):
        self.hasher = hasher
        self.size = 0
        self.stack: list[tuple[int, bytes]] = []  # (level, hash)

    def append(self, leaf_hash: bytes) -> None:
        self.stack.append((0, leaf_hash))
        self.size += 1
        while len(self.stack) > 1 and self.stack[-1][0] == self.stack[-2][0]:
            (level, right), (_, left) = self.stack.pop(), self.stack.pop()
            self.stack.append((level + 1, self.hasher.node(left, right)))

    def root(self) -> bytes:
        if not self.stack:
            return self.hasher.empty()
        return range_hash(self.hasher, [digest for _, digest in self.stack])
