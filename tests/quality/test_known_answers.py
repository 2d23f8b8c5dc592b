"""Known answers: extract, standardize and validate a generated company, then score failures against its truth.

Each rule is mapped explicitly to the planted defect kinds it must find. Recall: share of planted defects
of a covered kind reported by a mapped rule on the same file, sheet, row and field. Precision: share of
reported failures that are a planted defect of a mapped kind; for mandatory fields a failure on a value
the truth says does not exist at all (a business contact with no date of birth) is counted apart, as a
correct report that is not a planted defect.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from devkit.generator import generate_sample
from devkit.generator.config import GenerationSettings
from transforms.pipeline import tasks
from transforms.pipeline.context import RunContext
from transforms.pipeline.validate_stage import run_validate
from transforms.quality import QualityGateError

pytestmark = pytest.mark.slow  # runs the first stages of a 400-customer night: full lane only (make test)

AS_OF = "2026-11-20"
KEY = ["source_name", "source_file", "sheet", "row_number"]

#: rule -> planted defect kinds it reports.
RULE_DEFECTS: dict[str, tuple[str, ...]] = {
    "mandatory_field_missing": ("missing", "sentinel"),
    "sentinel_used": ("sentinel",),
    "email_format": ("bad_email",),
    "phone_format": ("bad_phone",),
    "phone_invalid": ("bad_phone",),
    "dob_impossible": ("impossible_dob",),
    "stale_record": ("stale",),
    "tax_id_checksum": ("bad_tax_id",),
    "invoice_number_format": ("bad_invoice_number",),
    "credit_note_number_format": ("bad_invoice_number",),
    "negative_invoice_amount": ("negative_amount",),
    "payment_before_invoice": ("payment_before_invoice",),
    "payment_unknown_invoice": ("unknown_invoice",),
    "duplicate_payment": ("duplicate_payment",),
}
#: defect kind -> rules that find it (the inverse map, for recall).
DEFECT_RULES: dict[str, tuple[str, ...]] = {}
for _rule, _kinds in RULE_DEFECTS.items():
    for _kind in _kinds:
        DEFECT_RULES[_kind] = (*DEFECT_RULES.get(_kind, ()), _rule)
PERSON_KINDS = ("journal", "spreadsheet")
#: Planted defects that leave a phone or e-mail unusable as a way to reach the customer.
CONTACT_UNUSABLE = ("missing", "sentinel", "bad_email", "bad_phone")
MANDATORY = ("surname", "given_name", "date_of_birth")


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    sample = tmp_path_factory.mktemp("q_sample")
    generate_sample(sample, customers=400, seed=3, as_of=dt.date.fromisoformat(AS_OF))
    # The company's own settings beside its sources file: the generator calls a record stale after its own age.
    stale_days = GenerationSettings().stale_after_days
    (sample / "quality.yml").write_text(f"stale_after_days: {stale_days}\n", "utf-8")
    data = tmp_path_factory.mktemp("q_data")
    run_dir = tasks.prepare_run(
        sources=str(sample / "sources.yml"),
        warehouse_url=f"duckdb:///{data / 'wh.duckdb'}",
        as_of=AS_OF,
        run_id="quality_known_answers",
        data_dir=str(data),
    )
    tasks.extract(run_dir)
    tasks.standardize(run_dir)
    run_validate(RunContext.load(run_dir))
    validate = Path(run_dir) / "validate"
    return {
        "failures": pd.read_parquet(validate / "failure.parquet"),
        "metrics": pd.read_parquet(validate / "metric.parquet"),
        "manifest": json.loads((validate / "manifest.json").read_text("utf-8")),
        "defects": pd.read_parquet(sample / "truth" / "defects.parquet"),
        "rows": pd.read_parquet(sample / "truth" / "rows.parquet"),
        "contacts": pd.read_parquet(Path(run_dir) / "standardize" / "contact.parquet"),
        "validate_dir": validate,
        "run_dir": run_dir,
        "sample": sample,
    }


def _expected(s: dict[str, object]) -> pd.DataFrame:
    """Planted defects the rules must report: (location, field, defect kind), within each rule's scope."""
    defects: pd.DataFrame = s["defects"]  # type: ignore[assignment]
    contacts: pd.DataFrame = s["contacts"]  # type: ignore[assignment]
    rows: pd.DataFrame = s["rows"]  # type: ignore[assignment]
    d = defects[defects["defect"].isin(DEFECT_RULES)].copy()
    kinds = contacts[[*KEY, "source_kind", "company", "tax_id"]].copy()
    kinds["is_company"] = kinds["company"].notna() | kinds["tax_id"].notna()
    d = d.merge(kinds[[*KEY, "source_kind", "is_company"]], on=KEY, how="left")
    person = d["source_kind"].isin(PERSON_KINDS)
    absent = d["defect"].isin(("missing", "sentinel"))
    # Missing or sentinel values are reported by the mandatory rule only for mandatory fields of person
    # sources (a company row needs no date of birth); a sentinel in any field is reported by sentinel_used.
    mandatory = absent & person & d["field"].isin(MANDATORY) & ~(d["field"].eq("date_of_birth") & d["is_company"])
    sentinel = d["defect"].eq("sentinel") & d["field"].ne("*")
    other = ~absent
    # Stale rows are only visible when the file writes a last-update date.
    other &= ~(d["defect"].eq("stale") & d["value"].fillna("").eq(""))
    parts = [
        d[mandatory].assign(rule_group="mandatory_field_missing"),
        d[sentinel].assign(rule_group="sentinel_used"),
        d[other].assign(rule_group=d.loc[other, "defect"]),
    ]
    # Phone or e-mail: expected when neither is usable: missing, a sentinel or malformed (an e-mail with @@ or a
    # phone with letters does not reach the customer), and at least one of them was planted so.
    pe = d[person & d["field"].isin(("phone", "email")) & d["defect"].isin(CONTACT_UNUSABLE)]
    truth = rows.set_index(KEY)
    group_rows = []
    for loc, part in pe.groupby(KEY):
        t: Any = truth.loc[loc]  # type: ignore[index]
        planted = set(part["field"])
        phone_gone = "phone" in planted or t["phone"] is None
        email_gone = "email" in planted or t["email"] is None
        if phone_gone and email_gone:
            group_rows.append({**dict(zip(KEY, loc, strict=True)), "field": "phone_or_email", "defect": "missing"})
    parts.append(pd.DataFrame(group_rows).assign(rule_group="mandatory_field_missing"))
    out = pd.concat(parts, ignore_index=True)
    return out[[*KEY, "field", "defect", "rule_group"]]


