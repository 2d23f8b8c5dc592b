"""Name-only records (a person's name and nothing else to identify them) join the one customer carrying their full
name when that name is rare enough; a name two customers carry, or a common one, leaves them alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from transforms.linkage import load_linkage_settings
from transforms.linkage.model import ComparisonParams, FittedModel
from transforms.linkage.name_only import name_only_joins
from transforms.linkage.prepare import LINKABLE
from transforms.linkage.settings import LinkageSettings
from transforms.settings.errors import SettingsError

MODEL = FittedModel(
    comparisons=[ComparisonParams(name="name", labels=["different", "equal"], m=[0.3, 0.7], u=[0.99, 0.01])],
    prior=1e-4,
)


def _company(extra: list[tuple[str, str, bool, int]]) -> tuple[pd.DataFrame, np.ndarray]:
    """150 customers of two records and 50 of one, each with a name of its own (two names carried by two
    customers each, as in any company), then ``extra`` records (given, surname, linkable, customer label)."""
    rows: list[tuple[str, str, bool, int]] = []
    for c in range(200):
        given, surname = f"given{c}", f"surname{c}"
        if c in (1, 3):  # namesakes: customers 0/1 and 2/3 carry one name each
            given, surname = f"given{c - 1}", f"surname{c - 1}"
        rows += [(given, surname, True, c)] * (2 if c < 150 else 1)
    rows += extra
    frame = pd.DataFrame(rows, columns=["given_key", "surname_key", LINKABLE, "label"])
    return frame.drop(columns="label"), frame["label"].to_numpy(np.int64)


def _joined(extra: list[tuple[str, str, bool, int]], settings: LinkageSettings | None = None) -> dict[int, int]:
    prepared, labels = _company(extra)
    joins = name_only_joins(prepared, labels, MODEL, settings or load_linkage_settings(None))
    return dict(zip(joins.records.tolist(), joins.labels.tolist(), strict=True))


def test_a_rare_name_joins_the_one_customer_carrying_it_in_either_order() -> None:
    first = 350
    joined = _joined([("given7", "surname7", False, 1000), ("surname9", "given9", False, 1001)])
    assert joined == {first: 7, first + 1: 9}


def test_a_name_two_customers_carry_stays_alone() -> None:
    assert _joined([("given0", "surname0", False, 1000)]) == {}


def test_a_common_name_stays_alone_though_one_customer_carries_it() -> None:
    # "anna" and "nowak" are each in 40 customers' names; one of them is "anna nowak".
    common = [("anna", f"x{c}", True, 300 + c) for c in range(40)] + [
        (f"y{c}", "nowak", True, 400 + c) for c in range(39)
    ]
    common += [("anna", "nowak", True, 500), ("anna", "nowak", False, 1000)]
    assert _joined(common) == {}


def test_an_initial_names_no_one() -> None:
    assert _joined([("g", "surname7", False, 1000)]) == {}


def test_the_setting_turns_it_off() -> None:
    settings = load_linkage_settings(None)
    off = settings.model_copy(update={"name_only": settings.name_only.model_copy(update={"link": False})})
    assert _joined([("given7", "surname7", False, 1000)], off) == {}


def test_the_name_comparison_must_be_a_person_name(tmp_path: Path) -> None:
    (tmp_path / "sources.yml").write_text("sources: []\n")
    (tmp_path / "linkage.yml").write_text("name_only: {comparison: phone}\n")
    with pytest.raises(SettingsError, match=r"name_only\.comparison"):
        load_linkage_settings(tmp_path / "sources.yml")


def test_settings_without_a_whole_name_comparison_leave_name_only_records_alone() -> None:
    settings = load_linkage_settings(None)
    phone_only = settings.model_copy(update={"comparisons": [settings.comparison("phone")], "conflicts": []})
    assert not phone_only.joins_name_only
    assert _joined([("given7", "surname7", False, 1000)], phone_only) == {}
