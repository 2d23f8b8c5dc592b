"""The steward's review list: likely pairs a conflict rule kept apart are on it with the reason in words; it is ranked
by what a wrong decision would cost and cut at a share of the records set (and checked) in linkage.yml."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from transforms.linkage import LinkResult, load_linkage_settings
from transforms.linkage.review import review_list
from transforms.settings.errors import SettingsError

# Seven records in five customers: 0-1 together, 2-3 together, 4 alone, 5 alone, 6 alone.
LABELS = np.array([0, 0, 1, 1, 2, 3, 4])
IDS = np.array([f"r{i}" for i in range(7)], dtype=object)


def _rules(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Records 1 and 3 break rule 0 (born apart, another phone); 4 and 5 rule 1 (another tax id)."""
    hit = np.full(len(left), -1, dtype=np.int64)
    pairs = list(zip(left.tolist(), right.tolist(), strict=True))
    hit[[k for k, p in enumerate(pairs) if set(p) == {1, 3}]] = 0
    hit[[k for k, p in enumerate(pairs) if set(p) == {4, 5}]] = 1
    return hit


def _review(
    left: list[int], right: list[int], prob: list[float], apart: list[bool], share: float = 1.0
) -> pd.DataFrame:
    bundled = load_linkage_settings(None)
    settings = bundled.model_copy(update={"review": bundled.review.model_copy(update={"max_share_of_records": share})})
    pairs = pd.DataFrame(
        {
            "record_id_l": IDS[left],
            "record_id_r": IDS[right],
            "match_probability": prob,
            "match_weight": 0.0,
        }
    )
    out, _ = review_list(
        pairs,
        np.array(left),
        np.array(right),
        np.array(apart),
        labels=LABELS,
        rules=_rules,
        cannot=np.empty(0, np.int64),
        ids=IDS,
        settings=settings,
    )
    return out


def test_a_pair_a_rule_kept_apart_is_listed_with_the_rule_in_words() -> None:
    out = _review([4], [5], [0.999], [True])
    assert out["review_reason"].tolist() == [
        "kept apart by rule other_tax_id: different valid tax ids",
    ]


def test_a_pair_kept_apart_through_other_records_names_them() -> None:
    # 0 and 2 agree on everything the model weighs, but 0's customer holds 1 and 2's holds 3, born apart.
    out = _review([0], [2], [0.999], [True])
    (reason,) = out["review_reason"].tolist()
    assert reason.startswith("joining them would put r1 and r3 in one customer")
    assert "born on different days and different phone numbers" in reason


def test_most_consequential_first_and_one_row_per_pair_of_customers() -> None:
    out = _review(
        [4, 0, 1, 5],
        [6, 2, 2, 6],
        [0.93, 0.999, 0.99, 0.5],
        [False, True, True, False],
    )
    # 0-2 (and 1-2, the same two customers) would join four records and only a rule on other records keeps
    # them apart; 5-6 joins two records at probability 0.5; 4-6 joins two records the model is nearly sure of.
    assert out["record_id_l"].tolist() == ["r0", "r5", "r4"]
    assert out["review_priority"].is_monotonic_decreasing


def test_the_list_is_cut_at_the_share_of_records() -> None:
    out = _review([4, 0, 5], [6, 2, 6], [0.93, 0.999, 0.5], [False, True, False], share=2 / 7)
    assert out["record_id_l"].tolist() == ["r0", "r5"]


@pytest.mark.parametrize("value", ["0", "1.5", "lots"])
def test_the_share_is_checked(tmp_path: Path, value: str) -> None:
    (tmp_path / "sources.yml").write_text("sources: []\n", encoding="utf-8")
    (tmp_path / "linkage.yml").write_text(f"review:\n  max_share_of_records: {value}\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=r"(?s)linkage\.yml.*review\.max_share_of_records"):
        load_linkage_settings(tmp_path / "sources.yml")


def test_generated_people_kept_apart_reach_the_steward(
    generated: tuple[pd.DataFrame, pd.DataFrame], linked: LinkResult
) -> None:
    """Likely pairs of one person that the conflict rules keep in two customers (about twenty people at 20,000
    customers) were on no list; now most of them head the steward's list, and the list stays within its share."""
    contacts, truth = generated
    entity = truth.set_index("record_id")["entity"]
    cluster = linked.clusters.set_index("record_id")["cluster"]
    pairs = linked.pairs
    likely = pairs[pairs["match_probability"] >= 0.95]
    apart = likely[cluster.loc[likely["record_id_l"]].to_numpy() != cluster.loc[likely["record_id_r"]].to_numpy()]
    one_person = apart[entity.loc[apart["record_id_l"]].to_numpy() == entity.loc[apart["record_id_r"]].to_numpy()]
    people = set(entity.loc[one_person["record_id_l"]])
    assert len(people) >= 10
    review = linked.review
    assert len(review) <= 0.01 * len(contacts)
    assert review["review_reason"].notna().all()
    el, er = entity.loc[review["record_id_l"]].to_numpy(), entity.loc[review["record_id_r"]].to_numpy()
    reviewed = set(el[el == er])
    assert len(people & reviewed) >= 0.8 * len(people), (len(people & reviewed), len(people))
