"""A file checked in pieces that changed since an earlier night checks only the pieces whose rows changed: the
others take the verdicts that night kept of the same rows, their date rules checked again on their own rows. The
night's validation is then that of a night run with no cache (failures, metrics, per-file counts), but for the
run id.

Pieces (``validate_stage.PART_ROWS``) and standardize chunks (``standardize_stage.CHUNK_ROWS``) are made small
here so that a 300-customer company's files have several."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devkit.generator import generate_sample
from tests.pipeline.test_standardize_chunk_reuse import _edit_csv_row
from tests.pipeline.test_validate_reuse import FIRST, LATER, NEW_CALL, NEXT, _checksums
from tests.support import prepare_night
from transforms.pipeline import standardize_stage, tasks, validate_stage
from transforms.pipeline.catalog import RunCatalog
from transforms.pipeline.validate_cache import ENTRY_FILE, PIECES_FOLDER

CALL_LOG = "journals/call_log.csv"
CUSTOMERS = "accounting/customers.csv"
INVOICES = "accounting/invoices.csv"


@pytest.fixture(scope="module")
def small_pieces() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(standardize_stage, "CHUNK_ROWS", 40)
        mp.setattr(validate_stage, "PART_ROWS", 60)
        yield


def _night(company: Path, data: Path, run_id: str, as_of: str, *, cache_from: Path | None = None) -> Path:
    run_dir = prepare_night(company, data, run_id, as_of, cache_from=cache_from)
    tasks.extract(run_dir)
    tasks.standardize(run_dir)
    tasks.validate(run_dir)
    return Path(run_dir)


def _pieces(run_dir: Path, file: str) -> list[dict[str, Any]]:
    """The manifests of the pieces one file (its key: its path in the company's folder) was checked in, in order."""
    run = RunCatalog(run_dir)
    root = run.path("validate.parts")
    manifests = [run.read_json("validate.part_manifest", part=p.name) for p in sorted(root.iterdir())]
    mine = [m for m in manifests if m.get("chunk") and m["files"] == [file]]
    return sorted(mine, key=lambda m: m["chunk"]["index"])


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("piece_company")
    generate_sample(out, customers=300, seed=5)
    return out


@pytest.fixture(scope="module")
def first_night(company: Path, small_pieces: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first night's data folder; then the call log grows by a call and a customer's city is retyped in the
    middle of the accounting customer list."""
    data = tmp_path_factory.mktemp("piece_first")
    _night(company, data, "night_1", FIRST)
    with (company / "journals" / "call_log.csv").open("ab") as f:
        f.write(NEW_CALL.encode("cp1251"))
    _edit_csv_row(company / "accounting" / "customers.csv", 100, "Miejscowość", "Gdańsk")
    return data


def _with_and_without_cache(
    company: Path, first_night: Path, as_of: str, factory: pytest.TempPathFactory
) -> tuple[Path, Path]:
    night = _night(company, factory.mktemp("piece_night"), "night_2", as_of, cache_from=first_night)
    fresh = _night(company, factory.mktemp("piece_fresh"), "night_2", as_of)
    return night, fresh


@pytest.mark.slow
def test_a_changed_file_checks_only_its_changed_pieces(
    company: Path, first_night: Path, small_pieces: None, tmp_path_factory: pytest.TempPathFactory
) -> None:
    started = time.time()
    night, fresh = _with_and_without_cache(company, first_night, NEXT, tmp_path_factory)
    calls = _pieces(night, CALL_LOG)
    assert len(calls) >= 3
    # The invoices did not change: their whole entry was reused, and their pieces' entries were kept with it.
    invoices = _pieces(night, INVOICES)
    assert len(invoices) >= 2 and all(p.get("reused") for p in invoices)
    pieces = night.parents[1] / "cache" / "validate" / PIECES_FOLDER
    assert all((pieces / p["chunk"]["piece_key"] / ENTRY_FILE).stat().st_mtime >= started for p in invoices)
    # The call log grew at its end: every piece but its last (which now holds the new call) is reused.
    assert [bool(p.get("reused")) for p in calls] == [True] * (len(calls) - 1) + [False]
    customers = _pieces(night, CUSTOMERS)
    assert sum(not p.get("reused") for p in customers) == 1
    # Each reused piece says tonight's place in the file.
    assert [p["chunk"]["index"] for p in calls] == list(range(1, len(calls) + 1))
    assert {p["chunk"]["file_rows"] for p in calls if p["chunk"]["table"] == "contact"} == {
        p["chunk"]["file_rows"] for p in _pieces(fresh, CALL_LOG) if p["chunk"]["table"] == "contact"
    }
    assert _checksums(night) == _checksums(fresh)
    manifest = RunCatalog(night).manifest("validate")
    assert manifest["pieces_reused"] >= len(calls) - 1 + len(customers) - 1
    files = {k for m in (calls, customers) for p in m for k in p["files"]}
    assert not files & set(_reused_files(manifest, night))


def _reused_files(manifest: dict[str, Any], run_dir: Path) -> set[str]:
    """The files the validate manifest counts as reused: those every part of which was."""
    run = RunCatalog(run_dir)
    root = run.path("validate.parts")
    parts = [run.read_json("validate.part_manifest", part=p.name) for p in root.iterdir()]
    tonight = {k for p in parts if not p.get("reused") for k in p["files"]}
    reused = {k for p in parts if p.get("reused") for k in p["files"]} - tonight
    assert manifest["files_reused"] == len(reused)
    return reused


@pytest.mark.slow
def test_reused_pieces_a_month_later_have_their_date_rules_checked_again(
    company: Path, first_night: Path, small_pieces: None, tmp_path_factory: pytest.TempPathFactory
) -> None:
    night, fresh = _with_and_without_cache(company, first_night, LATER, tmp_path_factory)
    calls = _pieces(night, CALL_LOG)
    assert sum(bool(p.get("reused")) for p in calls) == len(calls) - 1
    # The customer list's contacts turned stale meanwhile: its reused pieces had their date rules checked again.
    customers = _pieces(night, CUSTOMERS)
    assert sum(bool(p.get("dates_checked_again")) for p in customers if p.get("reused")) >= 2
    assert _checksums(night) == _checksums(fresh)


@pytest.mark.slow
def test_every_piece_is_kept_in_the_cache(first_night: Path) -> None:
    pieces = first_night / "cache" / "validate" / PIECES_FOLDER
    entries = [json.loads(p.read_text("utf-8")) for p in pieces.glob(f"*/{ENTRY_FILE}")]
    assert len(entries) >= 6
    assert all(e["as_of"] == FIRST and set(e["parts"]) == {""} and e["parts"][""]["chunk"] for e in entries)


@pytest.mark.slow
def test_a_piece_whose_entry_was_rewritten_while_read_is_checked_again(
    company: Path,
    first_night: Path,
    small_pieces: None,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Another night wrote a piece's entry again while tonight restored it (its tables may come from two nights):
    the piece is checked again, and the night's validation is still that of a night without cache."""
    real = validate_stage.find_cached
    calls: dict[str, int] = {}

    def rewritten_on_second_look(cache_dir: Path, key: str) -> Any:
        if cache_dir.name != PIECES_FOLDER:
            return real(cache_dir, key)
        calls[key] = calls.get(key, 0) + 1
        return real(cache_dir, key) if calls[key] % 2 else None

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(validate_stage, "find_cached", rewritten_on_second_look)
        night, fresh = _with_and_without_cache(company, first_night, NEXT, tmp_path_factory)
    assert calls and not any(p.get("reused") for p in _pieces(night, CALL_LOG))
    assert _checksums(night) == _checksums(fresh)
