"""Every hostile file of tests/extract/test_hostile_input.py through one night, the invariants checked at once.

Night 1 reads a small company plus the whole hostile corpus (each file an optional source): no traceback
reaches the user, every failing file is named with its line, cell or field, the other files are published,
physical lines reconcile with loaded + quarantined rows, no personal value reaches the log or ``ops.*``, and
no page the night writes carries a value unescaped. Night 2 loses a required file's amount column: the night
is refused and night 1 stays.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from typer.testing import CliRunner

from devkit.generator import generate_sample
from tests.extract import test_hostile_input as hostile
from tests.support import table_checksums
from transforms.cli import app

pytestmark = pytest.mark.slow  # runs whole nights: full lane only (make test)

#: Values only the hostile files hold: none may appear in the log or in ops.*.
PERSONAL = ("Zażółćka", "699111222", "ul. Sekretna 13", "sekret@x.pl", "Kowalski", "602345678", "Смирнов")
XSS = "<img src=x onerror=alert(1)>"


def headerless(folder: Path) -> str:
    """A customer list exported without its header row: the first line is a customer."""
    rows = ["Zażółćka,Anna,699111222,ul. Sekretna 13", "Lis,Ewa,603344551,ul. Polna 1"]
    (folder / "headerless.csv").write_text("\n".join(rows) + "\n", "utf-8")
    return "headerless.csv"


def xss_cell(folder: Path) -> str:
    """A manager's list with a script where an e-mail belongs."""
    text = f"Nazwisko,Imię,Telefon,Email\nSzpak,Ola,601999888,{XSS}\nGil,Iga,601999887,sekret@x.pl\n"
    (folder / "xss.csv").write_text(text, "utf-8")
    return "xss.csv"


def hostile_amounts(folder: Path) -> str:
    """Payments whose amounts can each be read two ways."""
    amounts = ["1e308", "0,001", "100 USD 200", "1 234.567", "12,50"]
    rows = [f"WPLX{i},FV/X/{i},2026-01-0{i + 1},{a!r}".replace("'", '"') for i, a in enumerate(amounts)]
    (folder / "amounts.csv").write_text("Id,Faktura,Data,Kwota\n" + "\n".join(rows) + "\n", "utf-8")
    return "amounts.csv"


CONTACT = hostile.CONTACT_COLUMNS
#: (builder, kind, columns, extra keys, expected: "ok" or the text the failure names)
CORPUS: list[tuple[Any, str, dict[str, str], dict[str, Any], str]] = [
    (hostile.unclosed_quote, "spreadsheet", CONTACT, {}, "ok"),
    (hostile.quote_closed_lines_later, "spreadsheet", CONTACT, {}, "ok"),
    (hostile.customers_named_like_totals, "spreadsheet", CONTACT, {}, "ok"),
    (xss_cell, "spreadsheet", CONTACT, {}, "ok"),
    (hostile.unicode_line_separators, "journal", {"name": "given_name", "note": "notes", "phone": "phone"}, {}, "ok"),
    (hostile.deep_json, "journal", {"name": "given_name", "phone": "phone"}, {}, "ok"),
    (hostile_amounts, "payments", hostile.PAYMENT_COLUMNS, {}, "ok"),
    (hostile.payments_without_amount, "payments", hostile.PAYMENT_COLUMNS, {}, "field 'amount'"),
    (hostile.mixed_encoding, "journal", hostile.RU_COLUMNS, {"encoding": "auto"}, "line 22"),
    (hostile.stray_cell_far_away, "spreadsheet", CONTACT, {}, "cell XFD1048576"),
    (headerless, "spreadsheet", {**CONTACT, "Ulica": "street"}, {}, "field 'header'"),
]


def add_corpus(company: Path) -> dict[str, str]:
    """Write the corpus into ``company/hostile`` and declare each file an optional source; file -> expectation."""
    folder = company / "hostile"
    folder.mkdir()
    doc = yaml.safe_load((company / "sources.yml").read_text("utf-8"))
    expected = {}
    for i, (build, kind, columns, extra, outcome) in enumerate(CORPUS):
        name = build(folder)
        doc["sources"].append(
            {
                "name": f"hostile_{i}",
                "kind": kind,
                "path": f"hostile/{name}",
                "columns": columns,
                "required": False,
                **extra,
            }
        )
        expected[f"hostile/{name}"] = outcome
    (company / "sources.yml").write_text(yaml.safe_dump(doc, allow_unicode=True), "utf-8")
    return expected


def night(company: Path, data: Path, as_of: str) -> Any:
    url = f"duckdb:///{data / 'warehouse.duckdb'}"
    args = ["run", "--sources", str(company / "sources.yml"), "--warehouse", url, "--data-dir", str(data)]
    return CliRunner().invoke(app, [*args, "--as-of", as_of, "--run-id", f"night_{as_of}"])


def physical_lines(path: Path) -> int | None:
    """Lines under the header of a CSV or JSON-lines file (None for workbooks)."""
    if path.suffix == ".jsonl":
        return len(path.read_text("utf-8").rstrip("\n").split("\n"))
    if path.suffix == ".csv":
        return hostile.physical_lines_below_header(path)
    return None


