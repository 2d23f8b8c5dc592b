"""Build a one-source sources file and its data file in a temporary folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from transforms.extract import FileReport, extract_sources
from transforms.settings import load_sources

Extract = Callable[..., list[FileReport]]


@pytest.fixture
def extract_one(tmp_path: Path) -> Extract:
    """Write ``sources`` (a list of source dicts) to sources.yml and extract them."""

    def run(sources: list[dict[str, Any]], **defaults: Any) -> list[FileReport]:
        doc: dict[str, Any] = {"sources": sources}
        if defaults:
            doc["defaults"] = defaults
        (tmp_path / "sources.yml").write_text(yaml.safe_dump(doc, allow_unicode=True), "utf-8")
        spec = load_sources(tmp_path / "sources.yml")
        return extract_sources(spec, tmp_path / "out")

    return run
