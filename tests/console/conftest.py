"""The console in a real headless browser (Playwright driving the distribution's Chromium), on copies of the
session's finished night (DuckDB) and on a PostgreSQL warehouse loaded the production way."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from tests.support import PipelineRun
from tests.warehouse.conftest import as_role, night_loaded_as_loader
from transforms.console.app import ConsoleConfig, create_app

CHROMIUM = os.environ.get("CRM_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: Where the browser tests leave their screenshots: the README's pictures in docs/ when asked for
#: (`make screenshots`), else a scratch folder, so that a test run leaves the work tree as it was.
DOCS = Path(os.environ.get("CRM_SCREENSHOTS_DIR") or tempfile.mkdtemp(prefix="console_screenshots_"))
STEWARD = "anna.steward"


@dataclass(frozen=True)
class Warehouse:
    """A warehouse to point the console at: its URL as the console sees it, an owner's URL to check it with."""

    backend: str
    url: str
    admin_url: str
    loader_url: str
    data_dir: Path
    sources: Path
    role: str | None


def _copy_night(pipeline_run: PipelineRun, to: Path) -> Warehouse:
    """A copy of the session's finished night (warehouse and run folders), so the tests may decide and rerun."""
    data = to / "data"
    shutil.copytree(pipeline_run.data_dir, data)
    url = f"duckdb:///{data / pipeline_run.warehouse_path.name}"
    return Warehouse("duckdb", url, url, url, data, pipeline_run.sample_dir / "sources.yml", None)


@pytest.fixture
def duckdb_night(pipeline_run: PipelineRun, tmp_path: Path) -> Warehouse:
    return _copy_night(pipeline_run, tmp_path)


@pytest.fixture(scope="module")
def postgres_night(sample_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    """Roles first, then a night loaded as crm_loader; the console connects as crm_steward."""
    data = tmp_path_factory.mktemp("console_pg")
    with night_loaded_as_loader(sample_dir / "sources.yml", data, "console_pg_1") as url:
        yield Warehouse(
            "postgres", url, url, as_role(url, "crm_loader"), data, sample_dir / "sources.yml", "crm_steward"
        )


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def night(request: pytest.FixtureRequest) -> Warehouse:
    """The same tests on DuckDB and on PostgreSQL."""
    name = "duckdb_night" if request.param == "duckdb" else "postgres_night"
    return request.getfixturevalue(name)  # type: ignore[no-any-return]


class ConsoleServer:
    """The console served by uvicorn on a free local port, in a thread of the test process."""

    def __init__(self, config: ConsoleConfig) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.server = uvicorn.Server(
            uvicorn.Config(create_app(config), host="127.0.0.1", port=self.port, log_level="warning", access_log=False)
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ConsoleServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the console did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


@pytest.fixture
def serve() -> Any:
    """Start the console over a warehouse: ``with serve(night) as server: ...``."""

    def start(night: Warehouse, **options: Any) -> ConsoleServer:
        config = ConsoleConfig(
            warehouse_url=night.url, data_dir=night.data_dir, steward=STEWARD, role=night.role, **options
        )
        return ConsoleServer(config)

    return start


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium of the distribution (Playwright's own browser download is not used)."""
    if not Path(CHROMIUM).is_file():
        if os.environ.get("CI"):
            raise RuntimeError(f"{CHROMIUM} is missing: .ci/run installs it with apt")
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        yield page
    finally:
        context.close()