def _score(s: dict[str, object]) -> pd.DataFrame:
    failures: pd.DataFrame = s["failures"]  # type: ignore[assignment]
    rows: pd.DataFrame = s["rows"]  # type: ignore[assignment]
    defects: pd.DataFrame = s["defects"]  # type: ignore[assignment]
    expected = _expected(s)
    f = failures[failures["rule"].isin(RULE_DEFECTS)].copy()
    # Recall: each expected defect found by one of its rules on the same row and field.
    found_keys = set(zip(*(f[c] for c in [*KEY, "field", "rule"]), strict=True))
    expected["found"] = [
        any(
            (*loc, field, rule) in found_keys
            for rule in (DEFECT_RULES[defect] if group != "mandatory_field_missing" else ("mandatory_field_missing",))
            if group != "sentinel_used" or rule == "sentinel_used"
        )
        for *loc, field, defect, group in expected.itertuples(index=False)
    ]
    # Precision: each failure is a planted defect of a kind its rule reports, on the same row and field.
    planted = set(zip(*(defects[c] for c in [*KEY, "field", "defect"]), strict=True))
    truth = rows.set_index(KEY)
    verdicts = []
    for r in f.itertuples(index=False):
        loc = tuple(getattr(r, c) for c in KEY)
        fields = ("phone", "email") if r.field == "phone_or_email" else (r.field,)
        kinds = CONTACT_UNUSABLE if r.field == "phone_or_email" else RULE_DEFECTS[str(r.rule)]
        hit = any((*loc, fld, kind) in planted for fld in fields for kind in kinds)
        verdict = "planted" if hit else "not_planted"
        if not hit and r.rule == "mandatory_field_missing" and loc in truth.index:
            t = truth.loc[loc]
            if all(t.get(fld) is None for fld in fields):
                verdict = "truly_absent"  # the field has no value in the truth either
        verdicts.append(verdict)
    f["verdict"] = verdicts
    recall = expected.groupby("rule_group")["found"].agg(["sum", "count"])
    precision = f.groupby("rule")["verdict"].value_counts().unstack(fill_value=0)
    s["expected"], s["scored_failures"], s["recall"], s["precision"] = expected, f, recall, precision
    return f


def test_recall_of_planted_defects_is_at_least_99_percent(scored: dict[str, object]) -> None:
    _score(scored)
    expected: pd.DataFrame = scored["expected"]  # type: ignore[assignment]
    print("\nrecall by rule (found / planted):\n", scored["recall"])
    missed = expected[~expected["found"]]
    assert len(expected) > 200
    assert expected["found"].mean() >= 0.99, missed.to_string()
    for group, part in expected.groupby("rule_group"):
        assert part["found"].mean() >= 0.95, (group, part[~part["found"]].to_string())


