"""Malformed input: each case gets a clear message naming the file (and row/field when known); other files go on."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest

from tests.extract.conftest import Extract

NAMES = {"Nazwisko": "surname", "Imię": "given_name"}
CONTACT = {**NAMES, "Telefon": "phone"}


def src(path: str, **kw: object) -> dict[str, object]:
    """A spreadsheet-kind source reading ``path`` with the Polish contact headers."""
    base: dict[str, object] = {"name": kw.pop("name", "s"), "kind": "spreadsheet", "path": path, "columns": NAMES}
    base.update(kw)
    return base


def records(report: object) -> pd.DataFrame:
    return pq.read_table(report.records_path).to_pandas()  # type: ignore[attr-defined]


def quarantine(report: object) -> pd.DataFrame:
    return pq.read_table(report.quarantine_path).to_pandas()  # type: ignore[attr-defined]


def balanced(report: object) -> bool:
    r = report
    return r.rows_read == r.rows_extracted + r.rows_quarantined  # type: ignore[attr-defined]


def write_xlsx(path: Path, rows: list[list[object]], title: str = "Sheet1") -> openpyxl.Workbook:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for r in rows:
        ws.append(r)
    wb.save(path)
    return wb


def test_wrong_encoding_names_file_line_and_fix(tmp_path: Path, extract_one: Extract) -> None:
    (tmp_path / "a.csv").write_bytes("Nazwisko,Imię\nŁukasiewicz,Jan\n".encode("cp1250"))
    (tmp_path / "b.csv").write_text("Nazwisko,Imię\nNowak,Anna\n", "utf-8")
    r = extract_one([src("a.csv", encoding="utf-8"), src("b.csv", name="b")])
    assert r[0].status == "failed"
    assert "a.csv" in r[0].error and "row 1" in r[0].error and "not valid utf-8" in r[0].error
    assert r[1].status == "ok" and r[1].rows_extracted == 1


def test_auto_encoding_guesses_cp1251_and_says_so(tmp_path: Path, extract_one: Extract) -> None:
    text = "Фамилия;Имя;Телефон\n" + "Иванов;Иван;+7 912 345 67 89\n" * 20
    (tmp_path / "c.csv").write_bytes(text.encode("cp1251"))
    cols = {"Фамилия": "surname", "Имя": "given_name", "Телефон": "phone"}
    r = extract_one([{"name": "c", "kind": "journal", "path": "c.csv", "encoding": "auto", "columns": cols}])
    assert r[0].status == "ok"
    assert records(r[0])["surname"].iloc[0] == "Иванов"
    assert any("encoding guessed" in n for n in r[0].notes)


def test_utf8_bom_is_not_part_of_the_first_header(tmp_path: Path, extract_one: Extract) -> None:
    (tmp_path / "bom.csv").write_bytes(b"\xef\xbb\xbf" + "Nazwisko,Imię\nNowak,Anna\n".encode())
    r = extract_one([src("bom.csv", encoding="utf-8")])
    assert records(r[0])["surname"].tolist() == ["Nowak"]


def test_utf16_file(tmp_path: Path, extract_one: Extract) -> None:
    (tmp_path / "u16.csv").write_bytes("Nazwisko\tImię\nNowak\tAnna\n".encode("utf-16"))
    r = extract_one([src("u16.csv", encoding="utf-16", delimiter="\t")])
    assert records(r[0])["given_name"].tolist() == ["Anna"]


def test_empty_file(tmp_path: Path, extract_one: Extract) -> None:
    (tmp_path / "empty.csv").write_bytes(b"")
    r = extract_one([src("empty.csv")])
    assert r[0].status == "failed" and "empty.csv" in r[0].error and "empty" in r[0].error


def test_header_only_file_reads_zero_rows(tmp_path: Path, extract_one: Extract) -> None:
    (tmp_path / "h.csv").write_text("Nazwisko,Imię,Telefon\n", "utf-8")
    r = extract_one([src("h.csv", columns=CONTACT)])
    assert r[0].status == "ok" and r[0].rows_read == 0 and balanced(r[0])


def test_missing_declared_column_fails_the_file(tmp_path: Path, extract_one: Extract) -> None:
    (tmp_path / "m.csv").write_text("Nazwisko,Imię\nNowak,Anna\n", "utf-8")
    r = extract_one([src("m.csv", columns=CONTACT)])
    assert r[0].status == "failed" and "m.csv" in r[0].error and "'Telefon' (phone)" in r[0].error


def test_no_declared_header_at_all_names_the_header(tmp_path: Path, extract_one: Extract) -> None:
    (tmp_path / "x.csv").write_text("foo,bar\n1,2\n", "utf-8")
    r = extract_one([src("x.csv")])
    assert r[0].status == "failed" and "x.csv" in r[0].error and "field 'header'" in r[0].error


def test_duplicate_headers_keep_both_values(tmp_path: Path, extract_one: Extract) -> None:
    (tmp_path / "d.csv").write_text("Nazwisko,Imię,Imię\nNowak,Anna,Maria\n", "utf-8")
    r = extract_one([src("d.csv")])
    rec = records(r[0])
    assert rec["given_name"].tolist() == ["Anna"]
    assert json.loads(rec["attributes"].iloc[0]) == {"Imię (2)": "Maria"}
    assert any("duplicate header" in n for n in r[0].notes)


def test_corrupt_xlsx(tmp_path: Path, extract_one: Extract) -> None:
    (tmp_path / "bad.xlsx").write_bytes(b"PK\x03\x04 this is not a workbook")
    (tmp_path / "ok.csv").write_text("Nazwisko,Imię\nNowak,Anna\n", "utf-8")
    r = extract_one([src("bad.xlsx"), src("ok.csv", name="ok")])
    assert r[0].status == "failed" and "bad.xlsx" in r[0].error and "xlsx" in r[0].error
    assert r[1].status == "ok"


def test_xlsx_formulas_give_their_cached_values(tmp_path: Path, extract_one: Extract) -> None:
    path = tmp_path / "f.xlsx"
    write_xlsx(path, [["Nazwisko", "Imię", "Telefon"], ["Nowak", "Anna", "=1+1"]])
    r = extract_one([src("f.xlsx", columns=CONTACT)])
    # openpyxl-written formulas have no cached value: the cell reads as empty, never as the formula text
    assert records(r[0])["phone"].isna().all()


def test_merged_cells_fill_every_row_they_span(tmp_path: Path, extract_one: Extract) -> None:
    path = tmp_path / "merged.xlsx"
    wb = write_xlsx(path, [["Nazwisko", "Imię", "Telefon"], ["Nowak", "Anna", "601234567"], [None, "Jan", "602345678"]])
    wb.active.merge_cells("A2:A3")
    wb.save(path)
    r = extract_one([src("merged.xlsx", columns=CONTACT)])
    assert records(r[0])["surname"].tolist() == ["Nowak", "Nowak"]


def test_hidden_sheets_are_skipped_and_said(tmp_path: Path, extract_one: Extract) -> None:
    path = tmp_path / "h.xlsx"
    wb = write_xlsx(path, [["Nazwisko", "Imię"], ["Nowak", "Anna"]], title="Klienci")
    hidden = wb.create_sheet("Notes")
    hidden.append(["Nazwisko", "Imię"])
    hidden.append(["Secret", "Person"])
    hidden.sheet_state = "hidden"
    wb.save(path)
    r = extract_one([src("h.xlsx")])
    assert r[0].sheets == ["Klienci"] and r[0].rows_extracted == 1
    assert any("hidden sheet" in n for n in r[0].notes)


def test_renamed_sheet_names_the_sheets_found(tmp_path: Path, extract_one: Extract) -> None:
    write_xlsx(tmp_path / "r.xlsx", [["Nazwisko", "Imię"], ["Nowak", "Anna"]], title="Clients 2026")
    r = extract_one([src("r.xlsx", sheets=["Klienci"])])
    assert r[0].status == "failed"
    assert "Klienci" in r[0].error and "Clients 2026" in r[0].error and "r.xlsx" in r[0].error


def test_sheet_pattern_selects_sheets(tmp_path: Path, extract_one: Extract) -> None:
    path = tmp_path / "p.xlsx"
    wb = write_xlsx(path, [["Nazwisko", "Imię"], ["Nowak", "Anna"]], title="Klienci 2025")
    ws = wb.create_sheet("Klienci 2026")
    ws.append(["Nazwisko", "Imię"])
    ws.append(["Kowalski", "Jan"])
    wb.create_sheet("Summary").append(["Total", 2])
    wb.save(path)
    r = extract_one([src("p.xlsx", sheets={"pattern": "^Klienci"})])
    assert r[0].sheets == ["Klienci 2025", "Klienci 2026"] and r[0].rows_extracted == 2


def test_dates_as_text_serial_and_excel_date_are_kept_readably(tmp_path: Path, extract_one: Extract) -> None:
    path = tmp_path / "dates.xlsx"
    cols = {"Nazwisko": "surname", "Urodzony": "date_of_birth"}
    write_xlsx(
        path,
        [
            ["Nazwisko", "Urodzony"],
            ["A", dt.datetime(1984, 7, 2)],
            ["B", "02.07.1984"],
            ["C", 30865],
            ["D", "31.02.1990"],
        ],
    )
    r = extract_one([{"name": "d", "kind": "spreadsheet", "path": "dates.xlsx", "columns": cols}])
    assert records(r[0])["date_of_birth"].tolist() == ["1984-07-02", "02.07.1984", "30865", "31.02.1990"]


def test_phones_stored_as_floats_keep_all_digits(tmp_path: Path, extract_one: Extract) -> None:
    write_xlsx(tmp_path / "ph.xlsx", [["Nazwisko", "Telefon"], ["A", 48601234567.0], ["B", 601234567]])
    r = extract_one([src("ph.xlsx", columns={"Nazwisko": "surname", "Telefon": "phone"})])
    assert records(r[0])["phone"].tolist() == ["48601234567", "601234567"]


def test_null_bytes_are_removed(tmp_path: Path, extract_one: Extract) -> None:
    (tmp_path / "n.csv").write_bytes(b"Nazwisko,Imi\xc4\x99\nNo\x00wak,Anna\n")
    r = extract_one([src("n.csv")])
    assert records(r[0])["surname"].tolist() == ["Nowak"]
    assert any("null bytes" in n for n in r[0].notes)


def test_100kb_cell_is_kept_whole(tmp_path: Path, extract_one: Extract) -> None:
    big = "x" * 100_000
    (tmp_path / "big.csv").write_text(f'Nazwisko,Imię,Uwagi\nNowak,Anna,"{big}"\n', "utf-8")
    r = extract_one([src("big.csv")])
    assert json.loads(records(r[0])["attributes"].iloc[0])["Uwagi"] == big


def test_row_with_a_foreign_delimiter_is_quarantined_with_its_line(tmp_path: Path, extract_one: Extract) -> None:
    (tmp_path / "mix.csv").write_text("Nazwisko;Imię;Telefon\nNowak;Anna;601\nKowalski,Jan,602;x;y;z\n", "utf-8")
    r = extract_one([src("mix.csv", delimiter=";", columns=CONTACT)])
    q = quarantine(r[0])
    assert q["row_number"].tolist() == [2] and q["physical_row"].tolist() == [3]
    assert "fields where the header has 3" in q["reason"].iloc[0]
    assert balanced(r[0])


def test_bad_json_line_is_quarantined_and_the_rest_loaded(tmp_path: Path, extract_one: Extract) -> None:
    (tmp_path / "v.jsonl").write_text('{"name": "A"}\n{oops\n[1, 2]\n{"name": "B"}\n', "utf-8")
    r = extract_one([{"name": "v", "kind": "journal", "path": "v.jsonl", "columns": {"name": "given_name"}}])
    q = quarantine(r[0])
    assert q["row_number"].tolist() == [2, 3]
    assert "not valid JSON" in q["reason"].iloc[0] and "JSON list" in q["reason"].iloc[1]
    assert records(r[0])["given_name"].tolist() == ["A", "B"]


def test_json_with_wrong_types_keeps_the_value_as_text(tmp_path: Path, extract_one: Extract) -> None:
    (tmp_path / "w.jsonl").write_text('{"phone": ["601", "602"], "name": 42}\n', "utf-8")
    cols = {"phone": "phone", "name": "given_name"}
    r = extract_one([{"name": "w", "kind": "journal", "path": "w.jsonl", "columns": cols}])
    rec = records(r[0])
    assert rec["phone"].iloc[0] == '["601", "602"]' and rec["given_name"].iloc[0] == "42"


def test_nested_json_and_two_schema_versions(tmp_path: Path, extract_one: Extract) -> None:
    lines = [
        '{"name": "Old", "mail": "o@x.pl"}',
        '{"contact": {"first_name": "New", "email": "n@x.pl"}, "tags": ["a"]}',
    ]
    (tmp_path / "s.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    cols = {"name": "given_name", "mail": "email", "contact.first_name": "given_name", "contact.email": "email"}
    r = extract_one([{"name": "s", "kind": "journal", "path": "s.jsonl", "columns": cols}])
    rec = records(r[0])
    assert rec["given_name"].tolist() == ["Old", "New"] and rec["email"].tolist() == ["o@x.pl", "n@x.pl"]
    assert json.loads(rec["attributes"].iloc[1]) == {"tags": '["a"]'}


def test_missing_file_is_reported_and_others_go_on(tmp_path: Path, extract_one: Extract) -> None:
    (tmp_path / "ok.csv").write_text("Nazwisko,Imię\nNowak,Anna\n", "utf-8")
    r = extract_one([src("gone.csv"), src("ok.csv", name="ok")])
    assert r[0].status == "missing" and "gone.csv" in r[0].error
    assert r[1].rows_extracted == 1


def test_glob_matching_nothing(tmp_path: Path, extract_one: Extract) -> None:
    r = extract_one([src("exports/*.csv")])
    assert r[0].status == "missing" and "exports/*.csv" in r[0].error


def test_glob_reads_every_file_in_order(tmp_path: Path, extract_one: Extract) -> None:
    (tmp_path / "exports").mkdir()
    for i in (2, 1):
        (tmp_path / "exports" / f"part{i}.csv").write_text(f"Nazwisko,Imię\nP{i},X\n", "utf-8")
    r = extract_one([src("exports/*.csv")])
    assert [x.source_file for x in r] == ["exports/part1.csv", "exports/part2.csv"]


def test_unreadable_file(tmp_path: Path, extract_one: Extract) -> None:
    import os

    if os.geteuid() == 0:
        (tmp_path / "dir.csv").mkdir()  # root can read any file: a folder named like the file is unreadable too
    else:
        (tmp_path / "dir.csv").write_text("x", "utf-8")
        (tmp_path / "dir.csv").chmod(0)
    r = extract_one([src("dir.csv")])
    assert r[0].status in ("failed", "missing") and "dir.csv" in r[0].error


def test_title_rows_above_the_header_are_skipped(tmp_path: Path, extract_one: Extract) -> None:
    write_xlsx(
        tmp_path / "t.xlsx",
        [["ACME Sp. z o.o."], ["Lista klientów – stan na 2026-11-01"], [], ["Nazwisko", "Imię"], ["Nowak", "Anna"]],
    )
    r = extract_one([src("t.xlsx")])
    rec = records(r[0])
    assert rec["row_number"].tolist() == [1] and rec["physical_row"].tolist() == [5]


def test_non_record_rows_are_quarantined_with_their_kind(tmp_path: Path, extract_one: Extract) -> None:
    write_xlsx(
        tmp_path / "n.xlsx",
        [
            ["Nazwisko", "Imię", "Telefon"],
            ["— Warszawa —"],
            ["Nowak", "Anna", "601"],
            [],
            ["Nazwisko", "Imię", "Telefon"],
            ["Kowalski", "Jan", "602"],
            ["Razem: 2"],
        ],
    )
    r = extract_one([src("n.xlsx")])
    q = quarantine(r[0]).set_index("row_number")["reason"]
    assert q[1].startswith("non_record_row") and q[3] == "blank_row"
    assert q[4] == "repeated_header" and q[6] == "totals_row"
    assert records(r[0])["row_number"].tolist() == [2, 5]
    assert balanced(r[0])


def test_a_row_with_only_a_phone_is_a_record(tmp_path: Path, extract_one: Extract) -> None:
    (tmp_path / "p.csv").write_text("Nazwisko,Imię,Telefon\n,,601234567\n", "utf-8")
    r = extract_one([src("p.csv", columns=CONTACT)])
    assert r[0].rows_extracted == 1


def test_responsible_taken_from_a_column(tmp_path: Path, extract_one: Extract) -> None:
    (tmp_path / "r.csv").write_text("Nazwisko,Imię,Менеджер\nNowak,Anna,Olga\nKowal,Jan,\n", "utf-8")
    r = extract_one([src("r.csv", responsible={"column": "Менеджер"})], responsible="Office")
    assert records(r[0])["responsible"].tolist() == ["Olga", "Office"]


def test_unchanged_file_is_reused_from_cache(tmp_path: Path) -> None:
    import yaml

    from transforms.extract import extract_sources
    from transforms.settings import load_sources

    (tmp_path / "a.csv").write_text("Nazwisko,Imię\nNowak,Anna\n", "utf-8")
    (tmp_path / "sources.yml").write_text(yaml.safe_dump({"sources": [src("a.csv")]}), "utf-8")
    spec = load_sources(tmp_path / "sources.yml")
    first = extract_sources(spec, tmp_path / "o1", cache_dir=tmp_path / "cache")
    second = extract_sources(spec, tmp_path / "o2", cache_dir=tmp_path / "cache")
    assert not first[0].reused and second[0].reused
    assert records(second[0]).equals(records(first[0]))
    (tmp_path / "a.csv").write_text("Nazwisko,Imię\nNowak,Anna\nKowal,Jan\n", "utf-8")
    third = extract_sources(spec, tmp_path / "o3", cache_dir=tmp_path / "cache")
    assert not third[0].reused and third[0].rows_extracted == 2


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_sniffed(tmp_path: Path, extract_one: Extract, delimiter: str) -> None:
    (tmp_path / "s.csv").write_text(f"Nazwisko{delimiter}Imię\nNowak{delimiter}Anna\n", "utf-8")
    r = extract_one([src("s.csv")])
    assert records(r[0])["given_name"].tolist() == ["Anna"]


def test_lineage_row_numbers_for_csv_are_line_minus_one(tmp_path: Path, extract_one: Extract) -> None:
    (tmp_path / "l.csv").write_text("Nazwisko,Imię\nA,a\n\nB,b\n", "utf-8")
    r = extract_one([src("l.csv")])
    rec = records(r[0])
    assert rec["row_number"].tolist() == [1, 3] and rec["physical_row"].tolist() == [2, 4]
    assert rec["file_sha256"].str.len().eq(64).all() and rec["sheet"].eq("").all()
