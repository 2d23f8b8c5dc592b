"""The class from the whole history on small known cases, and its settings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from transforms.receivables.history_class import (
    Evidence,
    class_index,
    classify_history,
    fit_patterns,
    label_names,
)
from transforms.receivables.settings import Classes, ReliabilitySettings

POLICY = Classes(
    on_time_max_median_days_late=0, slight_delay_max_median_days_late=15, significant_delay_max_median_days_late=90
)
#: Each customer's invoices due: days from due when paid, ("open", days past due) when not.
CUSTOMERS: dict[str, list[float | tuple[str, float]]] = {
    "punctual with one disputed invoice": [-5, -4, -6, -3, -5, -2, 45],
    "pays some late, never pays others": [25, 30, 40, ("open", 150), ("open", 200), ("open", 260)],
    "punctual, one invoice three days over": [-2, 3, -4],
    "steady slight delay": [5, 8, 10, 12, 7],
    "a single invoice": [2],
}


def _evidence(customers: dict[str, list[float | tuple[str, float]]]) -> Evidence:
    rows = []
    for key, invoices in enumerate(customers.values()):
        for i, inv in enumerate(invoices):
            paid = not isinstance(inv, tuple)
            days = float(inv if not isinstance(inv, tuple) else inv[1])
            rows.append({"key": key, "paid": paid, "part_paid": False, "days": days, "age": 30.0 * (i + 1)})
    return Evidence.from_frame(pd.DataFrame(rows), len(customers))


def _median_rule(customers: dict[str, list[float | tuple[str, float]]]) -> list[str]:
    out = []
    for invoices in customers.values():
        late = np.median([max(x if not isinstance(x, tuple) else x[1], 0) for x in invoices])
        out.append(
            "on_time"
            if late <= 0
            else "slight_delay"
            if late <= 15
            else "significant_delay"
            if late <= 90
            else "non_payer"
        )
    return out


def test_known_customers_get_the_class_a_credit_controller_would_give() -> None:
    ev = _evidence(CUSTOMERS)
    patterns = fit_patterns(ev, class_index(_median_rule(CUSTOMERS)), POLICY)
    result = classify_history(ev, patterns, POLICY)
    got = dict(zip(CUSTOMERS, label_names(result.label), strict=True))
    assert got == {
        "punctual with one disputed invoice": "on_time",
        "pays some late, never pays others": "non_payer",
        "punctual, one invoice three days over": "on_time",
        "steady slight delay": "slight_delay",
        "a single invoice": got["a single invoice"],
    }
    certainty = dict(zip(CUSTOMERS, result.certainty, strict=True))
    assert certainty["a single invoice"] == "uncertain"
    assert certainty["punctual with one disputed invoice"] == "sure"
    assert ((result.probability > 0.25) & (result.probability <= 1)).all()


def test_nothing_due_is_no_history() -> None:
    ev = Evidence.from_frame(
        pd.DataFrame({"key": [0], "paid": [True], "part_paid": [False], "days": [-1.0], "age": [10.0]}), 2
    )
    result = classify_history(ev, fit_patterns(ev, np.array([0, -1]), POLICY), POLICY)
    assert list(label_names(result.label)) == ["on_time", "no_history"]
    assert list(result.certainty) == ["uncertain", ""]


@pytest.mark.parametrize(
    ("history", "key"),
    [({"min_probability": 2}, "min_probability"), ({"min_invoices": 0}, "min_invoices"), ({"halflife": 3}, "halflife")],
)
def test_a_bad_history_setting_names_its_key(history: dict[str, object], key: str) -> None:
    with pytest.raises(ValidationError) as err:
        ReliabilitySettings.model_validate({"classes": {"history": history}})
    assert f"classes.history.{key}" in str(err.value).replace("\n", ".")


def test_the_method_is_history_or_median() -> None:
    assert ReliabilitySettings().classes.method == "history"
    with pytest.raises(ValidationError, match="method"):
        ReliabilitySettings.model_validate({"classes": {"method": "mean"}})
