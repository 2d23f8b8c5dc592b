"""Rows ordered by Arrow's ranks of their texts come out as pandas' own sort of the Python strings."""

from __future__ import annotations

import numpy as np
import pandas as pd

from transforms.text_order import sorted_by_text, text_rank

TEXTS = ["CUST-0000010", "CUST-0000002", "Żaneta", "Zofia", "Ärger", "b", "B", "", "Иван", "محمد", "王伟", "a b", "ab"]


def test_ranks_order_texts_as_python_does_missing_last() -> None:
    values = pd.Series([*TEXTS, None, "Zofia"], dtype="object")
    rank = text_rank(values)
    present = sorted(set(TEXTS))
    assert rank[:-2].tolist() == [present.index(t) for t in TEXTS]
    assert rank[-2] == len(present)  # missing: after every text
    assert rank[-1] == rank[TEXTS.index("Zofia")]  # equal texts, one rank


def test_sorted_by_text_is_pandas_stable_sort() -> None:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "customer_id": rng.choice(TEXTS[:5], 400),
            "field": rng.choice(TEXTS[5:], 400),
            "row": np.arange(400),  # shows the order kept among equal keys
        }
    )
    want = frame.sort_values(["customer_id", "field"], kind="stable", ignore_index=True)
    pd.testing.assert_frame_equal(sorted_by_text(frame, ["customer_id", "field"]), want)
    pd.testing.assert_frame_equal(sorted_by_text(frame.iloc[:1], ["customer_id"]), frame.iloc[:1])
