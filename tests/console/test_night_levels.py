"""The console reads each review pair's comparison levels from the night's run folder, beside the published table."""

from __future__ import annotations

import pandas as pd

from tests.support import PipelineRun
from transforms.console.queue import comparisons, load_night_model
from transforms.pipeline.catalog import RunCatalog


def test_every_review_pair_of_a_night_has_its_comparisons_in_words(pipeline_run: PipelineRun) -> None:
    night = load_night_model(pipeline_run.data_dir, pipeline_run.run_dir.name)
    review = pd.read_parquet(RunCatalog(pipeline_run.run_dir).path("link.match_review"))
    assert night is not None and len(review)
    assert not [c for c in review.columns if c.startswith("cmp_")]  # the published table keeps its own columns
    for pair in review.to_dict("records"):
        said = comparisons(pair, night)
        assert said and any(not c["missing"] for c in said), pair
