"""sources.yml validates with the pipeline's own loader and declares exactly what was written."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl

from transforms.settings import load_sources

Sample = Any


def test_sources_yml_validates_with_load_sources(sample: Sample) -> None:
    spec = load_sources(sample.out / "sources.yml")
    names = [s.name for s in spec.sources]
    assert names == [
        "call_log",
        "visits",
        "anna_kowalska",
        "biuro_warszawa",
        "john_miller",
        "irina_sokolova",
        "reza_ahmadi",
        "li_wei",
        "accounting_customers",
        "invoices",
        "payments",
    ]
    for s in spec.sources:
        assert not Path(s.path).is_absolute(), "paths must be relative to sources.yml"
        assert Path(s.pattern).is_file(), s.path


def test_reading_options_are_declared(sample: Sample) -> None:
    spec = sample.sources
    call = spec.source("call_log")
    assert (call.encoding, call.delimiter, call.phone_region) == ("cp1251", ";", "RU")
    assert call.responsible is not None and call.responsible.column == "Менеджер"
    assert spec.source("john_miller").date_order == "MDY"
    assert spec.source("anna_kowalska").header_row == "auto"
    assert spec.source("biuro_warszawa").responsible is not None
    assert spec.source("biuro_warszawa").responsible.column == "Opiekun"  # type: ignore[union-attr]
    assert spec.source("anna_kowalska").responsible.employee == "Anna Kowalska"  # type: ignore[union-attr]
    assert spec.source("accounting_customers").encoding == "utf-8-sig"
    # The sample company declares no "unavailable" markers: the bundled registry must recognise them all.
    assert not spec.defaults.sentinels


def test_declared_headers_are_the_written_ones(sample: Sample, flatten_json: Callable[..., dict[str, Any]]) -> None:
    for s in sample.sources.sources:
        path = sample.out / s.path
        if s.file_format == "csv":
            first = path.read_bytes().decode(s.encoding or "utf-8").splitlines()[0]
            written = set(first.split(s.delimiter or ","))
            assert set(s.columns) <= written, (s.name, set(s.columns) - written)
        elif s.file_format == "jsonl":
            keys: set[str] = set()
            for line in path.read_text("utf-8").splitlines():
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError:
                    continue
                keys |= set(flatten_json(obj))
            assert set(s.columns) <= keys, (s.name, set(s.columns) - keys)
            assert {"name", "contact.first_name"} <= set(s.columns), "both schema versions are declared"
        else:
            wb = openpyxl.load_workbook(path, read_only=True)
            sheets = [ws for ws in wb.worksheets if ws.sheet_state == "visible"]
            if isinstance(s.sheets, list):
                sheets = [wb[name] for name in s.sheets]
            for ws in sheets:
                top = [c for row in ws.iter_rows(max_row=5, values_only=True) for c in row if isinstance(c, str)]
                assert set(s.columns) <= set(top), (s.name, ws.title, set(s.columns) - set(top))
            wb.close()
