"""Stable ids: who keeps an id, who gets a new one, and what the history says."""

from __future__ import annotations

import pandas as pd

from transforms.customers.identity import assign_customer_ids, format_id, id_number


def _clusters(rows: list[tuple[str, int]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "record_id": [r for r, _ in rows],
            "record_fingerprint": [f"fp-{r}" for r, _ in rows],
            "cluster": [c for _, c in rows],
        }
    )


def _previous(rows: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "record_id": [r for r, _ in rows],
            "record_fingerprint": [f"fp-{r}" for r, _ in rows],
            "customer_id": [c for _, c in rows],
        }
    )


def _ids(result: pd.DataFrame) -> dict[str, str]:
    return dict(zip(result["record_id"], result["customer_id"], strict=True))


def test_first_night_numbers_clusters_from_next_number() -> None:
    got = assign_customer_ids(_clusters([("a", 0), ("b", 0), ("c", 1)]), None, next_number=5)
    ids = _ids(got.records)
    assert ids["a"] == ids["b"] == "CUST-0000005"
    assert ids["c"] == "CUST-0000006"
    assert set(got.history["event"]) == {"created"}
    assert got.history.set_index("customer_id")["record_count"].to_dict() == {"CUST-0000005": 2, "CUST-0000006": 1}


def test_unchanged_clusters_keep_their_ids_whatever_the_cluster_numbers() -> None:
    prev = _previous([("a", "CUST-0000001"), ("b", "CUST-0000001"), ("c", "CUST-0000002")])
    got = assign_customer_ids(_clusters([("a", 7), ("b", 7), ("c", 3)]), prev, next_number=3)
    assert _ids(got.records) == {"a": "CUST-0000001", "b": "CUST-0000001", "c": "CUST-0000002"}
    assert got.history.empty


def test_moved_row_is_recognised_by_its_fingerprint() -> None:
    prev = _previous([("a", "CUST-0000001"), ("old-location", "CUST-0000002")])
    cur = _clusters([("a", 0), ("new-location", 1)])
    cur.loc[1, "record_fingerprint"] = "fp-old-location"
    got = assign_customer_ids(cur, prev, next_number=3)
    assert _ids(got.records)["new-location"] == "CUST-0000002"


def test_merge_keeps_the_bigger_customer_and_records_both_sides() -> None:
    prev = _previous([("a", "CUST-0000001"), ("b", "CUST-0000001"), ("c", "CUST-0000002")])
    got = assign_customer_ids(_clusters([("a", 0), ("b", 0), ("c", 0)]), prev, next_number=3)
    assert set(_ids(got.records).values()) == {"CUST-0000001"}
    events = set(zip(got.history["customer_id"], got.history["event"], got.history["related_customer_id"], strict=True))
    assert ("CUST-0000001", "absorbed", "CUST-0000002") in events
    assert ("CUST-0000002", "merged_into", "CUST-0000001") in events


def test_split_gives_the_smaller_part_a_new_id() -> None:
    prev = _previous([("a", "CUST-0000001"), ("b", "CUST-0000001"), ("c", "CUST-0000001")])
    got = assign_customer_ids(_clusters([("a", 0), ("b", 0), ("c", 1)]), prev, next_number=9)
    ids = _ids(got.records)
    assert ids["a"] == ids["b"] == "CUST-0000001"
    assert ids["c"] == "CUST-0000009"
    row = got.history.set_index("customer_id").loc["CUST-0000009"]
    assert (row["event"], row["related_customer_id"], row["record_count"]) == ("split_from", "CUST-0000001", 1)


def test_an_old_id_goes_to_the_next_best_cluster_when_the_best_took_another() -> None:
    # Cluster 0 holds two records of customer 1 and one of customer 2; cluster 1 holds one record of customer 2.
    prev = _previous([("a", "CUST-0000001"), ("b", "CUST-0000001"), ("c", "CUST-0000002"), ("d", "CUST-0000002")])
    got = assign_customer_ids(_clusters([("a", 0), ("b", 0), ("c", 0), ("d", 1)]), prev, next_number=3)
    ids = _ids(got.records)
    assert ids["a"] == "CUST-0000001"
    assert ids["d"] == "CUST-0000002"


def test_vanished_customers_are_retired_and_numbers_never_reused() -> None:
    prev = _previous([("a", "CUST-0000001"), ("gone", "CUST-0000002")])
    got = assign_customer_ids(_clusters([("a", 0), ("new", 1)]), prev, next_number=3)
    assert _ids(got.records)["new"] == "CUST-0000003"
    retired = got.history[got.history["event"] == "retired"]
    assert retired["customer_id"].tolist() == ["CUST-0000002"]


def test_id_numbers_round_trip() -> None:
    ids = format_id(pd.Series([1, 12345678]))
    assert ids.tolist() == ["CUST-0000001", "CUST-12345678"]
    assert id_number(pd.concat([ids, pd.Series(["other"])])).tolist()[:2] == [1, 12345678]
