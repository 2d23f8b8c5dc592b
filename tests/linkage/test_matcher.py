"""On-entry matching (``crm-etl match``) against the index of a finished run of the 400-customer sample."""

from __future__ import annotations

import dataclasses
import io
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import phonenumbers
import pyarrow as pa
import pytest

from tests.support import PipelineRun
from transforms.linkage import link_records
from transforms.linkage.match_command import match_command
from transforms.linkage.matcher import MatchIndex, prepare_one, write_match_index
from transforms.linkage.prepare import prepare_records
from transforms.pipeline.catalog import RunCatalog

LOCATION = ["source_name", "source_file", "sheet", "row_number"]


@pytest.fixture(scope="module")
def index(pipeline_run: PipelineRun) -> MatchIndex:
    return MatchIndex.build(pipeline_run.run_dir)


@pytest.fixture(scope="module")
def contacts(pipeline_run: PipelineRun) -> pd.DataFrame:
    """Staged contacts with their customer (the night's) and the generator's true customer and script."""
    staged = pd.read_parquet(pipeline_run.run_dir / "standardize" / "contact.parquet")
    links = pd.read_parquet(pipeline_run.run_dir / "link" / "customer_source_record.parquet")
    truth = pd.read_parquet(pipeline_run.sample_dir / "truth" / "rows.parquet")
    people = pd.read_parquet(pipeline_run.sample_dir / "truth" / "customers.parquet")
    out = staged.merge(links[["record_id", "customer_id"]], on="record_id")
    out = out.merge(truth[[*LOCATION, "customer_id"]].rename(columns={"customer_id": "true_id"}), on=LOCATION)
    cols = ["customer_id", "script", "given_name_latin", "surname_latin", "is_company"]
    return out.merge(people[cols].add_prefix("true_").rename(columns={"true_customer_id": "true_id"}), on="true_id")


def _strong(contacts: pd.DataFrame) -> pd.DataFrame:
    """Person rows with a name, a valid phone and a date of birth: what a form would carry."""
    ok = (
        contacts["given_name"].notna()
        & contacts["surname"].notna()
        & contacts["phone_e164"].notna()
        & contacts["date_of_birth"].notna()
        & ~contacts["true_is_company"].astype(bool)
    )
    return contacts[ok]


def _typo(word: str) -> str:
    """Two inner letters swapped (Kowalski -> Kowlaski)."""
    if len(word) < 4:
        return word + word[-1]
    i = len(word) // 2
    return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]


def _national(e164: str) -> tuple[str, str]:
    """The phone as written at home ("601 234 567", "8 (912) 345-67-89") and its region."""
    number = phonenumbers.parse(e164)
    region = phonenumbers.region_code_for_number(number) or "PL"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL), region


def _first(index: MatchIndex, record: dict[str, Any]) -> str | None:
    found = index.match(record, limit=3)
    return found[0]["customer_id"] if found else None


def test_prepare_one_equals_prepare_records(index: MatchIndex, contacts: pd.DataFrame) -> None:
    frame = prepare_records(contacts, index.settings)
    for i, row in enumerate(contacts.head(600).to_dict("records")):
        one = prepare_one(row, index.settings)
        for key, value in one.items():
            other = frame.at[i, key]
            if value is None:
                assert other is None or pd.isna(other), (i, key)
            else:
                assert value == other, (i, key)


def test_copy_with_a_typo_finds_the_rows_customer(index: MatchIndex, contacts: pd.DataFrame) -> None:
    rows = _strong(contacts[contacts["true_script"] == "Latn"]).sample(25, random_state=1)
    misses = []
    for row in rows.itertuples():
        record = {
            "given_name": row.given_name,
            "surname": _typo(str(row.surname)),
            "phone": row.phone_e164,
            "date_of_birth": row.date_of_birth.isoformat(),
        }
        if _first(index, record) != row.customer_id:
            misses.append(row.record_id)
    assert len(misses) <= 1, misses


def test_other_script_and_phone_written_at_home_find_the_customer(index: MatchIndex, contacts: pd.DataFrame) -> None:
    native = _strong(contacts[contacts["true_script"].isin(["Cyrl", "Hani", "Arab"])])
    native = native[native["given_name"] != native["true_given_name_latin"]]
    rows = native.sample(min(25, len(native)), random_state=2)
    assert len(rows) >= 10
    misses = []
    for row in rows.itertuples():
        phone, region = _national(row.phone_e164)
        record = {
            "given_name": row.true_given_name_latin,  # written in Latin letters where the row is not
            "surname": row.true_surname_latin,
            "phone": phone,
            "phone_region": region,
            "date_of_birth": row.date_of_birth.strftime("%d.%m.%Y"),
        }
        if _first(index, record) != row.customer_id:
            misses.append(row.record_id)
    assert len(misses) <= 2, misses


def test_made_up_person_finds_nobody(index: MatchIndex) -> None:
    record = {
        "given_name": "Eulalia",
        "surname": "Quintanilla-Brzęczyszczykiewicz",
        "date_of_birth": "1931-02-29",
        "phone": "+48 699 000 017",
        "email": "eulalia.q@example.org",
        "city": "Kraków",
    }
    result = index.match_record(record)
    assert result.linkable
    assert result.matches == []
    assert any(i["field"] == "date_of_birth" for i in result.issues)  # 29 February 1931 does not exist


