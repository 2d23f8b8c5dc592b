"""Every file exists, holds exactly the rows rows.parquet describes, and each row is what its type says."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from typing import Any

import openpyxl

Sample = Any
Tables = dict[tuple[str, str], Any]


def test_every_declared_file_and_truth_table_exists(sample: Sample) -> None:
    out = sample.out
    for rel in [
        "journals/call_log.csv",
        "journals/visits.jsonl",
        "accounting/customers.csv",
        "accounting/invoices.csv",
        "accounting/payments.csv",
        "sources.yml",
        "README.md",
        "truth/customers.parquet",
        "truth/rows.parquet",
        "truth/defects.parquet",
        "truth/invoices.parquet",
    ]:
        assert (out / rel).is_file(), rel
    workbooks = sorted(p.name for p in (out / "spreadsheets").glob("*.xlsx"))
    assert len(workbooks) >= 5
    assert "synthetic" in (out / "README.md").read_text("utf-8").lower()
    assert sample.summary.truth_dir == out / "truth"
    assert all(p.is_file() for p in sample.summary.files)


def test_row_counts_match_truth(sample: Sample, tables: Tables) -> None:
    truth = sample.rows.groupby(["source_file", "sheet"]).size().to_dict()
    found = {key: len(t.rows) for key, t in tables.items()}
    assert found == truth
    for rel, n in sample.summary.rows_per_file.items():
        if not rel.startswith("truth/"):
            assert n == sum(v for (f, _), v in truth.items() if f == rel), rel


def test_row_numbers_are_dense_from_one(sample: Sample) -> None:
    for (_, _), g in sample.rows.groupby(["source_file", "sheet"]):
        numbers = sorted(g["row_number"])
        assert numbers == list(range(1, len(numbers) + 1))


def _is_blank(row: Any) -> bool:
    if isinstance(row, str):
        return not row.strip()
    return all(c in (None, "") for c in row)


def test_row_types_match_the_physical_rows(sample: Sample, tables: Tables) -> None:
    totals = re.compile(r"^(Razem|Итого|Total|جمع|合计)")
    for (path, sheet), g in sample.rows.groupby(["source_file", "sheet"]):
        table = tables[(path, sheet)]
        for n, row_type in zip(g["row_number"], g["row_type"], strict=True):
            row = table.rows[n]
            if row_type == "blank":
                assert _is_blank(row), (path, sheet, n, row)
                continue
            assert not _is_blank(row), (path, sheet, n, row_type)
            filled = [c for c in row if c not in (None, "")] if not isinstance(row, str) else []
            if row_type == "section_title":
                assert len(filled) == 1 and not totals.match(str(filled[0])), (path, n, row)
            elif row_type == "total":
                assert len(filled) == 1 and totals.match(str(filled[0])), (path, n, row)
            elif row_type == "repeated_header":
                assert [str(c) for c in row] == table.header, (path, n, row)
            elif row_type == "malformed":
                try:
                    json.loads(row)
                except json.JSONDecodeError:
                    continue
                raise AssertionError(f"{path}:{n} is marked malformed but parses: {row}")
            elif path.endswith(".jsonl"):
                assert isinstance(json.loads(row), dict)
            elif not isinstance(row, str):
                assert len(filled) >= 2, (path, sheet, n, row)


def test_call_log_is_cp1251_with_russian_headers(sample: Sample) -> None:
    raw = (sample.out / "journals/call_log.csv").read_bytes()
    try:
        raw.decode("utf-8")
        raise AssertionError("the call log should not be valid UTF-8")
    except UnicodeDecodeError:
        pass
    text = raw.decode("cp1251")
    header = text.splitlines()[0].split(";")
    assert header[:4] == ["Дата звонка", "Фамилия", "Имя", "Отчество"]
    assert re.search(r"[А-Яа-я]{3,}", "\n".join(text.splitlines()[1:])), "Cyrillic names in the data"


def test_visits_have_both_schemas_and_broken_lines(sample: Sample, tables: Tables) -> None:
    lines = tables[("journals/visits.jsonl", "")].rows
    old, new, broken, list_phone = [], [], 0, 0
    for n in sorted(lines):
        line = lines[n]
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            broken += 1
            continue
        if "contact" in obj:
            new.append(dt.datetime.fromisoformat(obj["visited_at"]))
            assert {"survey", "tags", "preferences"} <= set(obj)
            list_phone += isinstance(obj["contact"].get("phone"), list)
        else:
            assert "visited" in obj and "contact" not in obj
            old.append(dt.datetime.strptime(obj["visited"], "%Y-%m-%d %H:%M"))
            list_phone += isinstance(obj.get("phone"), list)
    assert old and new and broken
    assert max(old) < min(new), "the schema changed once, at a date"
    marked = sample.rows[(sample.rows.source_name == "visits") & (sample.rows.row_type == "malformed")]
    assert len(marked) == broken
    wrong = sample.defects[(sample.defects.source_name == "visits") & (sample.defects.defect == "wrong_type")]
    assert len(wrong) == list_phone


def test_us_workbook_writes_month_first_text_dates(sample: Sample, written: Any) -> None:
    john = written[(written.source_name == "john_miller") & (written.row_type == "record")]
    text = john[john.w_dob.map(lambda v: isinstance(v, str) and "/" in v) & (john.dob_written_ok == True)]  # noqa: E712
    assert len(text) >= 20
    month_first = 0
    for value, truth in zip(text.w_dob, text.date_of_birth, strict=True):
        m, d, y = (int(x) for x in value.split("/"))
        assert (y, m, d) == (truth.year, truth.month, truth.day), value
        month_first += d > 12
    assert month_first > 0, "some dates are only readable month-first"


def test_workbook_layout_features(sample: Sample) -> None:
    out = sample.out / "spreadsheets"
    anna = openpyxl.load_workbook(out / "anna_kowalska.xlsx")
    assert [ws.title for ws in anna.worksheets] == ["Klienci", "Archiwum", "Notatki"]
    assert anna["Notatki"].sheet_state == "hidden"
    top = [r[0] for r in anna["Klienci"].iter_rows(max_row=4, values_only=True)]
    assert top[0] and top[1].startswith("Lista klientów") and top[2] is None and top[3] == "Lp."
    assert anna.properties.created == anna.properties.modified
    reza = openpyxl.load_workbook(out / "reza_ahmadi.xlsx")
    cells = [c for row in reza.worksheets[0].iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert any(re.search("[\u0600-\u06ff]{2,}", c) for c in cells), "Persian script names"
    assert any(re.search("[۰-۹]", c) for c in cells), "some Persian digits"
    li = openpyxl.load_workbook(out / "li_wei.xlsx")
    names = [r[1] for r in li.worksheets[0].iter_rows(min_row=4, values_only=True)]
    assert any(isinstance(n, str) and re.search(r"[\u4e00-\u9fff]+ \([A-Z][a-z]+ ", n) for n in names), "with pinyin"
    numbers = [
        c
        for wb in (anna, reza, li)
        for ws in wb.worksheets
        for row in ws.iter_rows(values_only=True)
        for c in row
        if isinstance(c, int) and c > 10**8
    ]
    assert numbers, "phones stored as numbers"
    biuro = sample.rows[sample.rows.source_name == "biuro_warszawa"]
    assert (biuro.row_type == "repeated_header").sum() >= 1


def test_row_type_mix(sample: Sample) -> None:
    counts = Counter(sample.rows.row_type)
    for row_type in ("record", "blank", "section_title", "total", "repeated_header", "malformed"):
        assert counts[row_type] > 0, row_type
