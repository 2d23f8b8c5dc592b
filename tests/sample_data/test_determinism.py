"""Same seed and size give byte-identical files (xlsx included); another seed gives other data."""

from __future__ import annotations

import pytest
import hashlib
import os
import subprocess
import sys
from pathlib import Path

from devkit.generator import generate_sample

pytestmark = pytest.mark.slow  # generates companies in fresh interpreters: full lane only (make test)


def _digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    a = generate_sample(tmp_path / "a", customers=200, seed=11)
    b = generate_sample(tmp_path / "b", customers=200, seed=11)
    da, db = _digests(a.out_dir), _digests(b.out_dir)
    assert da.keys() == db.keys()
    differing = [name for name in da if da[name] != db[name]]
    assert not differing, f"files differ between two runs with the same seed: {differing}"
    assert any(name.endswith(".xlsx") for name in da)
    assert a.rows_per_file == b.rows_per_file


def test_other_seed_other_data(tmp_path: Path) -> None:
    a = generate_sample(tmp_path / "a", customers=200, seed=11)
    c = generate_sample(tmp_path / "c", customers=200, seed=12)
    da, dc = _digests(a.out_dir), _digests(c.out_dir)
    same = [n for n in da if n.endswith((".csv", ".jsonl", ".xlsx")) and da[n] == dc.get(n)]
    assert not same, f"a different seed produced identical files: {same}"


def test_default_as_of_is_fixed_not_today(tmp_path: Path) -> None:
    s = generate_sample(tmp_path / "a", customers=50, seed=1)
    assert s.as_of.isoformat() == "2026-11-20"


def test_same_bytes_across_processes_with_different_hash_seeds(tmp_path: Path) -> None:
    """Set and dict iteration must not leak into the data: Python salts str hashes per process."""
    script = (
        "import sys; from devkit.generator import generate_sample; "
        "generate_sample(sys.argv[1], customers=150, seed=3)"
    )
    digests = []
    for hash_seed in ("1", "2"):
        out = tmp_path / f"h{hash_seed}"
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run([sys.executable, "-c", script, str(out)], check=True, env=env, timeout=300)
        digests.append(_digests(out))
    differing = [name for name in digests[0] if digests[0][name] != digests[1].get(name)]
    assert not differing, f"output depends on the process's hash seed: {differing}"
