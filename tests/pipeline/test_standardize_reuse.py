"""A later night does not standardize again a file whose standardization would give the same rows: same extracted
rows, same settings, an as-of of the same year and not earlier, and no date refused for being after the earlier
night's as-of. Its staged tables are then those of a night run with no cache, but for the run id."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest

from devkit.generator import generate_sample
from tests.support import prepare_night
from transforms.pipeline import tasks
from transforms.pipeline.catalog import RunCatalog
from transforms.pipeline.standardize_cache import ENTRY_FILE, may_reuse
from transforms.standardize.records import DatesAfterAsOf, ReadingRules
from transforms.standardize.source_files import TABLES

FIRST = "2026-11-20"
NEXT = "2026-11-21"
#: A payment dated the day after the first night: refused that night, read by the next.
LATE_PAYMENT = f"WPL00999999,{NEXT},FV/2026/000001,K00001,10.00,PLN\n"
#: A call of the second day, appended to the call log before the second night.
NEW_CALL = "21.11.2026 10:05;Иванов;Иван;Петрович;+7 912 345 6789;;01.01.1980;Irina Sokolova;Оплата;;5\r\n"


def _night(company: Path, data: Path, run_id: str, as_of: str, *, cache_from: Path | None = None) -> Path:
    """Extract and standardize one night of ``company`` into ``data`` (the cache copied from ``cache_from``)."""
    run_dir = prepare_night(company, data, run_id, as_of, cache_from=cache_from)
    tasks.extract(run_dir)
    tasks.standardize(run_dir)
    return Path(run_dir)


def _file_manifests(run_dir: Path) -> dict[str, dict[str, Any]]:
    """Each of the night's files' standardize manifest, by source name."""
    run = RunCatalog(run_dir)
    files = run.manifest("extract")["files"]
    return {
        f["source_name"]: run.read_json("standardize.file_manifest", file=f"{i:04d}")
        for i, f in enumerate(files)
        if f["status"] == "ok"
    }


def _reused(run_dir: Path) -> set[str]:
    return {name for name, m in _file_manifests(run_dir).items() if m["reused"]}


def _checksums(run_dir: Path) -> dict[str, str]:
    """Each staged table's rows, order-free, the run id left out (the as-of kept: both nights have the same)."""
    run = RunCatalog(run_dir)
    out = {}
    for table in TABLES:
        path = run.written(f"standardize.{table}")
        if path is None:
            out[table] = "absent"
            continue
        df = pq.read_table(path).to_pandas().drop(columns=["run_id"])
        rows = sorted(df.astype(str).agg("\x1f".join, axis=1))
        out[table] = f"{len(df)} rows {hashlib.sha256(chr(10).join(rows).encode()).hexdigest()}"
    return out


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 300-customer company whose payments file has one payment dated after the first night."""
    out = tmp_path_factory.mktemp("reuse_company")
    generate_sample(out, customers=300, seed=5)
    with (out / "accounting" / "payments.csv").open("a", encoding="utf-8") as f:
        f.write(LATE_PAYMENT)
    return out


@pytest.fixture(scope="module")
def first_night(company: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first night's data folder (its cache); the call log gets a new call afterwards."""
    data = tmp_path_factory.mktemp("reuse_first")
    _night(company, data, "night_1", FIRST)
    with (company / "journals" / "call_log.csv").open("ab") as f:
        f.write(NEW_CALL.encode("cp1251"))
    return data


