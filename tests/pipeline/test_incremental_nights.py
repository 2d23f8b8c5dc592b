"""The link stage's choice of night: after a published night, a night links only what changed; a full relink when
asked (--full), when the linkage settings changed or when the last full relink is too old, and the manifest and the
summary say which night it was and why. The models trained on a schedule (late-payment model, number of segments)
are kept from the published night and trained again when asked."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.support import PipelineRun, run_pipeline
from transforms.pipeline import tasks
from transforms.pipeline.catalog import RunCatalog
from transforms.pipeline.context import RunContext
from transforms.receivables.model_cache import model_folder

pytestmark = pytest.mark.slow  # runs whole nights: full lane only (make test)


@pytest.fixture(scope="module")
def first_night(sample_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> PipelineRun:
    """A published first night over a copy of the sample company (the tests add a linkage.yml beside it)."""
    sample = tmp_path_factory.mktemp("incr_company") / "company"
    shutil.copytree(sample_dir, sample)
    return run_pipeline(sample, tmp_path_factory.mktemp("incr_nights"), run_id="night_1")


def _link_night(first: PipelineRun, run_id: str, as_of: str, *, full: bool = False) -> dict[str, Any]:
    """A later night up to its link stage (not published: the first night stays the last one); its link manifest."""
    run_dir = tasks.prepare_run(
        sources=str(first.sample_dir / "sources.yml"),
        warehouse_url=first.warehouse_url,
        as_of=as_of,
        run_id=run_id,
        data_dir=str(first.data_dir),
        full_relink=full,
    )
    tasks.extract(run_dir)
    tasks.standardize(run_dir)
    tasks.link(run_dir)
    manifest: dict[str, Any] = RunCatalog(run_dir).manifest("link")
    return manifest


def _customers(run_dir: Path) -> pd.Series:
    links = RunCatalog(run_dir).read("link.customer_source_record", ["record_id", "customer_id"])
    return links.set_index("record_id")["customer_id"].sort_index()


def test_the_first_night_is_a_full_relink(first_night: PipelineRun) -> None:
    manifest = RunCatalog(first_night.run_dir).manifest("link")
    assert manifest["night"] == "full"
    assert "no earlier night" in manifest["night_reason"]
    state = RunCatalog(first_night.run_dir).read_json("link.state")
    assert state["last_full_as_of"] == "2026-11-20"


def test_the_next_night_links_only_what_changed(first_night: PipelineRun) -> None:
    manifest = _link_night(first_night, "night_2", "2026-11-21")
    assert manifest["night"] == "incremental", manifest["night_reason"]
    assert manifest["changed_records"] == 0
    assert manifest["candidate_pairs"] == 0
    second = first_night.data_dir / "runs" / "night_2"
    pd.testing.assert_series_equal(_customers(second), _customers(first_night.run_dir))
    state = RunCatalog(second).read_json("link.state")
    assert state["last_full_as_of"] == "2026-11-20"
    assert state["model_run_id"] == "night_1"


def test_a_full_relink_when_asked(first_night: PipelineRun) -> None:
    manifest = _link_night(first_night, "night_2_full", "2026-11-21", full=True)
    assert manifest["night"] == "full"
    assert "--full" in manifest["night_reason"]
    assert manifest["candidate_pairs"] > 0


def test_a_full_relink_when_the_last_one_is_a_week_old(first_night: PipelineRun) -> None:
    manifest = _link_night(first_night, "night_8", "2026-11-27")
    assert manifest["night"] == "full"
    assert "7 days old" in manifest["night_reason"]


def test_a_full_relink_when_the_linkage_settings_change(first_night: PipelineRun) -> None:
    settings = first_night.sample_dir / "linkage.yml"
    settings.write_text("thresholds:\n  match: 0.96\n", "utf-8")
    try:
        manifest = _link_night(first_night, "night_2_settings", "2026-11-21")
    finally:
        settings.unlink()
    assert manifest["night"] == "full"
    assert "settings changed" in manifest["night_reason"]


def _models_night(first: PipelineRun, run_id: str, *, full: bool = False) -> RunCatalog:
    """The night after the first, up to its segments (not published); its run catalog."""
    _link_night(first, run_id, "2026-11-21", full=full)
    run_dir = first.data_dir / "runs" / run_id
    tasks.receivables(str(run_dir))
    tasks.segments(str(run_dir))
    return RunCatalog(run_dir)


def test_the_published_night_s_models_are_kept_for_the_next(first_night: PipelineRun) -> None:
    first = RunContext.load(first_night.run_dir)
    folder = model_folder(first_night.data_dir / "cache", sources=first.sources, warehouse_url=first.warehouse_url)
    assert folder == first.late_payment_models
    assert [p.name for p in folder.glob("*.pkl")] == ["2026-11-20.pkl"]  # kept by publish
    assert RunCatalog(first_night.run_dir).manifest("receivables")["model"]["trained_tonight"]

    run = _models_night(first_night, "night_2_models")
    model = run.manifest("receivables")["model"]
    assert not model["trained_tonight"], model["training"]
    assert model["trained_as_of"] == "2026-11-20"
    assert not run.path("receivables.trained_model").exists()  # nothing new to keep
    segments = run.manifest("segments")
    assert not segments["k_chosen_tonight"], segments["k_choice"]
    assert segments["k_chosen_on"] == "2026-11-20"
    assert "Trained as of 2026-11-20 (run night_1) and kept" in run.path("receivables.model_page").read_text("utf-8")


def test_the_models_are_trained_again_when_asked(first_night: PipelineRun) -> None:
    run = _models_night(first_night, "night_2_models_full", full=True)
    model = run.manifest("receivables")["model"]
    assert model["trained_tonight"] and "--full" in model["training"]
    assert run.path("receivables.trained_model").exists()  # kept once the night is published
    segments = run.manifest("segments")
    assert segments["k_chosen_tonight"] and "--full" in segments["k_choice"]
