"""The steward's console in a headless browser, on DuckDB and on PostgreSQL: the review queue decided with the
keyboard and the mouse, undo, decisions stored as `crm-etl review import` stores them and holding the next night;
a customer written in Cyrillic found by its Latin name; the data-quality queue; hostile values escaped."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from base64 import b64encode
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError

from tests.console.conftest import DOCS, STEWARD, Warehouse
from transforms.console.server import ConsoleRefusedError, console_config
from transforms.console.store import console_engine
from transforms.pipeline import tasks
from transforms.warehouse.engine import make_engine

pytestmark = pytest.mark.slow  # drives a browser over a published night: full lane only (make test)


def _read(url: str, sql: str, **params: Any) -> pd.DataFrame:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return pd.read_sql(text(sql), conn, params=params)
    finally:
        engine.dispose()


def _status(page: Any, position: int) -> str:
    return str(page.locator(f"#pair-{position} .status").inner_text()).strip()


def _key_pair(page: Any, position: int) -> tuple[str, str]:
    action = page.locator(f"#pair-{position} form.verdict").get_attribute("action")
    left, right = re.fullmatch(r"/pairs/(.+)~(.+)/decide", action).groups()  # type: ignore[union-attr]
    return left, right


def test_decisions_made_in_the_browser_are_stored_and_hold_the_next_night(
    night: Warehouse, serve: Any, page: Any
) -> None:
    with serve(night) as console:
        page.goto(f"{console.url}/queue")
        assert page.locator("section.pair").count() >= 4
        assert page.locator("#pair-0.current").count() == 1  # the first undecided pair is selected
        assert page.locator(".waterfall .wf-row").count() > 0 and page.locator(".comparisons li").count() > 0
        if night.backend == "duckdb":
            page.screenshot(path=str(DOCS / "console_queue.png"))
        # Four pairs with distinct decisions (a pair whose records are identical to another pair's shares its
        # decision: it follows the records' fingerprints).
        keys = page.locator("section.pair").evaluate_all("els => els.map(e => e.dataset.decision)")
        first, second, third, fourth = [keys.index(k) for k in list(dict.fromkeys(keys))[:4]]
        pairs = [_key_pair(page, i) for i in (first, second, third, fourth)]

        def select(position: int) -> None:
            page.locator(f"#pair-{position} .pair-head").click()
            assert page.locator(f"#pair-{position}.current").count() == 1

        # Keyboard: m on the first pair; a note and n on the second; s on the fourth.
        select(first)
        with page.expect_navigation():
            page.keyboard.press("m")
        select(second)
        page.keyboard.press("e")
        page.keyboard.type("different birth years in two journals")
        page.keyboard.press("Escape")
        with page.expect_navigation():
            page.keyboard.press("n")
        # Mouse: "Match" on the third pair.
        with page.expect_navigation():
            page.locator(f"#pair-{third} button.b-match").click()
        assert "decided: match" in _status(page, third)
        select(fourth)
        with page.expect_navigation():
            page.keyboard.press("s")
        assert "not sure" in _status(page, fourth)
        # Undo twice: the key u undoes "not sure" on the fourth, the button the match on the third.
        with page.expect_navigation():
            page.keyboard.press("u")
        with page.expect_navigation():
            page.locator("#undo").click()

        page.reload()
        assert "decided: match" in _status(page, first)
        assert "decided: not a match" in _status(page, second)
        assert "different birth years" in _status(page, second)
        assert _status(page, third) == "undecided"
        assert _status(page, fourth) == "undecided"

    stored = _read(night.admin_url, "select * from core.match_decision order by is_match desc")
    assert len(stored) == 2
    assert set(stored["decided_by"]) == {STEWARD} and set(stored["workbook"]) == {"console"}
    assert stored["decided_at"].notna().all()
    assert {(r.record_id_l, r.record_id_r) for r in stored.itertuples()} <= {
        p for pair in pairs[:2] for p in (pair, pair[::-1])
    }
    assert stored.loc[~stored["is_match"], "note"].tolist() == ["different birth years in two journals"]

    # The next night: the verdicts are constraints, and the decided pairs are no longer in review.
    tasks.run_all(
        sources=str(night.sources),
        warehouse_url=night.loader_url,
        as_of="2026-11-21",
        run_id=f"console_{night.backend}_2",
        data_dir=str(night.data_dir),
    )
    links = _read(night.admin_url, "select record_id, customer_id from core.customer_source_record")
    customer = links.set_index("record_id")["customer_id"]
    (match_l, match_r), (no_l, no_r) = pairs[0], pairs[1]
    assert customer[match_l] == customer[match_r]
    assert customer[no_l] != customer[no_r]
    review = _read(night.admin_url, "select record_id_l, record_id_r, as_of from core.match_review")
    assert (review["as_of"].astype(str) == "2026-11-21").all()
    waiting = {frozenset(p) for p in zip(review["record_id_l"], review["record_id_r"], strict=True)}
    assert frozenset(pairs[0]) not in waiting and frozenset(pairs[1]) not in waiting
    assert len(_read(night.admin_url, "select * from core.match_decision")) == 2


def test_a_customer_written_in_cyrillic_is_found_by_its_latin_name(night: Warehouse, serve: Any, page: Any) -> None:
    found = _read(
        night.admin_url,
        "select c.given_name, c.surname, c.given_name_latin, c.surname_latin, s.customer_id "
        "from staging.contact as c inner join core.customer_source_record as s on s.record_id = c.record_id "
        "where c.surname like '%ов' and c.given_name_latin is not null order by c.record_id limit 1",
    ).iloc[0]
    with serve(night) as console:
        page.goto(f"{console.url}/queue")
        page.keyboard.press("/")
        page.keyboard.type(f"{found['given_name_latin'].title()} {found['surname_latin'].title()}")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        with page.expect_navigation():
            page.locator(f"a[href='/customers/{found['customer_id']}']").first.click()
        body = page.locator("main").inner_text()
        assert found["surname"] in body  # as written, in Cyrillic
        for section in ("Golden record", "Source records", "Id history", "Payment reliability"):
            assert section in body
        assert page.locator("table.golden td.src").filter(has_text="row").count() > 0  # where each field comes from
        if night.backend == "duckdb":
            page.screenshot(path=str(DOCS / "console_customer.png"), full_page=True)
        # Phone and customer id find the same customer.
        phone = _read(
            night.admin_url, "select phone_e164 from core.customer where customer_id = :c", c=found["customer_id"]
        )
        if phone["phone_e164"].notna().all():
            page.goto(f"{console.url}/customers?q={phone['phone_e164'][0].lstrip('+')}")
            assert page.locator(f"a[href='/customers/{found['customer_id']}']").count() == 1


def test_the_quality_queue_names_the_source_row_and_links_its_customer(night: Warehouse, serve: Any, page: Any) -> None:
    with serve(night) as console:
        page.goto(f"{console.url}/quality")
        assert page.locator("table.list").first.locator("tbody tr").count() > 0
        linked = page.locator("main a[href^='/customers/CUST-']").first
        assert "row" in page.locator("td.src").first.inner_text()
        with page.expect_navigation():
            linked.click()
        assert "Open data-quality failures" in page.locator("main").inner_text()


def test_hostile_values_are_shown_as_text(duckdb_night: Warehouse, serve: Any, page: Any) -> None:
    hostile = "<img src=x onerror=alert(1)>"
    engine = make_engine(duckdb_night.url)
    with engine.begin() as conn:
        customer_id = conn.execute(text("select customer_id from core.customer order by customer_id limit 1")).scalar()
        conn.execute(
            text("update core.customer set email = :e where customer_id = :c"), {"e": hostile, "c": customer_id}
        )
        conn.execute(
            text(
                "update staging.contact set email = :e where record_id in "
                "(select record_id from core.customer_source_record where customer_id = :c)"
            ),
            {"e": hostile, "c": customer_id},
        )
    engine.dispose()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    with serve(duckdb_night) as console:
        page.goto(f"{console.url}/customers/{customer_id}")
        assert hostile in page.locator("main").inner_text()
        assert page.locator("main img").count() == 0
        page.goto(f"{console.url}/customers?q={urllib.request.quote(hostile)}")
    assert dialogs == []


@pytest.mark.postgres
def test_on_postgres_the_console_writes_decisions_only(postgres_night: Warehouse) -> None:
    engine = console_engine(postgres_night.url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("select current_user")).scalar() == "crm_steward"
            with pytest.raises(ProgrammingError, match="permission denied"):
                conn.execute(text("update core.customer set email = 'x@example.org'"))
            conn.rollback()
            with pytest.raises(ProgrammingError, match="permission denied"):
                conn.execute(text("delete from dq.failure"))
            conn.rollback()
    finally:
        engine.dispose()


def test_beyond_this_machine_only_behind_a_password(duckdb_night: Warehouse, serve: Any) -> None:
    with pytest.raises(ConsoleRefusedError, match="CRM_CONSOLE_PASSWORD"):
        console_config(warehouse_url=duckdb_night.url, host="0.0.0.0", data_dir=None, steward="x", password="")
    config = console_config(warehouse_url=duckdb_night.url, host="0.0.0.0", data_dir=None, steward="x", password="s3")
    assert config.password == "s3"
    with serve(duckdb_night, password="s3") as console:
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{console.url}/queue")
        assert refused.value.code == 401
        signed = urllib.request.Request(
            f"{console.url}/queue", headers={"Authorization": "Basic " + b64encode(b"bob:s3").decode()}
        )
        with urllib.request.urlopen(signed) as answer:
            assert answer.status == 200
        forged = urllib.request.Request(f"{console.url}/queue", headers={"Host": "evil.example"})
        with pytest.raises(urllib.error.HTTPError) as wrong_host:
            urllib.request.urlopen(forged)
        assert wrong_host.value.code in (400, 401)
