"""A file's name in every row's lineage (and so in every row's id) is its path relative to the sources file, even
for a file outside the sources file's folder: moving or mounting the whole tree elsewhere changes no record id."""

from __future__ import annotations

import shutil
from pathlib import Path

from transforms.extract.files import resolve_files
from transforms.settings.sources import SourceSpec


def _spec(base: Path) -> SourceSpec:
    return SourceSpec(
        name="calls",
        kind="journal",
        path="../company/journals/calls.csv",
        columns={"name": "full_name"},
        base_dir=str(base),
    )


def _tree(root: Path) -> SourceSpec:
    (root / "company" / "journals").mkdir(parents=True)
    (root / "company" / "journals" / "calls.csv").write_text("name\nAnna\n", "utf-8")
    (root / "settings").mkdir()
    return _spec(root / "settings")


def test_a_file_outside_the_sources_folder_is_named_relative_to_it(tmp_path: Path) -> None:
    (found,) = resolve_files(_tree(tmp_path))
    assert found.display == "../company/journals/calls.csv"
    assert found.path.is_file()


def test_the_same_tree_elsewhere_names_its_files_the_same(tmp_path: Path) -> None:
    first = resolve_files(_tree(tmp_path / "here"))
    shutil.copytree(tmp_path / "here", tmp_path / "elsewhere" / "deeper")
    moved = _spec(tmp_path / "elsewhere" / "deeper" / "settings")
    assert [f.display for f in resolve_files(moved)] == [f.display for f in first]
