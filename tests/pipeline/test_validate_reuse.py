"""A later night does not check again the files whose rows, settings and invoices are those of an earlier night:
it reuses their verdicts and checks again only the rows whose verdict under the date rules may have moved. The
night's validation is then that of a night run with no cache (failures, metrics, per-file counts), but for the
run id."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from devkit.generator import generate_sample
from tests.support import prepare_night
from transforms.pipeline import tasks
from transforms.pipeline.catalog import RunCatalog, write_parquet
from transforms.pipeline.file_plan import read_night_files
from transforms.pipeline.validate_cache import ENTRY_FILE, invoice_digest
from transforms.quality.as_of_window import AS_OF_RULES, date_rule_rows
from transforms.quality.checks import SUITES, checks_for
from transforms.quality.settings import load_quality_settings

FIRST = "2026-11-20"
NEXT = "2026-11-21"
#: A month later: contacts have turned stale since the first night.
LATER = "2026-12-20"
#: A call of the second day, appended to the call log before the second night.
NEW_CALL = "21.11.2026 10:05;Иванов;Иван;Петрович;+7 912 345 6789;;01.01.1980;Irina Sokolova;Оплата;;5\r\n"


def _night(company: Path, data: Path, run_id: str, as_of: str, *, cache_from: Path | None = None) -> Path:
    """Extract, standardize and validate one night of ``company`` into ``data`` (the caches of ``cache_from``)."""
    run_dir = prepare_night(company, data, run_id, as_of, cache_from=cache_from)
    tasks.extract(run_dir)
    tasks.standardize(run_dir)
    tasks.validate(run_dir)
    return Path(run_dir)


def _per_file_night(company: Path, data: Path, run_id: str, as_of: str, *, cache_from: Path) -> Path:
    """The same night as a scheduler runs it: each file's task, then the combination."""
    run_dir = prepare_night(company, data, run_id, as_of, cache_from=cache_from)
    keys = tasks.night_files(run_dir)
    for key in keys:
        tasks.extract_file(run_dir, key)
    tasks.combine_extract(run_dir)
    for key in keys:
        tasks.standardize_file(run_dir, key)
    tasks.combine_standardize(run_dir)
    for key in keys:
        tasks.validate_file(run_dir, key)
    tasks.combine_validate(run_dir)
    return Path(run_dir)


@contextmanager
def _before_the_new_call(company: Path) -> Iterator[None]:
    """The company's files as they were on the first night: its call log without the call appended since."""
    call_log = company / "journals" / "call_log.csv"
    grown = call_log.read_bytes()
    call_log.write_bytes(grown[: grown.rindex(NEW_CALL.encode("cp1251"))])
    try:
        yield
    finally:
        call_log.write_bytes(grown)


def _parts(run_dir: Path) -> dict[str, dict[str, Any]]:
    run = RunCatalog(run_dir)
    root = run.path("validate.parts")
    return {p.name: run.read_json("validate.part_manifest", part=p.name) for p in sorted(root.iterdir())}


def _reused_files(run_dir: Path) -> set[str]:
    return {k for m in _parts(run_dir).values() if m.get("reused") for k in m["files"]}


def _checksums(run_dir: Path) -> dict[str, str]:
    """The night's failures, metrics and per-file counts, order-free, the run id left out."""
    run = RunCatalog(run_dir)
    out = {}
    for name in ("failure", "metric", "per_file"):
        df = pq.read_table(run.path(f"validate.{name}")).to_pandas().drop(columns=["run_id"], errors="ignore")
        rows = sorted(df.astype(str).agg("\x1f".join, axis=1))
        out[name] = f"{len(df)} rows {hashlib.sha256(chr(10).join(rows).encode()).hexdigest()}"
    return out


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("vreuse_company")
    generate_sample(out, customers=300, seed=5)
    return out


