"""Independent, reproducible random streams named after what they drive.

Each stage draws from its own stream (``numpy_rng(seed, "people")``, ``python_rng(seed, "call_log", 3)``),
so adding a draw to one stage never shifts the random numbers of another: a change to the visits journal
does not reshuffle every manager's workbook. Names are hashed with CRC-32, not ``hash()``, which Python
salts per process.
"""

from __future__ import annotations

import random
import zlib

import numpy as np

_MASK = (1 << 63) - 1


def _entropy(seed: int, names: tuple[str | int, ...]) -> list[int]:
    return [seed & _MASK] + [n & _MASK if isinstance(n, int) else zlib.crc32(n.encode("utf-8")) for n in names]


def numpy_rng(seed: int, *names: str | int) -> np.random.Generator:
    """A numpy generator for vectorized draws, unique to (seed, names)."""
    return np.random.default_rng(np.random.SeedSequence(_entropy(seed, names)))


def python_rng(seed: int, *names: str | int) -> random.Random:
    """A ``random.Random`` for per-row decisions in writing loops, unique to (seed, names)."""
    state = np.random.SeedSequence(_entropy(seed, names)).generate_state(2, dtype=np.uint64)
    return random.Random(int(state[0]) << 64 | int(state[1]))
