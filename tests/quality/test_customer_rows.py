"""Every failing value names its customer and the source row to fix, golden-record failures included."""

from __future__ import annotations

import duckdb
import pandas as pd

from tests.support import PipelineRun
from transforms.quality.customer_rows import golden_failures_to_rows, name_customers

CONTACTS = pd.DataFrame(
    {
        "record_id": ["r1", "r2", "r3"],
        "responsible": ["Anna Kowalska", "Piotr Nowak", "Anna Kowalska"],
        "full_name": ["NOWAK Jan", None, None],
        "given_name": ["Jan", "Jan", None],
        "surname": ["Nowak", "Nowak", None],
        "company": [None, None, "Domtech"],
        "customer_code": [None, None, "K-0042"],
    }
)
LINKS = pd.DataFrame(
    {
        "record_id": ["r1", "r2", "r3"],
        "customer_id": ["C000001", "C000001", "C000002"],
        "source_name": ["anna", "journal", "accounting"],
        "source_kind": ["spreadsheet", "journal", "accounting_customers"],
        "source_file": ["anna.xlsx", "journal.csv", "customers.csv"],
        "sheet": ["Klienci", "", ""],
        "row_number": [5, 12, 7],
    }
)


def _golden(field: str, rule: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "source_name": ["core.customer"], "source_file": ["core.customer"], "sheet": [""], "row_number": [1],
            "record_id": ["C000001"], "field": [field], "rule": [rule], "severity": ["warning"], "value": ["x"],
            "message": ["fix it"], "responsible": ["Anna Kowalska"], "as_of": ["2026-11-20"], "run_id": ["r"],
        }
    )  # fmt: skip


def test_a_golden_failure_becomes_the_source_row_that_gave_the_value() -> None:
    provenance = pd.DataFrame({"customer_id": ["C000001"], "field": ["phone_e164"], "record_id": ["r2"]})
    rows = golden_failures_to_rows(
        _golden("phone", "phone_format"), links=LINKS, provenance=provenance, contacts=CONTACTS
    )
    assert rows[["source_file", "row_number", "record_id", "customer_id", "responsible", "found_on"]].to_dict(
        "records"
    ) == [
        {
            "source_file": "journal.csv", "row_number": 12, "record_id": "r2", "customer_id": "C000001",
            "responsible": "Piotr Nowak", "found_on": "golden_record",
        }
    ]  # fmt: skip
    assert rows.loc[0, "customer_name"] == "Jan Nowak"


def test_a_missing_golden_value_is_every_row_of_the_customer() -> None:
    rows = golden_failures_to_rows(
        _golden("date_of_birth", "mandatory_field_missing"),
        links=LINKS,
        provenance=pd.DataFrame(columns=["customer_id", "field", "record_id"]),
        contacts=CONTACTS,
    )
    assert sorted(rows["source_file"]) == ["anna.xlsx", "journal.csv"]
    assert set(rows["customer_name"]) == {"NOWAK Jan", "Jan Nowak"}


def test_a_missing_mandatory_value_goes_only_to_the_rows_the_standard_asks_it_of() -> None:
    # Only the sales sheets must hold a date of birth: the call-centre entry of the same customer is not asked.
    rows = golden_failures_to_rows(
        _golden("date_of_birth", "mandatory_field_missing"),
        links=LINKS,
        provenance=pd.DataFrame(columns=["customer_id", "field", "record_id"]),
        contacts=CONTACTS,
        mandatory_kinds=["spreadsheet"],
    )
    assert rows["source_file"].tolist() == ["anna.xlsx"]


def test_a_golden_value_no_row_gave_names_no_row() -> None:
    # A golden record's last update taken from its latest contact is stale for the customer, not for a row.
    rows = golden_failures_to_rows(
        _golden("last_updated", "stale_record"),
        links=LINKS,
        provenance=pd.DataFrame(columns=["customer_id", "field", "record_id"]),
        contacts=CONTACTS,
    )
    assert rows.empty


def test_source_row_failures_name_the_customer_and_code() -> None:
    failures = pd.DataFrame({"record_id": ["r1", "inv9"], "rule": ["email_format", "negative_invoice_amount"]})
    invoices = pd.DataFrame({"record_id": ["inv9"], "customer_code": ["K-0042"]})
    named = name_customers(
        failures, contacts=CONTACTS, invoices=invoices, customer_of=LINKS.set_index("record_id")["customer_id"]
    )
    assert named[["customer_name", "customer_code", "customer_id", "found_on"]].to_dict("records") == [
        {"customer_name": "NOWAK Jan", "customer_code": None, "customer_id": "C000001", "found_on": "source_row"},
        {"customer_name": "Domtech", "customer_code": "K-0042", "customer_id": "C000002", "found_on": "source_row"},
    ]


def test_every_failure_of_the_night_names_its_customer(pipeline_run: PipelineRun) -> None:
    with duckdb.connect(str(pipeline_run.warehouse_path), read_only=True) as con:
        f = con.execute("select * from dq.failure where run_id = 'test_run_1'").df()
    assert "core.customer" not in set(f["source_name"]), "golden failures are turned into their source rows"
    golden = f[f["found_on"] == "golden_record"]
    assert len(golden) and (golden["row_number"] > 0).all() and golden["customer_id"].notna().all()
    rows = f[f["row_number"] > 0]
    named = rows["customer_name"].notna() | rows["customer_code"].notna()
    assert named.mean() > 0.99, rows.loc[~named, ["source_file", "rule", "field"]].head()
    contacts = rows[rows["record_id"].str.len() > 0]
    assert contacts["customer_id"].notna().mean() > 0.95
    html = (pipeline_run.run_dir / "report" / "report.html").read_text("utf-8")
    assert "core.customer" not in html
