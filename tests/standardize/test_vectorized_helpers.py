"""The column helpers: index kept, missing values passed through, each distinct value computed once."""

import datetime as dt
import os
import time

import numpy as np
import pandas as pd
import pytest

from transforms.standardize import map_unique, name_key, parse_dates, standardize_emails, standardize_phones, vectorize


def test_map_unique_computes_each_distinct_value_once() -> None:
    seen: list[object] = []

    def key(value: object) -> str | None:
        seen.append(value)
        return None if value is None else name_key(str(value))

    values = pd.Series(["Iwanow", "Ivanov", None, "Iwanow", float("nan")], index=list("abcde"))
    keys = map_unique(values, key)
    assert keys.tolist() == ["ivanov", "ivanov", None, "ivanov", None]
    assert list(keys.index) == list("abcde")
    assert seen == ["Iwanow", "Ivanov", None]


def test_empty_columns() -> None:
    empty = pd.Series([], dtype=object)
    assert standardize_phones(empty, "PL").shape == (0, 2)
    assert standardize_emails(empty).shape == (0, 3)
    assert parse_dates(empty).shape == (0, 2)


def test_unhashable_cells_are_read_as_their_text() -> None:
    values = pd.Series([[730044435], "601 234 567", None], dtype=object)  # a list parsed from a JSON line
    frame = standardize_phones(values, "PL")
    assert frame["phone_e164"].tolist() == ["+48730044435", "+48601234567", None]


def test_per_row_settings_are_aligned_on_the_index() -> None:
    values = pd.Series(["7911123456", "601234567"], index=[10, 20])
    regions = pd.Series(["PL", "GB"], index=[20, 10])  # same rows, another order
    frame = standardize_phones(values, regions)
    assert frame["phone_e164"].tolist() == ["+447911123456", "+48601234567"]


def test_inputs_are_not_modified() -> None:
    values = pd.Series([" 601 234 567 ", None])
    before = values.copy()
    standardize_phones(values, "PL")
    standardize_emails(values)
    pd.testing.assert_series_equal(values, before)


def test_a_million_repetitive_dates_take_seconds() -> None:
    distinct = pd.Series([f"{d:02d}.{m:02d}.{y}" for d in range(1, 29) for m in range(1, 13) for y in (1970, 1985)])
    values = pd.Series(np.resize(distinct.to_numpy(dtype=object), 1_000_000))
    started = time.perf_counter()
    frame = parse_dates(values, order="DMY")
    assert time.perf_counter() - started < 10
    assert frame["issue"].isna().all()
    assert frame["date"].iloc[-1] == dt.datetime.strptime(str(values.iloc[-1]), "%d.%m.%Y").date()


def _shout(value: object) -> str | None:
    return None if value is None else f"{value}!".upper()


def test_values_shared_among_processes_come_back_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vectorize, "PARALLEL_VALUES", 10)
    values = pd.Series([f"name {i % 997}" for i in range(5_000)] + [None, "ŁÓDŹ", "صادق"])
    alone = map_unique(values, _shout)
    for processes in (2, 3):
        shared = map_unique(values, _shout, processes=processes)
        pd.testing.assert_series_equal(shared, alone)
    assert vectorize.apply_each(str.upper, ["a", "b"], processes=2) == ["A", "B"]  # too few to share
    # The shares are worked out by as many processes, this one doing the first.
    workers = vectorize.apply_each(lambda _: os.getpid(), list(range(90)), processes=3)
    assert len(set(workers)) == 3 and workers[0] == os.getpid()
    assert workers == sorted(workers, key=workers.index)  # each process's share is one run of values


def test_a_failure_in_another_process_is_raised_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vectorize, "PARALLEL_VALUES", 10)

    def fails_late(value: int) -> int:
        if value == 95:
            raise ValueError(f"cannot read {value}")
        return value

    with pytest.raises(ValueError, match="cannot read 95"):
        vectorize.apply_each(fails_late, list(range(100)), processes=2)

    class UnpicklableError(Exception):
        def __reduce__(self) -> str | tuple[object, ...]:
            raise TypeError("not picklable")

    def fails_oddly(value: int) -> int:
        if value == 90:
            raise UnpicklableError("odd")
        return value

    with pytest.raises(RuntimeError, match="UnpicklableError: odd"):
        vectorize.apply_each(fails_oddly, list(range(100)), processes=2)
    assert vectorize.apply_each(lambda v: v * 2, list(range(100)), processes=2) == [v * 2 for v in range(100)]