@pytest.fixture(scope="module")
def first_night(company: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first night's data folder (its caches); the call log gets a new call afterwards."""
    data = tmp_path_factory.mktemp("vreuse_first")
    _night(company, data, "night_1", FIRST)
    with (company / "journals" / "call_log.csv").open("ab") as f:
        f.write(NEW_CALL.encode("cp1251"))
    return data


@pytest.fixture(scope="module")
def second_night(company: Path, first_night: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _night(company, tmp_path_factory.mktemp("vreuse_second"), "night_2", NEXT, cache_from=first_night)


@pytest.fixture(scope="module")
def fresh_second_night(company: Path, first_night: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _night(company, tmp_path_factory.mktemp("vreuse_fresh"), "night_2_fresh", NEXT)


def _entries(first_night: Path) -> list[dict[str, Any]]:
    cache = first_night / "cache" / "validate"
    return [json.loads(p.read_text("utf-8")) for p in sorted(cache.glob(f"*/{ENTRY_FILE}"))]


@pytest.mark.slow
def test_a_night_with_one_group_keeps_its_validation(first_night: Path) -> None:
    (entry,) = _entries(first_night)  # the sample's files are validated together, as one part
    assert entry["as_of"] == FIRST
    assert set(entry["parts"]) == {""}
    assert entry["invoice_digest"] is not None  # the sample has payments


@pytest.mark.slow
def test_a_changed_file_in_the_only_group_checks_the_group_again(second_night: Path, fresh_second_night: Path) -> None:
    assert _reused_files(second_night) == set()
    assert RunCatalog(second_night).manifest("validate")["files_reused"] == 0
    assert _checksums(second_night) == _checksums(fresh_second_night)


@pytest.mark.slow
def test_files_checked_one_by_one_reuse_all_but_the_changed_one(
    company: Path, first_night: Path, fresh_second_night: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Under a scheduler each file is a group of its own: a night of per-file tasks fills the cache file by file,
    and the next one checks again only the file whose rows changed (and the payments whose invoices did)."""
    one = tmp_path_factory.mktemp("vreuse_pf1")
    shutil.copytree(first_night / "cache", one / "cache")
    shutil.rmtree(one / "cache" / "validate")
    with _before_the_new_call(company):
        first = _per_file_night(company, tmp_path_factory.mktemp("vreuse_pf1b"), "pf_1", FIRST, cache_from=one)
    data = tmp_path_factory.mktemp("vreuse_pf2")
    second = _per_file_night(company, data, "pf_2", NEXT, cache_from=first.parent.parent)
    names = {f.key: f.source_name for f in read_night_files(second)}
    reused = {names[k] for k in _reused_files(second)}
    assert reused == set(names.values()) - {"call_log"}
    assert RunCatalog(second).manifest("validate")["files_reused"] == len(reused)
    assert _checksums(second) == _checksums(fresh_second_night)
    failure = pq.read_table(RunCatalog(second).path("validate.failure"), columns=["as_of", "run_id"])
    assert set(failure.column("run_id").to_pylist()) == {"pf_2"}
    assert set(failure.column("as_of").to_pylist()) == {dt.date.fromisoformat(NEXT)}
    assert all(m["reused"]["run_id"] == "pf_1" for m in _parts(second).values() if m.get("reused"))
    later = _per_file_night(company, tmp_path_factory.mktemp("vreuse_pf3"), "pf_3", LATER, cache_from=data)
    fresh = _night(company, tmp_path_factory.mktemp("vreuse_pf3f"), "pf_3_fresh", LATER)
    assert {names[k] for k in _reused_files(later)} == set(names.values())
    assert any(m.get("dates_checked_again", {}).get("rows") for m in _parts(later).values())
    assert _checksums(later) == _checksums(fresh)
    assert _stale(later) != _stale(second)  # the month moved verdicts, and the reused night has them


def _stale(run_dir: Path) -> int:
    failures = pq.read_table(RunCatalog(run_dir).path("validate.failure"), columns=["rule"]).to_pandas()
    return int(failures["rule"].eq("stale_record").sum())


@pytest.mark.slow
def test_a_later_night_of_the_same_files_reuses_the_group_and_moves_the_date_rules(
    company: Path, second_night: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    later = _night(company, tmp_path_factory.mktemp("vreuse_l"), "n_l", LATER, cache_from=second_night.parent.parent)
    fresh = _night(company, tmp_path_factory.mktemp("vreuse_lf"), "n_lf", LATER)
    assert _reused_files(later) == {f.key for f in read_night_files(later)}
    assert _checksums(later) == _checksums(fresh)
    assert _stale(later) != _stale(second_night)
    assert RunCatalog(later).manifest("validate")["suites"] == RunCatalog(fresh).manifest("validate")["suites"]


@pytest.mark.slow
def test_the_same_night_again_reuses_everything(
    company: Path, first_night: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    with _before_the_new_call(company):
        again = _night(company, tmp_path_factory.mktemp("vreuse_again"), "night_1b", FIRST, cache_from=first_night)
    files = {f.key for f in read_night_files(again)}
    assert _reused_files(again) == files
    assert _checksums(again) == _checksums(first_night / "runs" / "night_1")
    page = RunCatalog(again).path("validate.data_docs_page").read_text("utf-8")
    assert f"(unchanged: the pages of the night of {FIRST})" in page


@pytest.mark.slow
def test_no_reuse_for_an_earlier_night_or_other_settings(
    company: Path, first_night: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    quality = company / "quality.yml"
    with _before_the_new_call(company):
        earlier = _night(company, tmp_path_factory.mktemp("vreuse_e"), "n0", "2026-11-19", cache_from=first_night)
        assert _reused_files(earlier) == set()
        quality.write_text("stale_after_days: 400\n", "utf-8")
        try:
            other = _night(company, tmp_path_factory.mktemp("vreuse_s"), "n1s", FIRST, cache_from=first_night)
        finally:
            quality.unlink()
        assert _reused_files(other) == set()


def test_the_rows_checked_again_are_those_the_date_rules_may_judge_otherwise() -> None:
    settings = load_quality_settings().model_copy(update={"stale_after_days": 10})
    day = dt.date(2026, 11, 20)
    contacts = pd.DataFrame(
        {
            "last_updated_on": pd.to_datetime(
                ["2026-11-05", "2026-11-12 15:30", "2026-11-19", None, "2026-11-10"], format="mixed"
            ),
            "date_of_birth": pd.to_datetime(["1980-01-01", None, None, "2026-11-25", None]),
        }
    )
    # Three days on, the cutoff moves from 11-10 to 11-13: the contacts updated 11-10 to 11-13 may turn stale.
    later = day + dt.timedelta(days=3)
    assert date_rule_rows(contacts, settings, day, later).tolist() == [False, True, False, False, True]
    assert date_rule_rows(contacts, settings, later, day).tolist() == [False, True, False, False, True]
    week = day + dt.timedelta(days=7)  # and the birth date of 11-25 is reached
    assert date_rule_rows(contacts, settings, day, week).tolist() == [False, True, False, True, True]
    assert not date_rule_rows(contacts.iloc[[0, 2]], settings, day, week).any()


def test_the_recheck_knows_every_check_that_moves_with_the_as_of() -> None:
    """Each rule of the validate stage's suites whose parameters change from one night to the next is one the
    recheck accounts for: a new one must be taught to ``date_rule_rows`` before any reuse relies on it."""
    settings = load_quality_settings()
    day = dt.date(2026, 11, 20)
    moving = set()
    for suite in SUITES:
        if suite == "customer":  # the golden records' suite runs in the link stage, on every night's records
            continue
        today = {c.key: c.params for c in checks_for(suite, settings, day)}
        tomorrow = {c.key: c.params for c in checks_for(suite, settings, day + dt.timedelta(days=1))}
        moving |= {key.split(":")[0] for key in today if today[key] != tomorrow[key]}
    assert moving
    assert moving <= AS_OF_RULES


def test_the_invoice_digest_changes_with_what_the_invoices_say() -> None:
    issued = pd.Series(pd.to_datetime(["2026-01-02", "2026-02-03"]), index=["fv/2026/1", "fv/2026/2"])
    keys = pd.Series(["fv/2026/1", "fv/2026/9"])
    same = invoice_digest(issued, keys)
    assert invoice_digest(issued.copy(), keys) == same
    assert invoice_digest(pd.concat([issued, pd.Series(pd.to_datetime(["2026-03-01"]), index=["x"])]), keys) == same
    moved = issued.copy()
    moved["fv/2026/1"] = pd.Timestamp("2026-01-03")
    assert invoice_digest(moved, keys) != same
    known = pd.concat([issued, pd.Series(pd.to_datetime(["2026-03-01"]), index=["fv/2026/9"])])
    assert invoice_digest(known, keys) != same
    undated = pd.concat([issued, pd.Series(pd.to_datetime([None]), index=["fv/2026/9"])])  # known, no issue date
    assert invoice_digest(undated, keys) != same


def _clean_part(run: RunCatalog, part: str, as_of: dt.date, run_id: str) -> None:
    """A validated part with no failure at all, its tables written as the stage writes them."""
    from transforms.quality.gate import FILE_COLUMNS
    from transforms.quality.tally import failure_frame, metric_frame

    for table, frame in (
        ("failure", failure_frame([], as_of, run_id)),
        ("metric", metric_frame([], as_of, run_id)),
        ("per_file", pd.DataFrame(columns=FILE_COLUMNS)),
    ):
        path = run.output("validate.part_table", part=part, table=table)
        write_parquet(pa.Table.from_pandas(frame, preserve_index=False), path)
    manifest = {"files": ["accounting/invoices.csv"], "rows": 5, "suites": {}, "data_docs": None}
    run.write_json("validate.part_manifest", manifest, part=part)


def test_a_group_without_failures_is_kept_restored_and_corrected(tmp_path: Path) -> None:
    """A clean group's tables have columns of no type: restoring them, and adding tonight's date-rule failures
    to them, must still work."""
    from transforms.pipeline.validate_cache import find_cached, restore, save_cached
    from transforms.pipeline.validate_recheck import _correct
    from transforms.quality.tally import QualityResult

    day = dt.date.fromisoformat(FIRST)
    one = RunCatalog(tmp_path / "one")
    _clean_part(one, "0003", day, "r1")
    cache = tmp_path / "cache"
    save_cached(
        cache, "k", run=one, parts=["0003"], part="0003", as_of=day, run_id="r1", invoice_keys=None, issued=pd.Series
    )
    cached = find_cached(cache, "k")
    assert cached is not None
    two = RunCatalog(tmp_path / "two")
    assert restore(cached, two, "0007", as_of=day + dt.timedelta(days=1), run_id="r2") == (5, 0)
    assert two.read_json("validate.part_manifest", part="0007")["reused"] == {"as_of": FIRST, "run_id": "r1"}
    stale = pd.DataFrame(
        [
            {
                "source_name": "c", "source_file": "c.csv", "sheet": "", "row_number": 3, "record_id": "r",
                "responsible": "Anna", "field": "last_updated", "rule": "stale_record", "severity": "warning",
                "value": "2020-01-01", "message": "stale", "as_of": NEXT, "run_id": "r2",
            }
        ]
    )  # fmt: skip
    counts = pd.DataFrame(
        [{"source_name": "c", "responsible": "Anna", "field": "last_updated", "rule": "stale_record",
          "severity": "warning", "checked": 1, "failed": 1}]
    )  # fmt: skip
    empty = pd.DataFrame(columns=[*counts.columns])
    after = QualityResult(stale.reindex(columns=pq.read_schema(two.path("validate.part_table", part="0007",
                          table="failure")).names), counts, pd.DataFrame(), [], {})  # fmt: skip
    before = QualityResult(stale.iloc[:0], empty, pd.DataFrame(), [], {})
    checked = stale[["source_name", "source_file", "sheet", "row_number", "record_id"]]
    _correct(two, ["0007"], checked, before, after, then=day, tonight=day + dt.timedelta(days=1), run_id="r2")
    failures = pq.read_table(two.path("validate.part_table", part="0007", table="failure")).to_pandas()
    assert failures["rule"].tolist() == ["stale_record"]
    metrics = pq.read_table(two.path("validate.part_table", part="0007", table="metric")).to_pandas()
    assert metrics[["rule", "checked", "failed"]].to_numpy().tolist() == [["stale_record", 1, 1]]


@pytest.mark.slow
def test_only_the_date_rules_judge_an_unchanged_row_otherwise_on_another_night(first_night: Path) -> None:
    """On the first night's rows, every check evaluated as of that night and a year and a half later: the rows
    whose verdict moved are of the date rules only, and among the rows ``date_rule_rows`` names."""
    from transforms.pipeline.staged_rows import read_staged
    from transforms.quality.evaluate import failing_mask
    from transforms.quality.frames import frames_for_run
    from transforms.quality.settings import settings_for_sources
    from transforms.quality.tally import frame_for
    from transforms.standardize.sentinels import load_sentinels

    run_dir = first_night / "runs" / "night_1"
    ctx_sources = RunCatalog(run_dir).path("settings.sources")
    settings, _ = settings_for_sources(ctx_sources)
    staged = read_staged(run_dir)
    day, later = dt.date.fromisoformat(FIRST), dt.date.fromisoformat(FIRST) + dt.timedelta(days=540)
    named = date_rule_rows(staged["contact"], settings, day, later).to_numpy()
    moved: dict[str, set[int]] = {}
    frames = {d: frames_for_run(staged, settings=settings, sentinels=load_sentinels(), as_of=d) for d in (day, later)}
    for suite in SUITES:
        if suite == "customer":
            continue
        pair = [frame_for(suite, frames[d]) for d in (day, later)]
        if pair[0] is None:
            continue
        for one, other in zip(checks_for(suite, settings, day), checks_for(suite, settings, later), strict=True):
            now, then = failing_mask(one, pair[0]).to_numpy(), failing_mask(other, pair[1]).to_numpy()
            if (now != then).any():
                moved.setdefault(one.rule, set()).update(pair[0]["_row"].to_numpy()[now != then].tolist())
    assert set(moved) == AS_OF_RULES or set(moved) == {"stale_record"}
    assert moved["stale_record"]
    assert set().union(*moved.values()) <= set(np.flatnonzero(named).tolist())


def test_entries_unused_for_two_weeks_are_removed(tmp_path: Path) -> None:
    import os

    from transforms.pipeline.standardize_cache import ENTRY_FILE, UNUSED_DAYS, prune_entries

    now = 1_800_000_000.0
    day = 86_400
    for name, age in (("fresh", 1), ("old", UNUSED_DAYS + 1), ("killed.0a.tmp", 2), ("young.0b.tmp", 0.5)):
        folder = tmp_path / name
        folder.mkdir()
        marker = folder if name.endswith(".tmp") else folder / ENTRY_FILE
        if not name.endswith(".tmp"):
            marker.write_text("{}", "utf-8")
        os.utime(marker, (now - age * day, now - age * day))
    (tmp_path / "not_an_entry").mkdir()
    (tmp_path / "a_file.txt").write_text("kept", "utf-8")
    assert prune_entries(tmp_path, ENTRY_FILE, UNUSED_DAYS, now=now) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file.txt", "fresh", "not_an_entry", "young.0b.tmp"]
    assert prune_entries(tmp_path / "absent", ENTRY_FILE, UNUSED_DAYS, now=now) == 0
