"""Poseidon Merkle trees of depth 20, as the ``set_membership`` template's circuit hashes them.

A tree has ``2^20`` leaves; the ones not given are 0. A node is ``Poseidon(left, right)``; the empty subtree of
height ``h`` hashes to ``ZERO[h]`` (``ZERO[0] = 0``, ``ZERO[h+1] = Poseidon(ZERO[h], ZERO[h])``), so a tree of
``n`` leaves costs about ``n`` hashes, not a million.

>>> tree = MerkleTree([11, 22, 33])
>>> path = tree.path(1)
>>> path.indices[:3], verify_path(22, path, tree.root)
([1, 0, 0], True)
>>> verify_path(23, path, tree.root)
False
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

from zapiki.babyjub.poseidon import poseidon
from zapiki.errors import InputError

__all__ = ["DEPTH", "MAX_LEAVES", "MerkleTree", "Path", "verify_path", "zero_hashes"]

DEPTH = 20
#: The most leaves a tree built here takes (the rest of the 2^20 are empty): a tree is built in the job, with
#: about one Poseidon hash per leaf. Larger sets: build the tree elsewhere and send a path.
MAX_LEAVES = 4096


@functools.cache
def zero_hashes() -> tuple[int, ...]:
    """``ZERO[h]``: the hash of an empty subtree of height ``h``, for h = 0..DEPTH."""
    z = [0]
    for _ in range(DEPTH):
        z.append(poseidon([z[-1], z[-1]]))
    return tuple(z)


@dataclass(frozen=True)
class Path:
    """A leaf's authentication path: its sibling at each level, bottom up, and which side the leaf's node is on
    (0: left, 1: right)."""

    elements: list[int]
    indices: list[int]


def _hash_up(leaf: int, path: Path) -> int:
    cur = leaf
    for sibling, side in zip(path.elements, path.indices, strict=True):
        cur = poseidon([sibling, cur]) if side else poseidon([cur, sibling])
    return cur


def verify_path(leaf: int, path: Path, root: int) -> bool:
    """Whether ``leaf`` with ``path`` hashes up to ``root``."""
    return len(path.elements) == DEPTH and _hash_up(leaf, path) == root


class MerkleTree:
    """The depth-20 tree whose first leaves are ``leaves`` (field elements) and the rest 0."""

    def __init__(self, leaves: Sequence[int]) -> None:
        if len(leaves) > MAX_LEAVES:
            raise InputError(f"a set of {len(leaves)} members; at most {MAX_LEAVES} here (send a path instead)")
        zero = zero_hashes()
        self.levels: list[list[int]] = [list(leaves)]
        for h in range(DEPTH):
            below = self.levels[-1]
            padded = below + [zero[h]] if len(below) % 2 else below
            self.levels.append([poseidon([padded[i], padded[i + 1]]) for i in range(0, len(padded), 2)])
        self.root: int = self.levels[-1][0] if self.levels[-1] else zero[DEPTH]

    def index(self, leaf: int) -> int | None:
        """The first position of ``leaf``, or None."""
        try:
            return self.levels[0].index(leaf)
        except ValueError:
            return None

    def path(self, index: int) -> Path:
        """The authentication path of the leaf at ``index``."""
        zero = zero_hashes()
        elements, indices = [], []
        for h in range(DEPTH):
            level = self.levels[h]
            sibling = index ^ 1
            elements.append(level[sibling] if sibling < len(level) else zero[h])
            indices.append(index & 1)
            index >>= 1
        return Path(elements, indices)
