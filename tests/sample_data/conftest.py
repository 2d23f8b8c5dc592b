"""Generate a small sample once per session and read its files back independently of the generator.

The read-back here deliberately re-implements reading (csv, json, openpyxl) and simple normalizers
(phones, e-mails, dates) instead of reusing generator code: the point is to check that the truth the
generator claims matches what a reader actually finds in the files.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import phonenumbers
import pytest

from devkit.generator import GenerationSummary, generate_sample
from transforms.settings import SourcesFile, load_sources

SAMPLE_CUSTOMERS = 400
SAMPLE_SEED = 20261120


@dataclass
class Sample:
    """A generated sample and its truth tables."""

    summary: GenerationSummary
    sources: SourcesFile
    customers: pd.DataFrame
    rows: pd.DataFrame
    defects: pd.DataFrame
    invoices: pd.DataFrame

    @property
    def out(self) -> Path:
        return self.summary.out_dir


@pytest.fixture(scope="session")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    """400 customers, generated once for all tests of this folder."""
    out = tmp_path_factory.mktemp("sample")
    summary = generate_sample(out, customers=SAMPLE_CUSTOMERS, seed=SAMPLE_SEED)
    truth = summary.truth_dir
    return Sample(
        summary=summary,
        sources=load_sources(out / "sources.yml"),
        customers=pd.read_parquet(truth / "customers.parquet"),
        rows=pd.read_parquet(truth / "rows.parquet"),
        defects=pd.read_parquet(truth / "defects.parquet"),
        invoices=pd.read_parquet(truth / "invoices.parquet"),
    )


# --- reading the files back --------------------------------------------------------------------------------

Key = tuple[str, str]  # (source_file, sheet)


@dataclass
class Table:
    """The data rows of one file/sheet under its header, numbered as the pipeline numbers them."""

    header: list[str]
    rows: dict[int, Any]  # row_number -> list of cells (CSV/xlsx) or the raw line (JSONL)


def _find_header(values: list[tuple[Any, ...]], declared: set[str]) -> int:
    for i, row in enumerate(values[:30]):
        if sum(1 for c in row if isinstance(c, str) and c in declared) >= 2:
            return i
    raise AssertionError(f"no header among the first rows: {values[:3]}")


def read_tables(sample: Sample) -> dict[Key, Table]:
    """Every declared file (and every sheet listed in rows.parquet), read with plain libraries."""
    out: dict[Key, Table] = {}
    sheets_in_truth = sample.rows.groupby("source_file")["sheet"].unique().to_dict()
    for spec in sample.sources.sources:
        path = sample.out / spec.path
        if spec.file_format == "csv":
            enc = spec.encoding or "utf-8"
            text = path.read_bytes().decode(enc)
            records = list(csv.reader(io.StringIO(text, newline=""), delimiter=spec.delimiter or ","))
            out[(spec.path, "")] = Table(records[0], dict(enumerate(records[1:], start=1)))
        elif spec.file_format == "jsonl":
            lines = path.read_text("utf-8").split("\n")
            while lines and not lines[-1].strip():
                lines.pop()
            out[(spec.path, "")] = Table([], dict(enumerate(lines, start=1)))
        else:
            wb = openpyxl.load_workbook(path, read_only=True)
            for sheet in sheets_in_truth.get(spec.path, []):
                values = list(wb[sheet].iter_rows(values_only=True))
                while values and all(v is None for v in values[-1]):
                    values.pop()
                h = _find_header(values, set(spec.columns))
                header = [str(c) if c is not None else "" for c in values[h]]
                out[(spec.path, sheet)] = Table(header, {n: list(r) for n, r in enumerate(values[h + 1 :], start=1)})
            wb.close()
    return out


@pytest.fixture(scope="session")
def tables(sample: Sample) -> dict[Key, Table]:
    """The sample's files read back."""
    return read_tables(sample)


# --- independent normalizers ---------------------------------------------------------------------------------

_PERSIAN = str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")
_PREFIX = re.compile(r"^(tel\.|тел\.|tel:|تلفن:|电话：)\s*", re.IGNORECASE)


