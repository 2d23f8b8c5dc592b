"""Loading of the small hand tables bundled in ``data/``.

The tables are package data so that a company can read, review and extend them without touching code; they are
read once per process through importlib.resources (works from a wheel or a zip as well as from a checkout).
"""

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


def string_list(values: object, where: str) -> list[str]:
    """``values`` as a list of strings, refusing what YAML silently turned into something else.

    YAML reads unquoted ``no``, ``null`` or ``0`` as a bool, None or int; in a list of markers that would be a
    silent change of meaning, so the data files quote such entries and this check keeps them honest.
    """
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValueError(f"{where}: expected a list of quoted strings, got {values!r}")
    return list(values)
