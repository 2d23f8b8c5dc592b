"""Term frequencies as a company grows: a value left out of the saved table is no rarer than the most common one
left out, never taken as held by one record."""

from __future__ import annotations

import pandas as pd

from transforms.linkage.model import term_frequencies
from transforms.linkage.prepare import LINKABLE
from transforms.linkage.settings import Comparison

SURNAME = Comparison(name="surname", kind="name", column="surname_key", term_frequency=True)


def _prepared(values: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"surname_key": values, LINKABLE: True})


def test_a_value_left_out_counts_as_common_as_the_most_common_left_out() -> None:
    # 12 records; the table keeps the most common value only: "kowalski", held by 3, and "lis", by 1, are left out.
    values = ["nowak"] * 5 + ["kowalski"] * 3 + ["wojcik"] * 3 + ["lis"]
    table, other = term_frequencies(_prepared(values), SURNAME, 1)
    assert table == {"nowak": 5 / 12}
    assert other == 3 / 12


def test_when_every_shared_value_is_kept_the_others_are_held_by_one_record() -> None:
    values = ["nowak"] * 5 + ["kowalski"] * 3 + ["lis", "mazur"]
    table, other = term_frequencies(_prepared(values), SURNAME, 2)
    assert set(table) == {"nowak", "kowalski"}
    assert other == 1 / 10