@pytest.fixture(scope="module")
def hostile_night(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    company = tmp_path_factory.mktemp("hostile_company")
    generate_sample(company, customers=40, seed=7)
    expected = add_corpus(company)
    data = tmp_path_factory.mktemp("hostile_data")
    logger = logging.getLogger()
    records: list[logging.LogRecord] = []
    handler = logging.Handler(level=logging.DEBUG)
    handler.emit = records.append  # type: ignore[method-assign]
    logger.addHandler(handler)
    try:
        first = night(company, data, "2026-11-19")
        db = data / "warehouse.duckdb"
        before = table_checksums(db)
        # night 2: the required payments file loses its amount column
        payments = company / "accounting" / "payments.csv"
        lines = payments.read_text("utf-8").splitlines()
        header = lines[0].split(",")
        keep = [i for i, h in enumerate(header) if h.strip().casefold() not in ("kwota", "amount")]
        shutil.copy(payments, company / "payments.bak")
        payments.write_text("\n".join(",".join(r.split(",")[i] for i in keep) for r in lines) + "\n", "utf-8")
        second = night(company, data, "2026-11-20")
        after = table_checksums(db)
    finally:
        logger.removeHandler(handler)
    log_text = "\n".join(r.getMessage() for r in records if r.levelno >= logging.INFO)
    return {
        "company": company,
        "expected": expected,
        "db": db,
        "first": first,
        "second": second,
        "before": before,
        "after": after,
        "log": log_text,
        "data": data,
    }


def test_no_traceback_reaches_the_user(hostile_night: dict[str, Any]) -> None:
    first, second = hostile_night["first"], hostile_night["second"]
    assert first.exit_code == 0, first.output
    assert "Traceback" not in first.output and "Traceback" not in second.output
    assert second.exit_code == 1 and "payments.csv" in second.output and "'amount'" in second.output


def test_every_failing_file_is_named_with_its_place_and_the_others_are_published(
    hostile_night: dict[str, Any],
) -> None:
    with duckdb.connect(str(hostile_night["db"]), read_only=True) as con:
        lines = con.execute(
            "select source_file, status, error, rows_read, rows_loaded, rows_quarantined from ops.reconciliation "
            "where run_id = 'night_2026-11-19'"
        ).fetchall()
        status = con.execute("select status from ops.run where run_id = 'night_2026-11-19'").fetchone()
    assert status == ("succeeded_with_errors",)
    by_file = {ln[0]: ln for ln in lines}
    for file, outcome in hostile_night["expected"].items():
        _, st, error, *_ = by_file[file]
        if outcome == "ok":
            assert st == "ok", (file, error)
        else:
            assert st == "failed" and file in error and outcome in error, (file, error)
    assert all(st == "ok" for f, st, *_ in lines if not f.startswith("hostile/"))


def test_physical_lines_reconcile_with_loaded_and_quarantined_rows(hostile_night: dict[str, Any]) -> None:
    with duckdb.connect(str(hostile_night["db"]), read_only=True) as con:
        lines = con.execute(
            "select source_file, rows_read, rows_physical, rows_loaded, rows_quarantined from ops.reconciliation "
            "where run_id = 'night_2026-11-19' and status = 'ok'"
        ).fetchall()
    for file, read, physical, loaded, quarantined in lines:
        assert read == loaded + quarantined, file
        assert physical is not None, file  # ops.reconciliation says how many lines the file has, for every file read
        if file.startswith("hostile/"):
            assert physical_lines(hostile_night["company"] / file) in (None, read), file
            assert physical_lines(hostile_night["company"] / file) in (None, physical), file


def test_no_personal_value_in_the_log_or_ops(hostile_night: dict[str, Any]) -> None:
    with duckdb.connect(str(hostile_night["db"]), read_only=True) as con:
        ops_text = "\n".join(
            str(row)
            for table in ("ops.run", "ops.task_run", "ops.reconciliation")
            for row in con.execute(f"select * from {table}").fetchall()
        )
    for value in PERSONAL:
        assert value not in ops_text, value
        assert value not in hostile_night["log"], value


def test_the_refused_night_keeps_the_previous_one(hostile_night: dict[str, Any]) -> None:
    assert hostile_night["after"] == hostile_night["before"]
    with duckdb.connect(str(hostile_night["db"]), read_only=True) as con:
        status, message = con.execute(
            "select status, message from ops.run where run_id = 'night_2026-11-20'"
        ).fetchone()
    assert status == "failed" and "payments.csv" in message


def test_no_page_carries_a_value_unescaped(hostile_night: dict[str, Any]) -> None:
    pages = list((hostile_night["data"] / "runs").rglob("*.html"))
    assert any("data_docs" in str(p) for p in pages)
    assert any(p.name == "report.html" for p in pages)
    for page in pages:
        assert XSS not in page.read_text("utf-8", errors="replace"), page
