"""Loading of the tables bundled in ``data/`` (read once per process, through importlib.resources)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml


@cache
def load_table(name: str) -> Any:
    """The parsed YAML file ``data/<name>``; cached, so callers must treat it as read-only."""
    text = resources.files(__package__).joinpath("data").joinpath(name).read_text(encoding="utf-8")
    return yaml.safe_load(text)
