"""Row hashes: one per row, equal for equal rows only, the same whatever the pieces the rows are hashed in."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from transforms import row_hash
from transforms.row_hash import row_hashes


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "name": ["Anna", "Anna", None, "Иван", "Anna"],
            "phone": ["+48600100200", "+48600100200", "+48600100200", None, "+48600100201"],
            "row": [1, 1, 2, 3, 4],
            "when": [dt.date(2026, 1, 1)] * 5,
        }
    )


def test_equal_rows_hash_alike_and_others_apart() -> None:
    got = row_hashes(dict(_frame().items()))
    assert got.dtype == np.uint64 and len(got) == 5
    assert got[0] == got[1]
    assert len(set(got.tolist())) == 4
    # The same rows in another order: the same hashes, in that order.
    again = row_hashes({c: s.iloc[::-1].reset_index(drop=True) for c, s in _frame().items()})
    assert again[::-1].tolist() == got.tolist()


def test_a_column_of_text_and_numbers_is_hashed_as_text() -> None:
    mixed = pd.Series(["12", 12, None, "x"], dtype="object")
    got = row_hashes({"value": mixed})
    assert len(got) == 4 and got[0] == got[1]  # 12 typed as a number reads as the text "12"


def test_pieces_do_not_change_the_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    frame = pd.concat([_frame()] * 7, ignore_index=True)
    whole = row_hashes(dict(frame.items()))
    monkeypatch.setattr(row_hash, "_PIECE_ROWS", 3)
    assert row_hashes(dict(frame.items())).tolist() == whole.tolist()
    assert row_hashes({"name": frame["name"].iloc[:0]}).tolist() == []
    # A column of text and numbers: the same value hashes alike whatever else its piece holds.
    mixed = pd.Series(["12", 12, 12, 13, 12.5, 12], dtype="object")
    alone = row_hashes({"value": mixed})
    assert alone[1] == alone[2] == alone[5] == alone[0]
    monkeypatch.setattr(row_hash, "_PIECE_ROWS", 2)
    assert row_hashes({"value": mixed}).tolist() == alone.tolist()
