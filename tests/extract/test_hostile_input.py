"""Hostile input (issue 20): never publish wrong data, never lose a row, never die without naming the file.

Each test builds its hostile file small and checks the file's fate: failed with its name (and line, cell or
field), or read with every physical line accounted for. The night-level invariants over all of them at once
are in tests/pipeline/test_hostile_corpus.py, which reuses the builders below.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest

from tests.extract.conftest import Extract
from transforms.extract import extract as extract_module
from transforms.extract import xlsx_reader
from transforms.standardize.amounts import parse_amount
from transforms.standardize.records import ReadingRules, standardize_payments
from transforms.standardize.sentinels import load_sentinels

PAYMENT_COLUMNS = {"Id": "payment_id", "Faktura": "invoice_number", "Data": "payment_date", "Kwota": "amount"}
CONTACT_COLUMNS = {"Nazwisko": "surname", "Imię": "given_name", "Telefon": "phone", "Email": "email"}


def records(report: object) -> pd.DataFrame:
    return pq.read_table(report.records_path).to_pandas()  # type: ignore[attr-defined]


def quarantine(report: object) -> pd.DataFrame:
    return pq.read_table(report.quarantine_path).to_pandas()  # type: ignore[attr-defined]


# ---- class 1: wrong data published with a warning -------------------------------------------------------


def payments_without_amount(folder: Path) -> str:
    """accounting/payments.csv with its amount column deleted."""
    (folder / "payments_no_amount.csv").write_text(
        "Id,Faktura,Data\nWPL1,FV/1,2026-01-05\nWPL2,FV/2,2026-01-06\n", "utf-8"
    )
    return "payments_no_amount.csv"


def test_a_mapped_column_missing_fails_the_file_and_names_it(tmp_path: Path, extract_one: Extract) -> None:
    name = payments_without_amount(tmp_path)
    (tmp_path / "ok.csv").write_text("Id,Faktura,Data,Kwota\nWPL1,FV/1,2026-01-05,10.00\n", "utf-8")
    r = extract_one(
        [
            {"name": "p", "kind": "payments", "path": name, "columns": PAYMENT_COLUMNS},
            {"name": "ok", "kind": "payments", "path": "ok.csv", "columns": PAYMENT_COLUMNS},
        ]
    )
    assert r[0].status == "failed" and name in r[0].error
    assert "'Kwota' (amount)" in r[0].error and "field 'amount'" in r[0].error
    assert r[1].status == "ok" and r[1].rows_extracted == 1


def test_old_and_new_headers_of_one_field_need_only_one_present(tmp_path: Path, extract_one: Extract) -> None:
    (tmp_path / "v.jsonl").write_text('{"name": "A"}\n{"name": "B"}\n', "utf-8")
    cols = {"name": "given_name", "contact.first_name": "given_name"}
    r = extract_one([{"name": "v", "kind": "journal", "path": "v.jsonl", "columns": cols}])
    assert r[0].status == "ok" and r[0].rows_extracted == 2


@pytest.mark.parametrize(
    "text", ["1e308", "0,001", "100 USD 200", "1 234.567", "1,234", "12,345.678", "1.5e3", "12 34", "(100", "10$20"]
)
def test_an_amount_with_more_than_one_reading_is_not_a_number(text: str) -> None:
    assert parse_amount(text) is None


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1 234,56", 1234.56),
        ("1.234,56", 1234.56),
        ("1,234.56", 1234.56),
        ("-50,00 zł", -50.0),
        ("(120.00)", -120.0),
        ("PLN 100", 100.0),
        ("1\u00a0000\u00a0000", 1_000_000.0),
        ("1,234,567", 1_234_567.0),
        ("99.99 EUR", 99.99),
        ("0.5", 0.5),
    ],
)
def test_amounts_as_accounting_writes_them_still_read(text: str, value: float) -> None:
    assert parse_amount(text) == value


def test_an_unreadable_amount_is_a_field_issue_and_left_empty() -> None:
    raw = pd.DataFrame(
        {
            "source_name": "p",
            "source_kind": "payments",
            "source_file": "payments.csv",
            "sheet": "",
            "row_number": [1, 2],
            "physical_row": [2, 3],
            "file_sha256": "0" * 64,
            "responsible": "Accounting",
            "payment_id": ["WPL1", "WPL2"],
            "invoice_number": ["FV/1", "FV/2"],
            "customer_code": [None, None],
            "payment_date": ["2026-01-05", "2026-01-06"],
            "amount": ["1e308", "10,00"],
            "currency": [None, None],
            "attributes": [None, None],
        }
    )
    rules = ReadingRules(phone_region="PL", date_order="DMY", as_of=dt.date(2026, 2, 1))
    rows, issues = standardize_payments(raw, rules=rules, sentinels=load_sentinels(None))
    assert pd.isna(rows["amount"].iloc[0]) and rows["amount"].iloc[1] == 10.0
    issue = issues[issues["field"] == "amount"]
    assert len(issue) == 1
    assert issue[["source_file", "row_number"]].iloc[0].tolist() == ["payments.csv", 1]


def mixed_encoding(folder: Path) -> str:
    """A cp1251 journal to which some lines were appended in UTF-8."""
    head = "Фамилия;Имя;Телефон\n" + "Иванов;Иван;+7 912 345 67 89\n" * 20
    (folder / "mixed.csv").write_bytes(head.encode("cp1251") + "Смирнов;Пётр;+7 900 111 22 33\n".encode())
    return "mixed.csv"


RU_COLUMNS = {"Фамилия": "surname", "Имя": "given_name", "Телефон": "phone"}


@pytest.mark.parametrize("encoding", ["auto", "cp1251"])
def test_a_file_mixing_encodings_stops_with_its_name(tmp_path: Path, extract_one: Extract, encoding: str) -> None:
    name = mixed_encoding(tmp_path)
    r = extract_one([{"name": "m", "kind": "journal", "path": name, "encoding": encoding, "columns": RU_COLUMNS}])
    assert r[0].status == "failed" and name in r[0].error and "mixes encodings" in r[0].error
    assert "line 22" in r[0].error


def unsure_encoding(folder: Path) -> str:
    """A few Polish words in cp1250, too short for a confident guess."""
    (folder / "unsure.csv").write_bytes("Nazwisko;Imię\nŁukasiewicz;Żółć\n".encode("cp1250") * 2)
    return "unsure.csv"


def test_an_unsure_encoding_guess_stops_with_the_name(tmp_path: Path, extract_one: Extract) -> None:
    name = unsure_encoding(tmp_path)
    cols = {"Nazwisko": "surname", "Imię": "given_name"}
    r = extract_one([{"name": "u", "kind": "spreadsheet", "path": name, "encoding": "auto", "columns": cols}])
    if r[0].status == "ok":  # a guess that reads right is fine; one that garbles the names is not
        assert records(r[0])["surname"].iloc[0] == "Łukasiewicz"
    else:
        assert name in r[0].error  # the guess, or the header it garbled, stops the file


Builder = Callable[[Path], str]


# ---- class 2: rows vanish while the counts balance ------------------------------------------------------


def physical_lines_below_header(path: Path) -> int:
    """Lines under the header line, the trailing empty line of the last line feed not counted."""
    text = path.read_text("utf-8")
    return len(text.rstrip("\n").split("\n")) - 1


def unclosed_quote(folder: Path) -> str:
    """Eight customers; the third opens a quote it never closes, which swallows the five lines after it."""
    lines = ["Nazwisko,Imię,Telefon,Email"]
    lines += [f"Nowak{i},Anna,60123456{i},a{i}@x.pl" for i in range(2)]
    lines += ['Kowalski,"Jan,602345678,jan@x.pl']
    lines += [f"Lis{i},Ewa,60334455{i},e{i}@x.pl" for i in range(5)]
    (folder / "unclosed.csv").write_text("\n".join(lines) + "\n", "utf-8")
    return "unclosed.csv"


def quote_closed_lines_later(folder: Path) -> str:
    """A quote closed three lines later: the field count comes out right, so nothing looked broken."""
    lines = ["Nazwisko,Imię,Telefon,Email", 'Nowak,"Anna,601234567,a@x.pl', "Lis,Ewa,603344551,e@x.pl"]
    lines += ['Kot,Ola",604000111,o@x.pl', "Wróbel,Piotr,605000222,p@x.pl"]
    (folder / "late_quote.csv").write_text("\n".join(lines) + "\n", "utf-8")
    return "late_quote.csv"


@pytest.mark.parametrize("builder", [unclosed_quote, quote_closed_lines_later])
def test_a_quote_that_swallows_lines_is_reported_at_its_line(
    tmp_path: Path, extract_one: Extract, builder: Builder
) -> None:
    name = builder(tmp_path)
    r = extract_one([{"name": "c", "kind": "spreadsheet", "path": name, "columns": CONTACT_COLUMNS}])
    assert r[0].status == "ok"
    lines = physical_lines_below_header(tmp_path / name)
    assert r[0].rows_read == lines == r[0].rows_extracted + r[0].rows_quarantined
    q = quarantine(r[0])
    opened = q[q["reason"].str.contains("quoted value opened")]
    assert len(opened) == 1 and "not closed" in opened["reason"].iloc[0]
    assert sorted([*records(r[0])["physical_row"], *q["physical_row"]]) == list(range(2, lines + 2))


def test_a_note_with_line_breaks_stays_one_record(tmp_path: Path, extract_one: Extract) -> None:
    text = 'Nazwisko,Imię,Uwagi\nNowak,Anna,"call back\nafter 5 pm, not Monday"\nLis,Ewa,\n'
    (tmp_path / "note.csv").write_text(text, "utf-8")
    cols = {"Nazwisko": "surname", "Imię": "given_name", "Uwagi": "notes"}
    r = extract_one([{"name": "n", "kind": "spreadsheet", "path": "note.csv", "columns": cols}])
    assert r[0].rows_extracted == 2 and r[0].rows_quarantined == 0
    assert records(r[0])["notes"].iloc[0] == "call back\nafter 5 pm, not Monday"


def unicode_line_separators(folder: Path) -> str:
    """Valid JSON lines whose strings hold U+2028, U+0085 and U+2029 unescaped."""
    lines = [
        json.dumps({"name": f"A{i}\u2028x", "note": "a\u0085b\u2029c", "phone": "601234567"}, ensure_ascii=False)
        for i in range(3)
    ]
    (folder / "separators.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    return "separators.jsonl"


def test_unicode_line_separators_inside_json_are_left_alone(tmp_path: Path, extract_one: Extract) -> None:
    name = unicode_line_separators(tmp_path)
    cols = {"name": "given_name", "note": "notes", "phone": "phone"}
    r = extract_one([{"name": "j", "kind": "journal", "path": name, "columns": cols}])
    assert r[0].rows_read == 3 and r[0].rows_extracted == 3 and r[0].rows_quarantined == 0
    assert records(r[0])["notes"].tolist() == ["a\u0085b\u2029c"] * 3


def customers_named_like_totals(folder: Path) -> str:
    """Real customers called Suma and Total (with phone and e-mail), and a real totals row."""
    text = (
        "Nazwisko,Imię,Telefon,Email\n"
        "Suma,Andrzej,601234567,a.suma@x.pl\n"
        "Total,Beata,602345678,\n"
        "Razem,Jan,,\n"
        "Razem: 3,,,\n"
    )
    (folder / "totals_names.csv").write_text(text, "utf-8")
    return "totals_names.csv"


def test_a_customer_named_like_a_totals_word_is_a_record(tmp_path: Path, extract_one: Extract) -> None:
    name = customers_named_like_totals(tmp_path)
    r = extract_one([{"name": "t", "kind": "spreadsheet", "path": name, "columns": CONTACT_COLUMNS}])
    assert records(r[0])["surname"].tolist() == ["Suma", "Total", "Razem"]
    assert quarantine(r[0])["reason"].tolist() == ["totals_row"]


def test_an_accounting_totals_row_is_still_quarantined(tmp_path: Path, extract_one: Extract) -> None:
    text = "Id,Faktura,Data,Kwota,Waluta\nWPL1,FV/1,2026-01-05,10.00,PLN\nRazem,,,10.00,PLN\n"
    (tmp_path / "p.csv").write_text(text, "utf-8")
    cols = {**PAYMENT_COLUMNS, "Waluta": "currency"}
    r = extract_one([{"name": "p", "kind": "payments", "path": "p.csv", "columns": cols}])
    assert r[0].rows_extracted == 1 and quarantine(r[0])["reason"].tolist() == ["totals_row"]


# ---- class 3: one hostile cell or line kills the whole night and names nothing -----------------------------


def deep_json(folder: Path) -> str:
    """A journal whose second line nests lists 100,000 deep."""
    lines = ['{"name": "A", "phone": "601234567"}', "[" * 100_000 + "]" * 100_000, '{"name": "B", "phone": "602"}']
    (folder / "deep.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    return "deep.jsonl"


def test_a_json_line_nested_100000_deep_is_quarantined_at_its_line(tmp_path: Path, extract_one: Extract) -> None:
    name = deep_json(tmp_path)
    cols = {"name": "given_name", "phone": "phone"}
    r = extract_one([{"name": "j", "kind": "journal", "path": name, "columns": cols}])
    assert r[0].status == "ok" and r[0].rows_extracted == 2
    q = quarantine(r[0])
    assert q["physical_row"].tolist() == [2] and "nested more than" in q["reason"].iloc[0]


def stray_cell_far_away(folder: Path) -> str:
    """A small workbook with a '.' typed in XFD1048576: its dimension claims 17 billion cells."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Klienci"
    ws.append(["Nazwisko", "Imię", "Telefon", "Email"])
    ws.append(["Nowak", "Anna", "601234567", "a@x.pl"])
    ws["XFD1048576"] = "."
    wb.save(folder / "stray.xlsx")
    return "stray.xlsx"