@pytest.fixture(scope="module")
def second_night(company: Path, first_night: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _night(company, tmp_path_factory.mktemp("reuse_second"), "night_2", NEXT, cache_from=first_night)


@pytest.mark.slow
def test_a_later_night_reuses_every_unchanged_file(second_night: Path, first_night: Path) -> None:
    manifests = _file_manifests(second_night)
    assert not manifests["call_log"]["reused"]  # its rows changed
    assert not manifests["payments"]["reused"]  # it refused a payment of the second night's day
    entries = {
        name: json.loads((first_night / "cache" / "standardize" / m["cache_key"] / ENTRY_FILE).read_text("utf-8"))
        for name, m in _file_manifests(first_night / "runs" / "night_1").items()
    }
    assert entries["payments"]["first_date_after_as_of"] == NEXT
    unchanged = {
        n
        for n, e in entries.items()
        if n != "call_log" and (e["first_date_after_as_of"] is None or e["first_date_after_as_of"] > NEXT)
    }
    # Some of the sample's files refused a date years ahead (a typo): still refused tomorrow, they are reused.
    assert any(e["first_date_after_as_of"] for n, e in entries.items() if n in unchanged)
    assert _reused(second_night) == unchanged
    assert len(unchanged) == len(manifests) - 2
    manifest = RunCatalog(second_night).manifest("standardize")
    assert manifest["files_reused"] == len(unchanged)


@pytest.mark.slow
def test_reused_rows_are_those_of_a_night_without_cache(
    company: Path, second_night: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    fresh = _night(company, tmp_path_factory.mktemp("reuse_fresh"), "night_2_fresh", NEXT)
    assert _reused(fresh) == set()
    assert _checksums(second_night) == _checksums(fresh)
    contact = pq.read_table(RunCatalog(second_night).written("standardize.contact"), columns=["as_of", "run_id"])
    assert set(contact.column("run_id").to_pylist()) == {"night_2"}
    assert set(contact.column("as_of").to_pylist()) == {dt.date.fromisoformat(NEXT)}


@pytest.mark.slow
def test_the_same_night_again_reuses_even_a_file_with_a_late_date(
    company: Path, first_night: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    again = _night(company, tmp_path_factory.mktemp("reuse_again"), "night_1_again", FIRST, cache_from=first_night)
    assert "payments" in _reused(again)
    assert "call_log" not in _reused(again)


@pytest.mark.slow
@pytest.mark.parametrize("as_of", ["2026-11-19", "2027-01-04"], ids=["earlier night", "next year"])
def test_no_reuse_for_an_earlier_night_or_another_year(
    company: Path, first_night: Path, tmp_path_factory: pytest.TempPathFactory, as_of: str
) -> None:
    night = _night(company, tmp_path_factory.mktemp("reuse_other"), "night_x", as_of, cache_from=first_night)
    assert _reused(night) == set()
    assert RunCatalog(night).manifest("standardize")["files_reused"] == 0


@pytest.mark.slow
def test_no_reuse_for_a_source_whose_settings_changed(
    company: Path, first_night: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    sources = company / "sources.yml"
    original = sources.read_text("utf-8")
    invoices = "- name: invoices\n  kind: invoices\n"
    changed = original.replace(invoices, f"{invoices}  currency: EUR\n")
    assert changed != original
    sources.write_text(changed, "utf-8")
    try:
        night = _night(company, tmp_path_factory.mktemp("reuse_settings"), "night_s", NEXT, cache_from=first_night)
    finally:
        sources.write_text(original, "utf-8")
    reused = _reused(night)
    assert "invoices" not in reused
    assert "accounting_customers" in reused


@pytest.mark.slow
def test_an_entry_left_half_written_is_never_read(
    company: Path, first_night: Path, second_night: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    data = tmp_path_factory.mktemp("reuse_killed")
    shutil.copytree(first_night / "cache", data / "cache")
    key = _file_manifests(first_night / "runs" / "night_1")["accounting_customers"]["cache_key"]
    cache = data / "cache" / "standardize"
    (cache / key).rename(cache / f"{key}.0123456789abcdef.tmp")  # killed before its folder was renamed into place
    night = _night(company, data, "night_k", NEXT)
    manifests = _file_manifests(night)
    assert not manifests["accounting_customers"]["reused"]
    assert "visits" in _reused(night)
    assert (cache / key / ENTRY_FILE).exists()  # written whole this time
    assert _checksums(night) == _checksums(second_night)


def test_the_as_of_rule() -> None:
    day = dt.date(2026, 11, 20)
    tomorrow = day + dt.timedelta(days=1)
    assert may_reuse(day, None, tomorrow)
    assert may_reuse(day, tomorrow, day)  # the same night: the same rows whatever it refused
    assert not may_reuse(day, tomorrow, tomorrow)  # a payment dated tomorrow is read tomorrow
    assert may_reuse(day, dt.date(2026, 11, 25), tomorrow)  # still after tomorrow: still refused
    assert not may_reuse(day, None, day - dt.timedelta(days=1))  # an earlier night refuses dates this one read
    assert not may_reuse(dt.date(2026, 12, 31), None, dt.date(2027, 1, 1))  # "1.1.27": 2027 or 1927 moves


def test_dates_after_the_as_of_are_counted_apart_from_dates_before_1900() -> None:
    late = DatesAfterAsOf()
    rules = ReadingRules(phone_region="PL", date_order="DMY", as_of=dt.date(2026, 11, 20), after_as_of=late)
    values = pd.Series(["25.11.2026", "01.01.1850", "20.11.2026", "31.02.2020", "03.01.2031", None])
    parsed = rules.dates(values, not_after_as_of=True)
    assert parsed["issue"].tolist()[:2] == ["out_of_range", "out_of_range"]
    assert (late.count, late.earliest) == (2, dt.date(2026, 11, 25))
    rules.dates(values)  # a field that allows later dates (an invoice's due date) counts none
    assert late.count == 2
