"""Every example query of sql/examples runs on a warehouse built by a pipeline run, on DuckDB and PostgreSQL.

An example that reads a mart no SQL file defines yet is skipped, naming the table: it runs as soon as the
table's file is merged (a defined table missing from the warehouse fails instead).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.support import PipelineRun
from tests.warehouse.conftest import PostgresWarehouse, as_role
from transforms.warehouse.engine import make_engine
from transforms.warehouse.examples import Example, list_examples, run_example, undefined_relations

EXAMPLES = list_examples()
NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "warehouse_tour.ipynb"


def _run(url: str, example: Example) -> None:
    missing = undefined_relations(example)
    if missing:
        pytest.skip(f"{example.path.name} needs {', '.join(missing)}, which no SQL file defines yet")
    engine = make_engine(url)
    try:
        frame = run_example(engine, example)
    finally:
        engine.dispose()
    assert list(frame.columns), f"{example.path.name} returned no columns"
    if example.name in ("completeness_per_manager", "nights_published"):
        assert len(frame) > 0


def test_every_example_has_a_header_comment() -> None:
    assert {e.name for e in EXAMPLES} >= {
        "top_segments_by_revenue",
        "customers_getting_worse_at_paying",
        "completeness_per_manager",
    }
    for example in EXAMPLES:
        assert example.sql.startswith("--") and example.title, f"{example.path.name} has no header comment"
        assert all(r.startswith("marts.") for r in example.reads), f"{example.path.name} reads outside marts"


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_example_on_duckdb(example: Example, pipeline_run: PipelineRun) -> None:
    _run(pipeline_run.warehouse_url, example)


@pytest.mark.postgres
@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_example_as_analyst_on_postgres(example: Example, postgres_warehouse: PostgresWarehouse) -> None:
    _run(as_role(postgres_warehouse.url, "crm_analyst"), example)


def test_the_warehouse_tour_notebook_runs(pipeline_run: PipelineRun, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_WAREHOUSE_URL", pipeline_run.warehouse_url)
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    ).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs), "the tour drew no chart"


def test_the_notebook_pair_is_in_sync() -> None:
    import jupytext

    paired = jupytext.read(NOTEBOOK.with_suffix(".py"))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert [c.source for c in paired.cells] == [c.source for c in notebook.cells], (
        "notebooks/warehouse_tour.ipynb differs from its .py: run `uv run jupytext --sync notebooks/warehouse_tour.py`"
    )