def test_at_most_1_percent_of_failures_are_not_planted(scored: dict[str, object]) -> None:
    f = _score(scored)
    print("\nfailures by rule and verdict:\n", scored["precision"])
    not_planted = f[f["verdict"].eq("not_planted")]
    assert len(not_planted) / len(f) <= 0.01, not_planted.to_string()


def test_every_failure_has_lineage_value_and_message(scored: dict[str, object]) -> None:
    f: pd.DataFrame = scored["failures"]  # type: ignore[assignment]
    assert len(f)
    assert f[["source_name", "source_file", "rule", "severity", "message", "responsible", "run_id"]].notna().all().all()
    assert (f["row_number"] >= 1).all()
    assert set(f["severity"]) <= {"critical", "warning", "info"}
    assert str(f["as_of"].iloc[0]) == AS_OF


def test_metrics_reconcile_with_failures(scored: dict[str, object]) -> None:
    f: pd.DataFrame = scored["failures"]  # type: ignore[assignment]
    m: pd.DataFrame = scored["metrics"]  # type: ignore[assignment]
    counted = f.groupby(["source_name", "field", "rule", "responsible"]).size()
    totals = m.set_index(["source_name", "field", "rule", "responsible"])["failed"]
    assert counted.sort_index().equals(totals[totals > 0].sort_index().astype(counted.dtype))
    assert ((m["completeness"] >= 0) & (m["completeness"] <= 1)).all()
    assert (m["failed"] <= m["checked"]).all()


def test_manifest_and_data_docs(scored: dict[str, object]) -> None:
    manifest = scored["manifest"]
    assert isinstance(manifest, dict)
    assert manifest["gate"]["passed"] is True
    assert manifest["settings"].endswith("quality.yml")
    assert set(manifest["suites"]) == {
        "journal",
        "spreadsheet",
        "accounting_customers",
        "invoices",
        "payments",
        "contact",
    }
    docs = Path(scored["validate_dir"]) / "data_docs"  # type: ignore[arg-type]
    assert (docs / "index.html").is_file()  # links each validated part's Data Docs (one part in one process)
    assert any((docs / "all" / "validations").rglob("*.html"))


def test_gate_writes_everything_then_names_rule_file_and_rows(scored: dict[str, object]) -> None:
    # The run reads its own copy of the company's quality.yml (made by prepare_run): edit that copy.
    company = Path(str(scored["run_dir"])) / "settings" / "quality.yml"
    before = company.read_text("utf-8")
    company.write_text(before + "rules:\n  stale_record: {severity: critical, tolerance: 0.0}\n", "utf-8")
    validate = Path(scored["validate_dir"])  # type: ignore[arg-type]
    (validate / "failure.parquet").unlink()
    try:
        with pytest.raises(QualityGateError) as err:
            run_validate(RunContext.load(str(scored["run_dir"])), data_docs=False)
    finally:
        company.write_text(before, "utf-8")
    text = str(err.value)
    assert "stale_record: accounting/customers.csv (accounting_customers):" in text
    assert "rows" in text
    assert (validate / "failure.parquet").is_file()
    manifest = json.loads((validate / "manifest.json").read_text("utf-8"))
    assert manifest["gate"]["passed"] is False


def _night_frames(scored: dict[str, object]) -> tuple[dict[str, pd.DataFrame], Any, dt.date]:
    """The night's validation frames, its quality settings and its as-of date, as the validate stage makes them."""
    from transforms.pipeline.staged_rows import read_staged
    from transforms.quality.frames import frames_for_run
    from transforms.quality.settings import settings_for_sources
    from transforms.settings import load_sources
    from transforms.standardize.sentinels import load_sentinels

    sample = Path(scored["sample"])  # type: ignore[arg-type]
    settings, _ = settings_for_sources(sample / "sources.yml")
    as_of = dt.date.fromisoformat(AS_OF)
    frames = frames_for_run(
        read_staged(str(scored["run_dir"])),
        settings=settings,
        sentinels=load_sentinels(),
        sources=load_sources(sample / "sources.yml"),
        as_of=as_of,
    )
    return frames, settings, as_of


