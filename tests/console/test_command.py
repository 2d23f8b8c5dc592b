"""`crm-etl console`: listed in the help; refuses to listen beyond this machine without a password."""

from __future__ import annotations

from typer.testing import CliRunner

from transforms.cli import app
from transforms.console.phrases import level_phrase
from transforms.console.queue import build_queue, side_by_side

runner = CliRunner()


def test_console_is_a_command() -> None:
    result = runner.invoke(app, ["console", "--help"])
    assert result.exit_code == 0
    assert "--port" in result.output and "--warehouse" in result.output


def test_beyond_loopback_without_a_password_it_does_not_start(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("CRM_CONSOLE_PASSWORD", raising=False)
    result = runner.invoke(app, ["console", "--host", "0.0.0.0", "--warehouse", "duckdb:///:memory:"])
    assert result.exit_code == 2
    assert "CRM_CONSOLE_PASSWORD" in result.output


def test_levels_in_words() -> None:
    assert level_phrase("dob", "equal") == "same date of birth"
    assert level_phrase("phone", "distance <= 1") == "phone one digit off"
    assert level_phrase("given_name", "nickname") == "given name a nickname of the other"
    assert level_phrase("email", "missing") == "e-mail missing on one side"
    assert level_phrase("street", "jaro_winkler >= 0.9") == "street nearly the same"


def _pair(records: str, customers: str, p: float, *, sizes: tuple[int, int] = (1, 1)) -> dict[str, object]:
    left, right = records.split()
    customer_l, customer_r = customers.split()
    return {
        "record_id_l": left,
        "record_id_r": right,
        "customer_id_l": customer_l,
        "customer_id_r": customer_r,
        "match_probability": p,
        "match_weight": 1.0,
        "records_l": sizes[0],
        "records_r": sizes[1],
        "run_id": "r",
        "as_of": "2026-11-20",
        "fingerprint_l": "f" + left,
        "fingerprint_r": "f" + right,
    }


def test_pairs_are_grouped_by_the_customers_they_touch_most_at_stake_first() -> None:
    queue = build_queue(
        [
            _pair("a b", "C1 C2", 0.6),
            _pair("c d", "C3 C3", 0.7, sizes=(9, 9)),  # splitting a customer of 9 records
            _pair("b e", "C2 C4", 0.9),  # joins C2 and C4: same group as the first pair
        ]
    )
    assert [p["key"] for p in queue.pairs] == ["c~d", "b~e", "a~b"]
    assert queue.groups == [[0], [1, 2]]
    assert queue.pairs[0]["stake"] == "not a match splits C3"
    assert queue.pairs[1]["stake"] == "a match joins C2 and C4"


def test_differences_are_marked() -> None:
    rows = side_by_side(
        {
            "given_name": "Иван",
            "surname": "Петров",
            "given_name_latin": "ivan",
            "surname_latin": "petrov",
            "email": "x",
        },
        {"given_name": "Ivan", "surname": "Petrov", "given_name_latin": "ivan", "surname_latin": "petrov"},
    )
    by_label = {r["label"]: r for r in rows}
    assert by_label["name as written"]["differs"] and not by_label["name in Latin letters"]["differs"]
    assert by_label["e-mail"]["one_sided"]
