"""One night, one set of rows: running a night again leaves every table as one run left it, history included;
a night older than the newest published one is refused unless asked for.

Through `crm-etl run`, as an operator reruns a night by hand. Two nights, so that the history tables hold an
earlier night and the second night's checks (row-count drop, segment movements) have one to compare with.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from tests.support import every_table_checksum
from transforms.cli import app
from transforms.pipeline.summary import format_summary, read_summary

pytestmark = pytest.mark.slow  # runs whole nights: full lane only (make test)

NIGHT_1, NIGHT_2 = "2026-11-19", "2026-11-20"
HISTORY = ("dq.failure", "dq.metric", "marts.customer_reliability_history", "marts.segment_movement")

runner = CliRunner()


@dataclass(frozen=True)
class Warehouse:
    sources: Path
    data_dir: Path
    path: Path

    @property
    def url(self) -> str:
        return f"duckdb:///{self.path}"


def crm_run(wh: Warehouse, as_of: str, run_id: str, *extra: str) -> tuple[int, str]:
    args = ["run", "--sources", str(wh.sources), "--warehouse", wh.url, "--data-dir", str(wh.data_dir)]
    result = runner.invoke(app, [*args, "--as-of", as_of, "--run-id", run_id, *extra])
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def two_nights(sample_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Warehouse, dict[str, str]]:
    """A warehouse after night 1 and night 2, and the checksums of its tables after night 2's first run."""
    data = tmp_path_factory.mktemp("nights")
    wh = Warehouse(sample_dir / "sources.yml", data, data / "warehouse.duckdb")
    for as_of, run_id in ((NIGHT_1, "n1"), (NIGHT_2, "n2")):
        code, output = crm_run(wh, as_of, run_id)
        assert code == 0, output
    return wh, every_table_checksum(wh.path)


def test_running_a_night_again_leaves_every_table_as_one_run_did(two_nights: tuple[Warehouse, dict[str, str]]) -> None:
    wh, once = two_nights
    code, output = crm_run(wh, NIGHT_2, "n2_again")
    assert code == 0, output
    twice = every_table_checksum(wh.path)
    assert set(HISTORY) <= set(twice)
    assert {t: twice[t] for t in twice if twice[t] != once.get(t)} == {}
    with duckdb.connect(str(wh.path), read_only=True) as con:
        nights = con.execute("select as_of, count(distinct run_id) from dq.metric group by 1 order by 1").fetchall()
        runs = con.execute("select run_id from ops.run order by started_at").fetchall()
        reused = con.execute("select bool_and(is_reused) from ops.reconciliation where as_of = ?", [NIGHT_2]).fetchone()
    assert [(str(d), n) for d, n in nights] == [(NIGHT_1, 1), (NIGHT_2, 1)]  # each night once, by its last run
    assert [r[0] for r in runs] == ["n1", "n2", "n2_again"]  # the run log keeps every attempt
    assert reused == (True,)
    summary = read_summary(wh.data_dir / "runs" / "n2_again")
    files = len(summary["files"])
    assert summary["counts"]["files_extract_reused"] == summary["counts"]["files_standardize_reused"] == files > 0
    assert f"{files} not standardized again" in format_summary(summary)


def test_an_older_night_is_refused_then_published_when_asked(two_nights: tuple[Warehouse, dict[str, str]]) -> None:
    wh, _ = two_nights
    before = every_table_checksum(wh.path)
    code, output = crm_run(wh, NIGHT_1, "n1_late")
    assert code == 1
    message = " ".join(output.split())
    assert "Refused: not publishing the night of 2026-11-19" in message and "--allow-older-night" in message
    assert every_table_checksum(wh.path) == before  # nothing published
    with duckdb.connect(str(wh.path), read_only=True) as con:
        status = con.execute("select status, message from ops.run where run_id = 'n1_late'").fetchone()
    assert status is not None and status[0] == "failed" and "newer night of 2026-11-20" in status[1]

    code, output = crm_run(wh, NIGHT_1, "n1_back", "--allow-older-night")
    assert code == 0, output
    with duckdb.connect(str(wh.path), read_only=True) as con:
        current = con.execute("select distinct as_of from core.customer").fetchall()
        metric_nights = con.execute(
            "select as_of, min(run_id), count(distinct run_id) from dq.metric group by 1 order by 1"
        ).fetchall()
    assert [str(r[0]) for r in current] == [NIGHT_1]  # the current tables went back, as asked
    assert [(str(d), n) for d, _, n in metric_nights] == [(NIGHT_1, 1), (NIGHT_2, 1)]
    assert metric_nights[0][1] == "n1_back"  # night 1's rows replaced, night 2's kept
