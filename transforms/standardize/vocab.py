"""Coded values (sex, yes/no, document type) in many languages, from the bundled vocabulary file."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import yaml

from transforms.standardize.text import fold_label


def _fold(value: str) -> str:
    return fold_label(value, strip=" .")


@lru_cache(maxsize=1)
def _vocab() -> dict[str, dict[str, str]]:
    raw = yaml.safe_load(resources.files("transforms.standardize").joinpath("data/values.yml").read_text("utf-8"))
    sex = {_fold(str(w)): code for code, words in raw["sex"].items() for w in words}
    flags = {_fold(str(w)): "true" for w in raw["affirmative"]} | {_fold(str(w)): "false" for w in raw["negative"]}
    docs = {_fold(str(w)): "credit_note" for w in raw["credit_note"]} | {
        _fold(str(w)): "invoice" for w in raw["invoice"]
    }
    return {"sex": sex, "flag": flags, "document_type": docs}


def code_sex(value: str | None) -> str | None:
    """'F', 'M' or None for a written sex."""
    return None if value is None else _vocab()["sex"].get(_fold(value))


def code_flag(value: str | None) -> bool | None:
    """True/False for a written yes/no, None when it is neither."""
    if value is None:
        return None
    coded = _vocab()["flag"].get(_fold(value))
    return None if coded is None else coded == "true"


def code_document_type(value: str | None) -> str | None:
    """'invoice' or 'credit_note' for a written document type."""
    return None if value is None else _vocab()["document_type"].get(_fold(value))
