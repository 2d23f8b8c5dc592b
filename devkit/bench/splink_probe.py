"""Splink (DuckDB backend) on the same prepared records and blocking as our linkage, for the side-by-side benchmark.

Splink is the reference open-source Fellegi-Sunter implementation; comparing with it tells whether our own model
is worth keeping. Splink is a benchmark-only extra (the ``bench`` dependency group), imported only inside these
functions, never by the nightly run.

To make the comparison fair, both engines see the same records and the same candidate pairs:

- the records are our ``prepare_records`` output (the same derived keys: Latin name keys, phonetic surname, ...);
  records that our rule calls unlinkable stay singletons on both sides;
- each of our blocking passes becomes one ``block_on`` rule on a precomputed key column holding the pass's block
  (null where a key is missing or the block is above the pass's size cap, exactly as our blocking skips it);
- each comparison of ``linkage.yml`` becomes the nearest comparison of Splink's library (Jaro-Winkler levels for
  names, Levenshtein for phone and e-mail, Splink's date-of-birth comparison, exact postcode and tax id);
  nickname, initial and patronymic-aware levels have no library counterpart and are left out;
- training follows Splink's documented workflow: the prior from deterministic rules, u from random sampling,
  m by EM over two blocking passes; then pairs at or above our review threshold are predicted and clustered by
  connected components at our match threshold.
"""

from __future__ import annotations

import logging
import resource
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from devkit.scoring.linkage import cluster_scores
from transforms.linkage.blocking import block_codes
from transforms.linkage.prepare import ID, LINKABLE, prepare_records
from transforms.linkage.settings import Comparison, LinkageSettings

#: Our passes whose blocks train the m probabilities by EM (Splink recommends a couple of passes that
#: between them leave every comparison estimated at least once).
EM_PASSES = ("phone", "dob_surname")
FULL_NAME = "full_name_key"


def block_columns(prepared: pd.DataFrame, settings: LinkageSettings) -> pd.DataFrame:
    """One ``block_<pass>`` column per blocking pass: the block a record falls in, null where our blocking would
    not use the record in that pass (a key missing, the record unlinkable, or the block above the size cap)."""
    out = {}
    for spec in settings.blocking.passes:
        codes = block_codes(prepared, spec.keys)
        cap = spec.max_block_size or settings.blocking.max_block_size
        used = codes >= 0
        sizes = np.bincount(codes[used]) if used.any() else np.zeros(0, np.int64)
        keep = used.copy()
        keep[used] = sizes[codes[used]] <= cap
        column = pd.array(codes, dtype="Int64")
        column[~keep] = pd.NA
        out[f"block_{spec.name}"] = column
    return pd.DataFrame(out, index=prepared.index)


def splink_comparison(cmp: Comparison) -> Any:
    """The nearest comparison of Splink's library to one of ours (None when it is not in the model)."""
    import splink.comparison_library as cl

    if not cmp.in_model:
        return None
    if cmp.kind == "person_name":
        assert cmp.surname_column is not None
        floors = sorted({0.92, *cmp.thresholds}, reverse=True)
        return cl.ForenameSurnameComparison(
            cmp.column,
            cmp.surname_column,
            jaro_winkler_thresholds=floors,
            forename_surname_concat_col_name=FULL_NAME if cmp.term_frequency else None,
        )
    if cmp.kind == "date":
        return cl.DateOfBirthComparison(cmp.column, input_is_string=True, datetime_format="%Y-%m-%d")
    found: Any
    if cmp.kind == "exact" or not cmp.thresholds:
        found = cl.ExactMatch(cmp.column)
    elif cmp.metric in ("levenshtein", "hamming"):
        found = cl.LevenshteinAtThresholds(cmp.column, [int(t) for t in cmp.thresholds])
    else:  # jaro_winkler, and the token/ratio metrics Splink's library has no level for
        found = cl.JaroWinklerAtThresholds(cmp.column, list(cmp.thresholds))
    if cmp.term_frequency:
        found = found.configure(term_frequency_adjustments=True)
    return found