@pytest.mark.parametrize("streamed", [False, True])
def test_a_stray_cell_in_xfd1048576_fails_the_file_fast_naming_the_cell(
    tmp_path: Path, extract_one: Extract, monkeypatch: pytest.MonkeyPatch, streamed: bool
) -> None:
    if streamed:
        monkeypatch.setattr(xlsx_reader, "FULL_LOAD_MAX_BYTES", 0)
    name = stray_cell_far_away(tmp_path)
    (tmp_path / "ok.csv").write_text("Nazwisko,Imię,Telefon,Email\nLis,Ewa,603,e@x.pl\n", "utf-8")
    started = time.perf_counter()
    r = extract_one(
        [
            {"name": "x", "kind": "spreadsheet", "path": name, "columns": CONTACT_COLUMNS},
            {"name": "ok", "kind": "spreadsheet", "path": "ok.csv", "columns": CONTACT_COLUMNS},
        ]
    )
    assert time.perf_counter() - started < 20
    assert r[0].status == "failed" and name in r[0].error and "cell XFD1048576" in r[0].error
    assert r[1].status == "ok"


def test_a_stray_cell_a_few_rows_below_is_read_as_a_row(tmp_path: Path, extract_one: Extract) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Nazwisko", "Imię", "Telefon", "Email"])
    ws.append(["Nowak", "Anna", "601234567", "a@x.pl"])
    ws["XFD40"] = "."
    wb.save(tmp_path / "near.xlsx")
    r = extract_one([{"name": "x", "kind": "spreadsheet", "path": "near.xlsx", "columns": CONTACT_COLUMNS}])
    assert r[0].status == "ok" and r[0].rows_extracted == 1
    q = quarantine(r[0])
    assert q["physical_row"].tolist()[-1] == 40 and q["reason"].iloc[-1].startswith("non_record_row")
    assert r[0].rows_read == 39 == r[0].rows_extracted + r[0].rows_quarantined


