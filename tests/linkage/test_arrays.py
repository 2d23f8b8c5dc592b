"""The array shortcuts of blocking and fitting against the plain way of doing the same thing.

Blocking makes pairs without a join and EM counts level vectors packed into integers: both are there for speed at a
million records, so each is checked against the obvious slow version on random data, edge cases included.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from transforms.linkage.blocking import _pairs_in_blocks
from transforms.linkage.model import _patterns


def _pairs_by_join(codes: np.ndarray, cap: int) -> set[tuple[int, int]]:
    blocks: dict[int, list[int]] = {}
    for pos, code in enumerate(codes.tolist()):
        if code >= 0:
            blocks.setdefault(code, []).append(pos)
    return {pair for members in blocks.values() if len(members) <= cap for pair in itertools.combinations(members, 2)}


@pytest.mark.parametrize(("n", "distinct", "cap"), [(0, 1, 5), (1, 1, 5), (6, 1, 10), (50, 8, 4), (3_000, 400, 6)])
def test_pairs_in_blocks_are_every_pair_sharing_a_block_once(n: int, distinct: int, cap: int) -> None:
    codes = np.random.default_rng(n).integers(-1, distinct, n)
    left, right, blocks, skipped, skipped_records = _pairs_in_blocks(codes, cap)
    found = list(zip(left.tolist(), right.tolist(), strict=True))
    assert len(found) == len(set(found))
    assert set(found) == _pairs_by_join(codes, cap)
    sizes = np.bincount(codes[codes >= 0], minlength=1)
    assert (blocks, skipped, skipped_records) == (
        int((sizes >= 2).sum()),
        int((sizes > cap).sum()),
        int(sizes[sizes > cap].sum()),
    )


def _assert_counted_in_order(levels: pd.DataFrame, got: tuple[np.ndarray, np.ndarray]) -> None:
    """The distinct level vectors in lexicographic order, as pandas counts them: EM's sums come out the same
    whatever order the pairs arrive in."""
    expected = levels.value_counts().sort_index()
    found, counts = got
    assert found.dtype == np.int64
    assert [tuple(int(v) for v in row) for row in found] == [tuple(int(v) for v in k) for k in expected.index]
    np.testing.assert_array_equal(counts, expected.to_numpy(np.float64))


def test_patterns_count_each_level_vector() -> None:
    rng = np.random.default_rng(5)
    n = 20_000
    levels = pd.DataFrame({f"cmp_{c}": (np.minimum(rng.geometric(0.5, n), 5) - 2).astype(np.int8) for c in "abcd"})
    levels["tf_a"] = "x"  # other columns are not read
    names = ["a", "b", "c", "d"]
    _assert_counted_in_order(levels[[f"cmp_{c}" for c in names]], _patterns(levels, names))
    rows = np.sort(rng.choice(n, 777, replace=False))
    _assert_counted_in_order(levels.iloc[rows][["cmp_c", "cmp_a"]], _patterns(levels, ["c", "a"], rows))
    found, counts = _patterns(levels, names, np.empty(0, dtype=np.int64))
    assert found.shape == (0, 4) and counts.size == 0


def test_patterns_too_wide_to_pack_are_still_counted() -> None:
    rng = np.random.default_rng(6)
    levels = pd.DataFrame({f"cmp_{c}": rng.integers(-1, 10**6, 5_000) for c in "abcd"})
    levels = pd.concat([levels, levels.iloc[:100]], ignore_index=True)  # some vectors twice
    _assert_counted_in_order(levels, _patterns(levels, ["a", "b", "c", "d"]))
