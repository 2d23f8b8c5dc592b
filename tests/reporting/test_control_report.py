"""The control report over real nights: two published nights into one warehouse, then a gated one."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from openpyxl import load_workbook

from tests.support import run_pipeline, table_checksums
from transforms.pipeline import tasks
from transforms.pipeline.context import RunContext
from transforms.pipeline.report_stage import run_report
from transforms.quality import QualityGateError
from transforms.reporting.staff import resolve_employees

pytestmark = pytest.mark.slow  # runs whole nights: full lane only (make test)


@dataclass
class Page:
    """What a test needs from a report: elements by id, tables' body rows, links."""

    ids: dict[str, dict[str, str]] = field(default_factory=dict)
    table_rows: dict[str, int] = field(default_factory=dict)
    links: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.page = Page()
        self._table: str | None = None
        self._in_body = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.page.ids[a["id"]] = {"tag": tag, **a}
        if tag == "table":
            self._table = a.get("id")
            if self._table:
                self.page.table_rows[self._table] = 0
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body and self._table:
            self.page.table_rows[self._table] += 1
        elif tag == "a":
            self.page.links.append(a.get("href", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._table = None
        elif tag == "tbody":
            self._in_body = False

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.page.text.append(data.strip())


def parse(path: Path) -> Page:
    p = _Parser()
    p.feed(path.read_text("utf-8"))
    p.close()
    return p.page


@pytest.fixture(scope="module")
def nights(sample_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    company = tmp_path_factory.mktemp("company")
    shutil.copytree(sample_dir, company, dirs_exist_ok=True)
    data = tmp_path_factory.mktemp("data")
    first = run_pipeline(company, data, run_id="night_1", as_of="2026-11-19")
    report_1 = Path(run_report(RunContext.load(str(first.run_dir))).value)
    second = run_pipeline(company, data, run_id="night_2", as_of="2026-11-20")
    report_2 = Path(run_report(RunContext.load(str(second.run_dir))).value)
    before = table_checksums(second.warehouse_path)
    # Night 3: the company tightens its standard; the gate stops the night, the report still comes out.
    (company / "quality.yml").write_text(
        "rules:\n  mandatory_field_missing: {severity: critical, tolerance: 0.0}\n", "utf-8"
    )
    run_dir = tasks.prepare_run(
        sources=str(company / "sources.yml"),
        warehouse_url=second.warehouse_url,
        as_of="2026-11-21",
        run_id="night_3",
        data_dir=str(data),
    )
    tasks.extract(run_dir)
    tasks.standardize(run_dir)
    with pytest.raises(QualityGateError):
        tasks.validate(run_dir)
    report_3 = Path(run_report(RunContext.load(run_dir)).value)
    run_report(RunContext.load(run_dir))  # a retry: idempotent
    return {
        "reports": [report_1, report_2, report_3],
        "warehouse": second.warehouse_path,
        "before": before,
        "run_dirs": [first.run_dir, second.run_dir, Path(run_dir)],
    }


def test_the_second_report_has_a_trend_chart_with_two_points(nights: dict[str, object]) -> None:
    reports: list[Path] = nights["reports"]  # type: ignore[assignment]
    first, second = reports[0], reports[1]
    page_1, page_2 = parse(first), parse(second)
    assert page_1.ids["trend-chart"]["data-points"] == "1"
    chart = page_2.ids["trend-chart"]
    assert chart["tag"] == "img" and chart["src"].startswith("data:image/png;base64,")
    assert chart["data-points"] == "2"
    assert page_2.table_rows["trend-table"] == 2
    assert "Published: tonight's data is in the warehouse." in page_2.text


def test_the_report_is_self_contained_and_has_every_section(nights: dict[str, object]) -> None:
    report = nights["reports"][1]  # type: ignore[index]
    html = report.read_text("utf-8")
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html
    page = parse(report)
    for element in ("trend-chart", "field-chart", "decay-chart", "scores-chart", "ranking", "failure-groups"):
        assert element in page.ids, element
    assert page.table_rows["ranking"] >= 5
    assert page.table_rows["decay-table"] == 13  # already stale + 12 months
    assert page.table_rows["failure-groups"] > 5
    docs = [link for link in page.links if "data_docs" in link]
    assert not docs, "the Data Docs need the internet: not linked for a steward, who works from this report"
    assert "data-docs-note" in page.ids
    todo = [link for link in page.links if link.endswith(".xlsx")]
    assert todo and all((report.parent / t).is_file() for t in todo)
    rows = [link for link in page.links if link.startswith("file://") and ".xlsx#'" in link]
    assert rows, "rows of workbooks link to their sheet and cell"


def test_todo_lists_match_dq_failure(nights: dict[str, object]) -> None:
    """One list per employee: dq.failure's written forms of one person's name counted together."""
    report = nights["reports"][1]  # type: ignore[index]
    with duckdb.connect(str(nights["warehouse"]), read_only=True) as con:
        written = dict(
            con.execute(
                "select responsible, count(*) from dq.failure where run_id = 'night_2' group by responsible"
            ).fetchall()
        )
    directory = resolve_employees(written)
    expected: dict[str, int] = {}
    for form, n in written.items():
        expected[directory.name(form)] = expected.get(directory.name(form), 0) + n
    books = sorted((report.parent / "todo").glob("todo_*.xlsx"))
    assert len(books) == len(expected)
    got = {}
    for book in books:
        wb = load_workbook(book, read_only=True)
        employee = next(r[1] for r in wb["About"].iter_rows(values_only=True) if r[0] == "Employee")
        got[employee] = wb["To do"].max_row - 1
    assert got == expected
    assert len(list((report.parent / "todo").glob("reminder_*.txt"))) == len(expected)


def test_a_gated_night_reports_and_loads_only_its_dq_rows(nights: dict[str, object]) -> None:
    report = nights["reports"][2]  # type: ignore[index]
    page = parse(report)
    assert "Not published." in page.text
    assert any("mandatory_field_missing" in t for t in page.text)
    assert page.ids["trend-chart"]["data-points"] == "3"
    assert table_checksums(nights["warehouse"]) == nights["before"]  # type: ignore[arg-type]
    validate = nights["run_dirs"][2] / "validate"  # type: ignore[index]
    with duckdb.connect(str(nights["warehouse"]), read_only=True) as con:
        n_fail = con.execute("select count(*) from dq.failure where run_id = 'night_3'").fetchone()
        n_metric = con.execute("select count(*) from dq.metric where run_id = 'night_3'").fetchone()
        status = con.execute("select status from ops.run where run_id = 'night_3'").fetchone()
    assert status == ("failed",)
    assert n_fail == (len(pd.read_parquet(validate / "failure.parquet")),)  # loaded once despite the retry
    assert n_metric == (len(pd.read_parquet(validate / "metric.parquet")),)