def test_a_reader_crash_fails_only_its_file(
    tmp_path: Path, extract_one: Extract, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.csv").write_text("Nazwisko,Imię\nNowak,Anna\n", "utf-8")
    (tmp_path / "b.jsonl").write_text('{"name": "B"}\n', "utf-8")

    def explode(*_: object, **__: object) -> None:
        raise MemoryError

    monkeypatch.setattr(extract_module, "read_csv_sheet", explode)
    r = extract_one(
        [
            {"name": "a", "kind": "spreadsheet", "path": "a.csv", "columns": {"Nazwisko": "surname"}},
            {"name": "b", "kind": "journal", "path": "b.jsonl", "columns": {"name": "given_name"}},
        ]
    )
    assert r[0].status == "failed" and "a.csv" in r[0].error and "MemoryError" in r[0].error
    assert r[1].status == "ok"


def test_with_several_layouts_a_file_may_hold_one_of_them(tmp_path: Path, extract_one: Extract) -> None:
    (tmp_path / "new.jsonl").write_text('{"contact": {"first_name": "A", "phone": "601"}}\n', "utf-8")
    cols = {"name": "full_name", "phone": "phone", "contact.first_name": "given_name", "contact.phone": "phone"}
    r = extract_one([{"name": "v", "kind": "journal", "path": "new.jsonl", "columns": cols}])
    assert r[0].status == "ok" and r[0].columns_missing == ["name", "phone"]
    (tmp_path / "none.jsonl").write_text('{"contact": {"first_name": "A"}}\n', "utf-8")
    r = extract_one([{"name": "v", "kind": "journal", "path": "none.jsonl", "columns": cols}])
    assert r[0].status == "failed" and "'contact.phone' / 'phone' (phone)" in r[0].error