def splink_records(prepared: pd.DataFrame, settings: LinkageSettings) -> pd.DataFrame:
    """The linkable prepared records with the columns the Splink model reads, ``unique_id`` first."""
    cols = list(dict.fromkeys(c for cmp in settings.comparisons if cmp.in_model for c in cmp.columns))
    frame = prepared[cols].copy()
    names = [cmp for cmp in settings.comparisons if cmp.kind == "person_name" and cmp.in_model]
    if names and names[0].surname_column:
        given, surname = prepared[names[0].column], prepared[names[0].surname_column]
        frame[FULL_NAME] = (given + " " + surname).astype(object).where(given.notna() & surname.notna())
    frame = pd.concat(
        [prepared[[ID]].rename(columns={ID: "unique_id"}), frame, block_columns(prepared, settings)], axis=1
    )
    return frame[prepared[LINKABLE].to_numpy(dtype=bool)].reset_index(drop=True)


def link_with_splink(
    prepared: pd.DataFrame,
    settings: LinkageSettings,
    *,
    em_passes: Sequence[str] = EM_PASSES,
    u_max_pairs: float = 1e7,
    em_max_pairs: float | None = 5e6,
    seed: int = 0,
    threads: int | None = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Clusters (record_id, cluster) of every prepared record by Splink, and the seconds of each step.
    ``threads`` limits DuckDB (by default it uses every core)."""
    import duckdb
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    laps: dict[str, float] = {}
    start = time.perf_counter()

    def lap(step: str) -> None:
        nonlocal start
        now = time.perf_counter()
        laps[step] = round(now - start, 3)
        start = now

    records = splink_records(prepared, settings)
    rules: list[Any] = [block_on(f"block_{p.name}") for p in settings.blocking.passes]
    comparisons = [c for c in (splink_comparison(cmp) for cmp in settings.comparisons) if c is not None]
    creator = SettingsCreator(
        link_type="dedupe_only",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=rules,
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )
    con = duckdb.connect()
    con.execute("set enable_progress_bar = false")
    if threads:
        con.execute(f"set threads = {int(threads)}")
    db_api = DuckDBAPI(connection=con)
    linker = Linker(db_api.register(records, table_name="records"), creator, log_level=logging.ERROR)
    lap("setup")

    keys = {p.name: p.keys for p in settings.blocking.passes}
    deterministic: list[Any] = [block_on(*keys[name]) for name in ("phone", "email") if name in keys]
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=u_max_pairs, seed=seed)
    lap("u_random_pairs")
    for name in em_passes:
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on(*keys[name]), max_pairs=em_max_pairs
        )
    lap("fit_em")

    predictions = linker.inference.predict(threshold_match_probability=settings.thresholds.review_lower)
    lap("predict")
    clustered: Any = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=settings.thresholds.match
    )
    found = clustered.as_pandas_dataframe()[["unique_id", "cluster_id"]]
    lap("cluster")
    misc: Any = linker.misc  # untyped in Splink
    linked = misc.query_sql(
        f"select count(*) as n from {predictions.physical_name} where match_probability >= {settings.thresholds.match}",
        output_type="pandas",
    )

    cluster = prepared[ID].map(found.set_index("unique_id")["cluster_id"].astype(str))
    clusters = pd.DataFrame({"record_id": prepared[ID], "cluster": cluster.fillna("single:" + prepared[ID])})
    return clusters, {"seconds": laps, "linked_pairs": int(linked["n"].iloc[0]), "linkable_records": len(records)}


def bench_splink(
    contacts: pd.DataFrame,
    truth: pd.DataFrame,
    settings: LinkageSettings,
    *,
    em_passes: Sequence[str] = EM_PASSES,
    u_max_pairs: float = 1e7,
    threads: int | None = None,
) -> dict[str, Any]:
    """Time, peak resident memory (MiB, of this process: run it in a fresh one) and pairwise scores of Splink
    on the staged contacts, against ``truth`` (record_id, entity)."""
    start = time.perf_counter()
    prepared = prepare_records(contacts, settings)
    prepare_seconds = time.perf_counter() - start
    clusters, stats = link_with_splink(
        prepared, settings, em_passes=em_passes, u_max_pairs=u_max_pairs, threads=threads
    )
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    score = cluster_scores(clusters, truth)
    return {
        "engine": "splink",
        "records": len(contacts),
        "seconds": seconds,
        "peak_mb": peak,
        "precision": score["precision"],
        "recall": score["recall"],
        "f1": score["f1"],
        "steps": {"prepare": round(prepare_seconds, 3), **stats["seconds"]},
        "linked_pairs": stats["linked_pairs"],
    }
