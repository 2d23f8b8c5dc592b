"""The truth tables agree with each other and with what a plain reader finds in the files."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

Sample = Any
Norm = dict[str, Callable[..., Any]]


def test_records_point_to_customers_and_every_customer_appears(sample: Sample) -> None:
    rows, customers = sample.rows, sample.customers
    assert customers.customer_id.is_unique and len(customers) == sample.summary.customers
    records = rows[rows.row_type == "record"]
    people = records[records.customer_id.notna()]
    assert len(people) == len(records), "every record row names its customer"
    assert set(people.customer_id) <= set(customers.customer_id)
    assert set(customers.customer_id) <= set(people.customer_id), "every customer appears at least once"
    assert rows[rows.row_type != "record"].customer_id.isna().all()
    per_customer = people.groupby("customer_id").size()
    assert (customers.set_index("customer_id").record_rows == per_customer).all()


def test_customers_appear_in_one_to_four_person_sources(sample: Sample) -> None:
    person_sources = {
        "call_log",
        "visits",
        "anna_kowalska",
        "biuro_warszawa",
        "john_miller",
        "irina_sokolova",
        "reza_ahmadi",
        "li_wei",
        "accounting_customers",
    }
    n = sample.customers.sources.map(lambda s: len(set(s) & person_sources))
    assert n.min() >= 1 and n.max() <= 4
    assert (n >= 3).sum() > 0, "some customers are in several sources"


def test_defects_point_to_existing_rows(sample: Sample) -> None:
    keys = ["source_name", "source_file", "sheet", "row_number"]
    merged = sample.defects.merge(sample.rows[[*keys, "row_type"]], on=keys, how="left", validate="many_to_one")
    assert merged.row_type.notna().all()
    for kind in (
        "missing",
        "sentinel",
        "bad_email",
        "bad_phone",
        "impossible_dob",
        "stale",
        "bad_tax_id",
        "bad_invoice_number",
        "negative_amount",
        "payment_before_invoice",
        "unknown_invoice",
        "duplicate_payment",
        "typo",
        "malformed_json",
        "wrong_type",
    ):
        assert (sample.defects.defect == kind).any(), kind


def _check_flag(df: pd.DataFrame, flag: str, recovered: pd.Series, truth: pd.Series) -> tuple[float, float]:
    ok = df[flag] == True  # noqa: E712
    bad = df[flag] == False  # noqa: E712
    hit_ok = (recovered[ok] == truth[ok]).mean()
    hit_bad = (recovered[bad] == truth[bad]).mean() if bad.any() else 0.0
    return float(hit_ok), float(hit_bad)


def test_phone_flags_match_an_independent_normalizer(written: pd.DataFrame, normalizers: Norm) -> None:
    df = written[written.phone_written_ok.notna()]
    got = pd.Series([normalizers["phone"](v, r) for v, r in zip(df.w_phone, df.region, strict=True)], index=df.index)
    hit_ok, hit_bad = _check_flag(df, "phone_written_ok", got, df.phone)
    assert hit_ok >= 0.99, f"only {hit_ok:.3f} of phones marked ok are recoverable"
    assert hit_bad <= 0.01, f"{hit_bad:.3f} of phones marked not ok are recoverable anyway"


def test_email_flags_match_an_independent_normalizer(written: pd.DataFrame, normalizers: Norm) -> None:
    df = written[written.email_written_ok.notna()]
    got = df.w_email.map(normalizers["email"])
    hit_ok, hit_bad = _check_flag(df, "email_written_ok", got, df.email)
    assert hit_ok == 1.0
    assert hit_bad == 0.0


def test_dob_flags_match_an_independent_parser(written: pd.DataFrame, normalizers: Norm) -> None:
    df = written[written.dob_written_ok.notna()]
    got = pd.Series([normalizers["date"](v, o) for v, o in zip(df.w_dob, df.order, strict=True)], index=df.index)
    truth = df.date_of_birth.map(lambda d: d if pd.notna(d) else None)
    hit_ok, hit_bad = _check_flag(df, "dob_written_ok", got, truth)
    assert hit_ok == 1.0, f"only {hit_ok:.4f} of DOBs marked ok parse to the truth"
    assert hit_bad == 0.0
