"""A run reads the settings it started with: prepare_run copies and validates them, every task reads the copies."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from devkit.generator import generate_sample
from transforms.pipeline import tasks
from transforms.pipeline.context import RunContext
from transforms.settings import SettingsError

pytestmark = pytest.mark.slow  # runs the first stages of a night: full lane only (make test)

QUALITY = "rules:\n  phone_invalid: {severity: info, tolerance: 1.0}\n"


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("snapshot_company")
    generate_sample(folder, customers=40, seed=3)
    (folder / "quality.yml").write_text(QUALITY, "utf-8")
    return folder


def _prepare(company: Path, data: Path, run_id: str = "r1") -> str:
    return tasks.prepare_run(
        sources=str(company / "sources.yml"),
        warehouse_url=f"duckdb:///{data / 'w.duckdb'}",
        as_of="2026-11-20",
        run_id=run_id,
        data_dir=str(data),
    )


def test_the_run_folder_holds_a_copy_of_every_settings_file_used(company: Path, tmp_path: Path) -> None:
    run_dir = Path(_prepare(company, tmp_path))
    copies = sorted(p.name for p in (run_dir / "settings").iterdir())
    assert copies == ["quality.yml", "snapshot.json", "sources.yml"]
    record = json.loads((run_dir / "settings" / "snapshot.json").read_text("utf-8"))
    assert record["sources_file"] == str((company / "sources.yml").resolve())
    assert [f["copied_from"] for f in record["files"]] == [
        str((company / n).resolve()) for n in ("sources.yml", "quality.yml")
    ]
    ctx = RunContext.load(run_dir)
    assert ctx.settings_file == str(run_dir / "settings" / "sources.yml")
    # Paths in the copied sources file still point at the company's files.
    assert all(Path(s.pattern).is_relative_to(company.resolve()) for s in ctx.load_sources().sources)


def test_a_retried_task_does_not_pick_up_an_edited_settings_file(company: Path, tmp_path: Path) -> None:
    edited = tmp_path / "company"
    shutil.copytree(company, edited)
    run_dir = _prepare(edited, tmp_path / "data")
    # Someone edits the files while the night runs: a typo in the sources file, a rule made critical.
    (edited / "sources.yml").write_text("sources:\n  - name: x\n    kidn: journal\n", "utf-8")
    (edited / "quality.yml").write_text("rules:\n  phone_invalid: {severity: critical, tolerance: 0.0}\n", "utf-8")
    tasks.extract(run_dir)
    tasks.standardize(run_dir)
    tasks.validate(run_dir)  # with the edited quality.yml, invalid phones would stop the night here
    manifest = json.loads((Path(run_dir) / "validate" / "manifest.json").read_text("utf-8"))
    assert manifest["settings"] == str(edited.resolve() / "quality.yml")  # named as the user knows it


def test_a_mistake_in_a_company_settings_file_stops_the_run_at_once_naming_it(company: Path, tmp_path: Path) -> None:
    broken = tmp_path / "company"
    shutil.copytree(company, broken)
    (broken / "linkage.yml").write_text("blockign: []\n", "utf-8")
    with pytest.raises(SettingsError) as caught:
        _prepare(broken, tmp_path / "data")
    assert str(broken.resolve() / "linkage.yml") in str(caught.value) and "blockign" in str(caught.value)
