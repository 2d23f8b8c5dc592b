"""Known answers: the generator's truth at 20,000 customers, cross-script pairs, and steward decisions."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

from devkit.scoring.diagnostics import write_diagnostics_with_truth
from devkit.scoring.linkage import cluster_pairs, cluster_scores, pair_keys
from transforms.linkage import FittedModel, LinkResult, link_records, load_linkage_settings, write_diagnostics


def _script(name: object) -> str:
    for ch in str(name or ""):
        if ch.isalpha():
            return unicodedata.name(ch, "?").split()[0]
    return ""


def test_pairwise_f1_on_generated_customers(generated: tuple[pd.DataFrame, pd.DataFrame], linked: LinkResult) -> None:
    _, truth = generated
    score = cluster_scores(linked.clusters, truth)
    assert score["f1"] >= 0.97, score
    true = cluster_pairs(truth["record_id"], truth["entity"])
    keys = pair_keys(true["id_l"], true["id_r"])
    blocked = pair_keys(linked.pairs["record_id_l"], linked.pairs["record_id_r"]).isin(keys).sum() / len(keys)
    assert blocked >= 0.97, blocked


def test_cross_script_recall(generated: tuple[pd.DataFrame, pd.DataFrame], linked: LinkResult) -> None:
    contacts, truth = generated
    script = (contacts["surname"].fillna(contacts["given_name"])).map(_script)
    frame = truth.assign(script=script.to_numpy())
    true = frame.merge(frame, on="entity")
    true = true[(true["record_id_x"] < true["record_id_y"]) & (true["script_x"] != true["script_y"])]
    assert len(true) > 1000  # the sample has Cyrillic, Persian and Han names next to their Latin spellings
    cluster = linked.clusters.set_index("record_id")["cluster"]
    same = cluster.loc[true["record_id_x"]].to_numpy() == cluster.loc[true["record_id_y"]].to_numpy()
    assert same.mean() >= 0.9, same.mean()


def test_result_shapes_and_model_round_trip(linked: LinkResult, tmp_path: Path) -> None:
    pairs = linked.pairs
    assert {"record_id_l", "record_id_r", "match_weight", "match_probability", "blocked_by", "cmp_name"} <= set(pairs)
    assert pairs["cmp_dob"].min() == -1
    assert linked.clusters["cluster"].dtype == np.int64
    assert linked.clusters["match_probability"].between(0, 1).all()
    lo, hi = 0.5, 0.95
    unsure = linked.review["review_reason"].str.startswith("the model is unsure")
    assert linked.review.loc[unsure, "match_probability"].between(lo, hi).all()
    assert (linked.review.loc[~unsure, "match_probability"] >= hi).all()  # likely pairs a conflict rule kept apart
    data = json.loads(json.dumps(linked.model.to_dict()))
    again = FittedModel.from_dict(data)
    assert again.to_dict() == linked.model.to_dict()
    assert {p["pass"] for p in linked.stats["blocking"]} >= {"phone", "email", "dob_surname"}
    page = write_diagnostics(linked, tmp_path / "diag.html")
    text = page.read_text("utf-8")
    assert "data:image/png;base64," in text and "http" not in text.replace("http-equiv", "")
    assert "Against the truth" not in text


def test_diagnostics_page_with_the_truth(
    generated: tuple[pd.DataFrame, pd.DataFrame], linked: LinkResult, tmp_path: Path
) -> None:
    _, truth = generated
    true = cluster_pairs(truth["record_id"], truth["entity"])
    true_pairs = pd.DataFrame({"record_id_l": true["id_l"], "record_id_r": true["id_r"]})
    text = write_diagnostics_with_truth(linked, tmp_path / "diag.html", true_pairs).read_text("utf-8")
    keys = pair_keys(true["id_l"], true["id_r"])
    blocked = pair_keys(linked.pairs["record_id_l"], linked.pairs["record_id_r"]).isin(keys).sum() / len(keys)
    assert f"Blocking recall (true pairs among the candidates): {blocked:.4f} of {len(keys):,} true pairs." in text
    assert text.index("Against the truth") < text.index("Time per step")
    assert text.count("data:image/png;base64,") == 4  # weights, histogram, blocking, and the threshold curve


def test_decisions_are_obeyed(generated: tuple[pd.DataFrame, pd.DataFrame], linked: LinkResult) -> None:
    contacts, _ = generated
    clusters = linked.clusters
    sizes = clusters["cluster"].map(clusters["cluster"].value_counts())
    together = clusters[sizes >= 2].sort_values("cluster").groupby("cluster")["record_id"].agg(list).head(20)
    cannot = [(ids[0], ids[1]) for ids in together]
    singles = clusters.loc[sizes == 1, "record_id"].head(40).to_list()
    must = list(zip(singles[::2], singles[1::2], strict=True))
    decisions = pd.DataFrame(
        [(a, b, False) for a, b in cannot] + [(a, b, True) for a, b in must],
        columns=["record_id_l", "record_id_r", "is_match"],
    )
    result = link_records(contacts, load_linkage_settings(None), decisions=decisions, seed=0)
    cluster = result.clusters.set_index("record_id")["cluster"]
    for a, b in cannot:
        assert cluster[a] != cluster[b]
    for a, b in must:
        assert cluster[a] == cluster[b]
    decided = pair_keys(decisions["record_id_l"], decisions["record_id_r"])
    assert not pair_keys(result.review["record_id_l"], result.review["record_id_r"]).isin(decided).any()


def test_coded_comparisons_equal_record_by_record(generated: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    """``compare_pairs`` computes value-only comparisons once per distinct pair of values, groups side by side on
    threads: the levels must be the ones ``compare_frames`` gives record by record, over candidate and random pairs
    alike, on one thread or several, with the record codes of an earlier call or fresh ones."""
    from transforms.linkage.blocking import candidate_pairs
    from transforms.linkage.compare import RecordCodes, compare_frames, compare_pairs
    from transforms.linkage.prepare import prepare_records
    from transforms.linkage.settings import Comparison

    plain = load_linkage_settings(None)
    swapped = plain.swap[0][1]  # a comparison of a column that swaps must stay on the record-by-record path
    extra = Comparison(name="swapped_exact", kind="exact", column=swapped)
    settings = plain.model_copy(update={"comparisons": [*plain.comparisons, extra]})
    prepared = prepare_records(generated[0], settings)
    cands = candidate_pairs(prepared, settings)
    rng = np.random.default_rng(3)
    left = np.concatenate([cands.left[:20_000], rng.integers(0, len(prepared), 20_000)])
    right = np.concatenate([cands.right[:20_000], rng.integers(0, len(prepared), 20_000)])
    codes = RecordCodes(prepared)
    compare_pairs(settings, prepared, right[:500], left[:500], codes=codes)  # codes made on other pairs, reused
    direct = compare_frames(settings, prepared.iloc[left], prepared.iloc[right])
    for workers, known in ((1, None), (3, None), (3, codes)):
        coded = compare_pairs(settings, prepared, left, right, chunk=7_000, workers=workers, codes=known)
        pd.testing.assert_frame_equal(coded, direct)