def test_same_probability_as_the_nightly_pair_score(index: MatchIndex, contacts: pd.DataFrame) -> None:
    staged = contacts.drop(columns=[c for c in contacts.columns if c.startswith("true_")] + ["customer_id"])
    night = link_records(staged, index.settings, seed=0)
    assert night.model.prior == pytest.approx(index.model.prior, rel=1e-9)
    pairs = night.pairs[night.pairs["match_probability"] > 1e-3]
    pairs = pairs.sample(min(150, len(pairs)), random_state=3)
    by_id = staged.set_index("record_id")
    checked = 0
    for pair in pairs.itertuples():
        scored, _ = index.score_pairs(
            prepare_one(by_id.loc[pair.record_id_r].to_dict() | {"record_id": pair.record_id_r}, index.settings)
        )
        mine = scored[scored["record_id"] == pair.record_id_l]
        assert len(mine) == 1, pair
        assert mine["match_probability"].iloc[0] == pytest.approx(pair.match_probability, rel=1e-9, abs=1e-12)
        checked += 1
    assert checked >= 50


def test_save_and_load_give_the_same_answers(index: MatchIndex, contacts: pd.DataFrame, tmp_path: Path) -> None:
    loaded = MatchIndex.load(index.save(tmp_path / "idx"))
    assert len(loaded) == len(index)
    assert loaded.settings == index.settings
    assert loaded.model.to_dict() == index.model.to_dict()
    for name, (hashes, positions) in index.blocks.items():
        np.testing.assert_array_equal(loaded.blocks[name][0], hashes)
        np.testing.assert_array_equal(loaded.blocks[name][1], positions)
    for row in _strong(contacts).head(10).itertuples():
        record = {"given_name": row.given_name, "surname": row.surname, "phone": row.phone_e164}
        assert loaded.match(record) == index.match(record)


def test_values_arrow_split_in_pieces_save_and_load_the_same(
    index: MatchIndex, contacts: pd.DataFrame, tmp_path: Path
) -> None:
    """Arrow splits a column holding more than 2 GB of text into pieces (a company of a million customers)."""
    split = {c: pa.chunked_array([v.slice(0, len(v) // 2), v.slice(len(v) // 2)]) for c, v in index.values.items()}
    pieces = dataclasses.replace(index, values=split)  # type: ignore[arg-type]
    loaded = MatchIndex.load(pieces.save(tmp_path / "idx"))
    for c, v in index.values.items():
        assert loaded.values[c].equals(v)
    for row in _strong(contacts).head(5).itertuples():
        record = {"given_name": row.given_name, "surname": row.surname, "phone": row.phone_e164}
        assert loaded.match(record) == index.match(record)


def test_write_match_index_into_a_run_folder(pipeline_run: PipelineRun, tmp_path: Path) -> None:
    run = tmp_path / "run"
    for part in ("run.json", "standardize/contact.parquet", "link/customer_source_record.parquet", "link/model.json"):
        (run / part).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(pipeline_run.run_dir / part, run / part)
    folder = write_match_index(run)
    assert folder == RunCatalog(run).path("link.match_index")
    assert MatchIndex.load(folder).meta["run_id"] == pipeline_run.run_dir.name


def _command(tmp_path: Path, payload: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    file = tmp_path / "record.json"
    file.write_text(payload, "utf-8")
    out = io.StringIO()
    import contextlib

    with contextlib.redirect_stdout(out):
        code = match_command(file, kwargs.get("index_dir"), kwargs.get("run_dir"), kwargs["data_dir"], 5)
    return code, json.loads(out.getvalue())


@pytest.mark.parametrize(
    ("payload", "named"),
    [
        ('{"nazwisko": "Nowak", "surname": "Nowak", "phone": "601234567"}', "nazwisko"),
        ('{"surname": ["Nowak"], "given_name": "Anna"}', "surname"),
        ('{"surname": "Nowak", "phone": "601234567", "phone_region": "Poland"}', "phone_region"),
        ('{"phone": "601234567"}', "surname"),
        ('{"surname": "Nowak",}', "not valid JSON"),
        ("[1, 2]", "JSON object"),
    ],
)
def test_bad_input_exits_2_naming_the_field(tmp_path: Path, payload: str, named: str) -> None:
    code, out = _command(tmp_path, payload, data_dir=tmp_path / "nothing")
    assert code == 2
    assert named in out["error"]


def test_command_finds_the_published_run(pipeline_run: PipelineRun, contacts: pd.DataFrame, tmp_path: Path) -> None:
    row = next(_strong(contacts).itertuples())
    payload = json.dumps(
        {"given_name": row.given_name, "surname": row.surname, "phone": row.phone_e164, "email": row.email}
    )
    code, out = _command(tmp_path, payload, data_dir=pipeline_run.data_dir)
    assert code == 0
    assert out["run_id"] == pipeline_run.run_dir.name
    assert out["matches"][0]["customer_id"] == row.customer_id
    assert row.record_id in out["matches"][0]["matched_record_ids"]
    assert out["matches"][0]["comparisons"]["phone"]["label"] == "equal"
    assert row.surname in out["matches"][0]["name"]  # the golden record's name, not only an id


def test_command_without_a_linked_run_exits_1(tmp_path: Path) -> None:
    code, out = _command(tmp_path, '{"surname": "Nowak", "phone": "601234567"}', data_dir=tmp_path / "empty")
    assert code == 1
    assert "no linked run" in out["error"]
