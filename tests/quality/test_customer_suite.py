"""The consolidated-customer suite on golden records: mandatory fields and formats, like dq.failure/dq.metric."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pandas as pd
import pytest

from transforms.quality.columns import FAILURE_COLUMNS, METRIC_COLUMNS
from transforms.quality.customer_suite import customer_frame, customer_suite_failures
from transforms.quality.runner import run_quality
from transforms.quality.settings import load_quality_settings

AS_OF = dt.date(2026, 11, 20)
BASE: dict[str, Any] = {
    "given_name": "Jan",
    "surname": "Kowalski",
    "date_of_birth": dt.date(1980, 1, 2),
    "phone_e164": "+48601234567",
    "email": "jan@wp.pl",
    "company": None,
    "tax_id": None,
    "account_manager": "Anna",
    "last_updated_on": dt.date(2026, 1, 1),
    "as_of": AS_OF,
    "run_id": "night",
}


def _customers() -> pd.DataFrame:
    rows: list[dict[str, Any]] = [
        {},  # CUST-1 clean
        {"surname": None},  # CUST-2
        {"phone_e164": None, "email": None},  # CUST-3 no way to reach
        {"date_of_birth": None, "company": "PHU Lux", "tax_id": "5559682348"},  # CUST-4 company: bad NIP, DOB exempt
        {"email": "jan@@wp", "account_manager": None},  # CUST-5 bad e-mail, nobody responsible
        {"date_of_birth": dt.date(1890, 5, 1), "last_updated_on": dt.date(2020, 1, 1)},  # CUST-6
        {"phone_e164": "601234567"},  # CUST-7 not E.164
    ]
    return pd.DataFrame([{**BASE, "customer_id": f"CUST-{n}", **r} for n, r in enumerate(rows, start=1)][::-1])


def test_failures_and_metrics_are_shaped_like_dq_tables() -> None:
    failures, metrics = customer_suite_failures(_customers(), load_quality_settings())
    assert list(failures.columns) == FAILURE_COLUMNS and list(metrics.columns) == METRIC_COLUMNS
    got = sorted(zip(failures["record_id"], failures["row_number"], failures["rule"], failures["field"], strict=True))
    assert got == [
        ("CUST-2", 2, "mandatory_field_missing", "surname"),
        ("CUST-3", 3, "mandatory_field_missing", "phone_or_email"),
        ("CUST-4", 4, "tax_id_checksum", "tax_id"),
        ("CUST-5", 5, "email_format", "email"),
        ("CUST-6", 6, "dob_impossible", "date_of_birth"),
        ("CUST-6", 6, "stale_record", "last_updated"),
        ("CUST-7", 7, "phone_format", "phone"),
    ]
    assert set(failures["source_name"]) == {"core.customer"}
    assert failures.set_index("record_id").loc["CUST-5", "responsible"] == "unassigned"
    assert set(failures["run_id"]) == {"night"} and set(failures["as_of"]) == {AS_OF}
    dob = metrics[(metrics["rule"] == "mandatory_field_missing") & (metrics["field"] == "date_of_birth")]
    assert int(dob["checked"].sum()) == 6  # the company is not asked for a date of birth
    counted = failures.groupby(["field", "rule", "responsible"]).size()
    totals = metrics.set_index(["field", "rule", "responsible"])["failed"]
    assert counted.sort_index().equals(totals[totals > 0].sort_index().astype(counted.dtype))


def test_same_verdicts_as_great_expectations() -> None:
    settings = load_quality_settings()
    failures, _ = customer_suite_failures(_customers(), settings, as_of=AS_OF, run_id="night")
    gx = run_quality({"customer": customer_frame(_customers(), settings)}, settings=settings, as_of=AS_OF, run_id="n")
    key = ["row_number", "rule", "field"]
    assert sorted(map(tuple, gx.failures[key].values.tolist())) == sorted(map(tuple, failures[key].values.tolist()))


def test_great_expectations_does_not_fill_the_task_log(caplog: Any, tmp_path: Any) -> None:
    """The validate task's log holds the night's findings, not Great Expectations' configuration chatter."""
    settings = load_quality_settings()
    with caplog.at_level(logging.INFO):
        run_quality(
            {"customer": customer_frame(_customers(), settings)},
            settings=settings,
            as_of=AS_OF,
            run_id="n",
            data_docs_dir=tmp_path / "docs",
        )
    noise = [r for r in caplog.records if r.name.startswith("great_expectations") and r.levelno < logging.WARNING]
    assert not noise, [r.getMessage() for r in noise[:5]]


@pytest.mark.slow  # imports Great Expectations in a fresh interpreter
def test_importing_great_expectations_as_the_validate_task_does_logs_nothing() -> None:
    import subprocess
    import sys

    probe = (
        "import logging, io\n"
        "buf = io.StringIO(); logging.basicConfig(stream=buf, level=logging.INFO, format='%(name)s %(message)s')\n"
        "from transforms.quality.chatter import quiet_great_expectations\n"
        "quiet_great_expectations()\n"
        "import transforms.quality.runner\n"
        "print(sum(line.startswith('great_expectations') for line in buf.getvalue().splitlines()))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=300)
    assert out.stdout.strip() == "0", out.stdout