def test_direct_evaluation_matches_great_expectations(scored: dict[str, object]) -> None:
    """check_record and the golden-record suite evaluate checks without GX: same failing rows on a whole night."""
    from transforms.quality.checks import SUITES, checks_for
    from transforms.quality.evaluate import evaluate_checks
    from transforms.quality.tally import frame_for

    frames, settings, as_of = _night_frames(scored)
    ours = set()
    for suite in SUITES:
        frame = frame_for(suite, frames)
        if frame is None:
            continue
        checks = checks_for(suite, settings, as_of)
        for check in checks:
            rows = evaluate_checks(frame, [check])[check.key]
            part = frame.iloc[rows]
            ours |= set(zip(part["source_file"], part["sheet"], part["row_number"], [check.field] * len(part),
                            [check.rule] * len(part), strict=True))  # fmt: skip
    f: pd.DataFrame = scored["failures"]  # type: ignore[assignment]
    f = f[f["row_number"] > 0]
    theirs = set(zip(f["source_file"], f["sheet"], f["row_number"], f["field"], f["rule"], strict=True))
    assert len(theirs) > 300
    assert ours == theirs


def test_the_direct_tally_counts_as_the_night_does(scored: dict[str, object]) -> None:
    """check_directly (what a reused validation checks again for the date rules) gives the failures and metrics
    the night's Great Expectations run gave, every rule of every suite on a whole night."""
    from transforms.quality.checks import SUITES, checks_for
    from transforms.quality.columns import METRIC_KEY
    from transforms.quality.tally import check_directly

    frames, settings, as_of = _night_frames(scored)
    rules = {c.rule for suite in SUITES if suite != "customer" for c in checks_for(suite, settings, as_of)}
    direct = check_directly(frames, settings=settings, as_of=as_of, run_id="quality_known_answers", rules=rules)
    night: pd.DataFrame = scored["failures"]  # type: ignore[assignment]
    night = night[night["rule"].isin(rules)]
    columns = ["source_file", "sheet", "row_number", "record_id", "field", "rule", "severity", "value", "message"]
    assert len(night) > 300
    assert sorted(map(tuple, direct.failures[columns].astype(str).to_numpy())) == sorted(
        map(tuple, night[columns].astype(str).to_numpy())
    )
    metrics: pd.DataFrame = scored["metrics"]  # type: ignore[assignment]
    metrics = metrics[metrics["rule"].isin(rules)]
    ours = direct.metrics.sort_values(METRIC_KEY)[[*METRIC_KEY, "checked", "failed"]].astype(str)
    theirs = metrics.sort_values(METRIC_KEY)[[*METRIC_KEY, "checked", "failed"]].astype(str)
    assert ours.to_numpy().tolist() == theirs.to_numpy().tolist()


def test_check_record_answers_like_the_night_for_sample_rows(scored: dict[str, object]) -> None:
    """Rows of the sample's spreadsheets and journals, sent as a form would with the source's headers."""
    from transforms.quality.entry import check_record
    from transforms.settings import load_sources

    sample = Path(scored["sample"])  # type: ignore[arg-type]
    sources = load_sources(sample / "sources.yml")
    files = json.loads((Path(str(scored["run_dir"])) / "extract" / "manifest.json").read_text("utf-8"))["files"]
    f: pd.DataFrame = scored["failures"]  # type: ignore[assignment]
    night = pd.Series(
        {key: sorted(zip(g["rule"], g["field"], strict=True)) for key, g in f.groupby(KEY)}, dtype="object"
    )
    compared = failing = 0
    for line in files:
        if line["status"] != "ok" or line["source_kind"] not in PERSON_KINDS:
            continue
        spec = sources.source(line["source_name"])
        header_of = {target: header for header, target in spec.columns.items()}
        records = pd.read_parquet(line["records_path"])
        keys = list(zip(records["source_name"], records["source_file"], records["sheet"], records["row_number"],
                        strict=True))  # fmt: skip
        bad = [i for i, k in enumerate(keys) if k in night.index][:12]
        good = [i for i, k in enumerate(keys) if k not in night.index][:3]
        for i in bad + good:
            row = records.iloc[i]
            record = {header_of[c]: row[c] for c in records.columns if c in header_of and isinstance(row[c], str)}
            if isinstance(row["attributes"], str):
                record.update(json.loads(row["attributes"]))
            if spec.responsible and spec.responsible.column:
                record[spec.responsible.column] = row["responsible"]
            answer = check_record(
                record, sources_file=sample / "sources.yml", source=spec.name, as_of=dt.date.fromisoformat(AS_OF)
            )
            got = sorted(
                [("mandatory_field_missing", f) for f in answer["missing"]]
                + [(x["rule"], x["field"]) for x in answer["problems"]]
            )
            expected = night.get(keys[i], [])
            assert got == expected, (keys[i], got, expected)
            compared += 1
            failing += bool(expected)
    assert compared > 60 and failing > 50
