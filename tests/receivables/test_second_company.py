"""The class from the whole history on a company the project did not write (../shared/datasets/second_company).

Its accounting alone, per accounting code, against the truth's payment_class (the customers' true behaviour),
with the median rule's figure beside it; and the backtest against the following quarter.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from devkit.scoring.backtest import backtest
from transforms.receivables.ledger import settle
from transforms.receivables.reliability import Assessment, assess
from transforms.receivables.settings import load_reliability_file
from transforms.settings import load_sources

CONFIG = Path(__file__).resolve().parents[1] / "data" / "second_company"
AS_OF = dt.date(2026, 11, 20)
#: Logical fields of the sources file -> the columns the ledger reads.
LEDGER_NAMES = {"issue_date": "issued_on", "due_date": "due_on", "payment_date": "paid_on"}


def _read(kind: str) -> pd.DataFrame:
    """The company's file of ``kind`` with its columns named as sources.yml maps them."""
    spec = next(s for s in load_sources(CONFIG / "sources.yml").sources if s.kind == kind)
    path = (CONFIG / spec.path).resolve()
    if not path.exists():
        pytest.skip(f"the shared second company is not on this machine ({path})")
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=spec.encoding or "utf-8")
    columns = {k: LEDGER_NAMES.get(v, v) for k, v in spec.columns.items() if not v.startswith("attributes.")}
    return raw[list(columns)].rename(columns=columns).replace("", None)


@pytest.fixture(scope="module")
def files() -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """Invoices, payments, and the true class of each accounting code."""
    invoices, payments = _read("invoices"), _read("payments")
    spec = next(s for s in load_sources(CONFIG / "sources.yml").sources if s.kind == "invoices")
    truth_file = (CONFIG / spec.path).resolve().parents[1] / "truth" / "customers_truth.csv"
    truth = pd.read_csv(truth_file, keep_default_na=False, usecols=["payment_class", "accounting_codes"])
    truth = truth[truth["accounting_codes"] != ""].assign(code=lambda f: f["accounting_codes"].str.split(";"))
    return invoices, payments, truth.explode("code").set_index("code")["payment_class"]


@pytest.fixture(scope="module")
def assessed(
    files: tuple[pd.DataFrame, pd.DataFrame, pd.Series], tmp_path_factory: pytest.TempPathFactory
) -> Assessment:
    invoices, payments, _ = files
    return assess(
        invoices,
        payments,
        pd.DataFrame({"record_id": [], "source_kind": [], "customer_code": []}),
        None,
        as_of=AS_OF,
        run_id="second_company",
        settings=load_reliability_file(CONFIG / "reliability.yml"),
        base_currency="PLN",
        ledger=tmp_path_factory.mktemp("ledger"),
    )


def test_class_per_accounting_code_against_the_true_behaviour(
    files: tuple[pd.DataFrame, pd.DataFrame, pd.Series], assessed: Assessment
) -> None:
    accounts = assessed.accounts.assign(truth=lambda f: f["customer_code"].map(files[2]))
    due = accounts[accounts["invoices_due"] > 0]
    assert len(due) > 2500 and due["truth"].notna().all()
    history = float((due["reliability_class"] == due["truth"]).mean())
    median_rule = float((due["median_rule_class"] == due["truth"]).mean())
    # Reached 0.9715 (the median rule: 0.9510).
    assert history >= 0.97, history
    assert history >= median_rule + 0.015, (history, median_rule)
    sure = due[due["class_certainty"] == "sure"]
    assert len(sure) > 0.7 * len(due)
    assert (sure["reliability_class"] == sure["truth"]).mean() >= 0.995
    assert due["class_probability"].between(0.25, 1).all()
    assert accounts.loc[accounts["invoices_due"] == 0, "class_certainty"].isna().all()


def test_every_class_comes_with_its_reason(assessed: Assessment) -> None:
    rows = assessed.accounts[assessed.accounts["invoices_due"] > 0]
    reason = rows["reliability_reason"]
    assert reason.str.match(r"^\d+ invoices? due: ").all()
    shown = rows["reliability_class"].str.replace("_", " ")
    assert all(s in r for s, r in zip(shown, reason, strict=True))
    differs = rows["reliability_class"] != rows["median_rule_class"]
    assert reason[differs].str.contains("the median alone would say").all()
    assert reason[rows["class_certainty"] == "uncertain"].str.contains("uncertain").all()


def test_backtest_the_class_predicts_the_next_quarter_better_than_the_median(
    files: tuple[pd.DataFrame, pd.DataFrame, pd.Series],
) -> None:
    invoices, payments, _ = files
    ledger = settle(invoices, payments, as_of=AS_OF)
    result = backtest(
        ledger.invoices, ledger.payments, as_of=AS_OF, settings=load_reliability_file(CONFIG / "reliability.yml")
    )
    assert len(result) == 4 and (result["codes"] > 900).all()
    # Measured: codes right 0.890 against 0.876, invoices in the promised band 0.880 against 0.869 (means).
    assert (result["history_codes_right"] >= result["median_rule_codes_right"]).all()
    assert result["history_codes_right"].mean() >= result["median_rule_codes_right"].mean() + 0.008
    assert result["history_invoices_in_band"].mean() >= result["median_rule_invoices_in_band"].mean() + 0.006
