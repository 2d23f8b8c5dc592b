"""The benchmark's score of a night's segments against the hidden profiles, through the real linkage."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from devkit.bench.segments_probe import profile_agreement
from tests.support import PipelineRun

pytestmark = pytest.mark.slow  # runs a whole night: full lane only (make test)


def test_profile_agreement_scores_the_published_segments(segmented_run: PipelineRun, tmp_path: Path) -> None:
    run_dir, sample = segmented_run.run_dir, segmented_run.sample_dir
    score = profile_agreement(run_dir, sample)
    assert 0.2 < score <= 1.0  # a 1,000-customer company: the segments follow the profiles, not chance
    shutil.copytree(run_dir / "link", tmp_path / "link")
    segments = pd.read_parquet(run_dir / "segments" / "customer_segment.parquet")
    shuffled = segments.assign(segment_id=segments["segment_id"].sample(frac=1, random_state=0).to_numpy())
    (tmp_path / "segments").mkdir()
    shuffled.to_parquet(tmp_path / "segments" / "customer_segment.parquet")
    assert abs(profile_agreement(tmp_path, sample)) < 0.05  # segments dealt at random agree with nothing