def normalize_phone(value: Any, region: str) -> str | None:
    """E.164 from anything a person writes: national forms, 00-prefix, lost '+', floats, Persian digits."""
    if value is None or isinstance(value, list):
        return None
    text = _PREFIX.sub("", str(value).translate(_PERSIAN).strip())
    if re.fullmatch(r"\d+\.0", text):
        text = text[:-2]
    candidates = [text]
    digits = re.sub(r"\D", "", text)
    if digits.startswith("00"):
        candidates.append("+" + digits[2:])
    candidates.append("+" + digits)
    for cand in candidates:
        try:
            num = phonenumbers.parse(cand, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(num):
            return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
    return None


def normalize_email(value: Any) -> str | None:
    """Lower-case, trimmed, without a mailto: prefix."""
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    return text.removeprefix("mailto:") or None


_MONTHS = {
    m.lower(): i
    for i, m in enumerate(
        [
            "",
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ]
    )
    if m
}


_DATE_PATTERNS: list[tuple[re.Pattern[str], Callable[[re.Match[str], str], tuple[int, int, int]]]] = [
    (re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日"), lambda m, _: (int(m[1]), int(m[2]), int(m[3]))),
    (re.compile(r"(\d{4})(\d{2})(\d{2})"), lambda m, _: (int(m[1]), int(m[2]), int(m[3]))),
    (re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"), lambda m, _: (int(m[1]), int(m[2]), int(m[3]))),
    (re.compile(r"([A-Za-z]+) (\d{1,2}), (\d{4})"), lambda m, _: (int(m[3]), _MONTHS[m[1].lower()], int(m[2]))),
    (
        re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})"),
        lambda m, order: (int(m[3]), int(m[1]), int(m[2])) if order == "MDY" else (int(m[3]), int(m[2]), int(m[1])),
    ),
]


def parse_date(value: Any, order: str) -> dt.date | None:
    """A date cell or text in the source's declared order (DMY/MDY/YMD); None if it is not a real date."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str | int):
        return None
    text = str(value).translate(_PERSIAN).strip()
    for pattern, parts in _DATE_PATTERNS:
        if m := pattern.fullmatch(text):
            try:
                return dt.date(*parts(m, order))
            except (ValueError, KeyError):
                return None
    return None


@pytest.fixture(scope="session")
def normalizers() -> dict[str, Callable[..., Any]]:
    """The independent normalizers, for tests that check the truth flags."""
    return {"phone": normalize_phone, "email": normalize_email, "date": parse_date}


def flatten(obj: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested JSON keys as dotted names, lists kept whole."""
    out: dict[str, Any] = {}
    for k, v in obj.items():
        if isinstance(v, dict) and v:
            out.update(flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


@pytest.fixture(scope="session")
def flatten_json() -> Callable[[dict[str, Any]], dict[str, Any]]:
    """The JSON flattener, for tests that read the visits journal."""
    return flatten


def record_values(sample: Sample, tables: dict[Key, Table]) -> pd.DataFrame:
    """For every record row: the phone, e-mail and DOB cells as written, with the source's reading options."""
    out = []
    for spec in sample.sources.sources:
        eff = sample.sources.effective(spec)
        targets: dict[str, list[str]] = {}
        for header, target in spec.columns.items():
            targets.setdefault(target, []).append(header)
        for (path, sheet), table in tables.items():
            if path != spec.path:
                continue
            for n, row in table.rows.items():
                if spec.file_format == "jsonl":
                    try:
                        obj = json.loads(row)
                    except json.JSONDecodeError:
                        continue
                    cells = flatten(obj) if isinstance(obj, dict) else {}
                else:
                    cells = dict(zip(table.header, row, strict=False))

                def first(field: str, cells: dict[str, Any] = cells, targets: dict[str, list[str]] = targets) -> Any:
                    for h in targets.get(field, []):
                        v = cells.get(h)
                        if v not in (None, ""):
                            return v
                    return None

                out.append(
                    {
                        "source_name": spec.name,
                        "source_file": path,
                        "sheet": sheet,
                        "row_number": n,
                        "w_phone": first("phone"),
                        "w_email": first("email"),
                        "w_dob": first("date_of_birth"),
                        "region": eff["phone_region"],
                        "order": eff["date_order"],
                    }
                )
    return pd.DataFrame(out)


@pytest.fixture(scope="session")
def written(sample: Sample, tables: dict[Key, Table]) -> pd.DataFrame:
    """rows.parquet joined with the values actually found in the files."""
    values = record_values(sample, tables)
    return sample.rows.merge(values, on=["source_name", "source_file", "sheet", "row_number"], how="left")
