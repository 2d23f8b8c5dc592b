"""A run's identity and folders, written once to run.json so every task can be retried from paths alone."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from transforms.pipeline.catalog import RunCatalog
from transforms.settings import SourcesFile, load_sources
from transforms.warehouse.engine import absolute_url


@dataclass(frozen=True)
class RunContext:
    """Everything a task needs to know about its run."""

    run_id: str
    as_of: str
    sources: str
    warehouse_url: str
    data_dir: str
    run_dir: str
    #: Publish even if the warehouse already holds a newer night (moves the ids and current tables back).
    allow_older_night: bool = False
    #: The run's copy of its settings files (run_settings.snapshot_settings); empty for a run made before.
    settings_dir: str = ""
    #: Link every record again and refit the model, even where only a few records changed (``crm-etl run --full``).
    full_relink: bool = False

    @property
    def as_of_date(self) -> dt.date:
        """The as-of date as a date."""
        return dt.date.fromisoformat(self.as_of)

    @property
    def catalog(self) -> RunCatalog:
        """The run folder's datasets: where each stage's inputs and outputs are."""
        return RunCatalog(self.run_dir)

    @property
    def settings_file(self) -> str:
        """The sources file the tasks read: the run's copy (company settings files beside it), so that a retried
        task does not pick up an edited file."""
        return str(self.catalog.path("settings.sources")) if self.settings_dir else self.sources

    def load_sources(self) -> SourcesFile:
        """The run's sources file (its copy), with paths resolving against the original's folder."""
        return load_sources(self.settings_file, original=self.sources)

    def shown(self, origin: str) -> str:
        """A settings origin as a user knows it: the original file rather than the run's copy."""
        if self.settings_dir and origin.startswith(f"{self.catalog.path('settings')}/"):
            return str(Path(self.sources).parent / Path(origin).name)
        return origin

    @property
    def cache_dir(self) -> Path:
        """Where unchanged files' extracts are kept between runs."""
        return Path(self.data_dir) / "cache" / "extract"

    @property
    def standardize_cache_dir(self) -> Path:
        """Where unchanged files' standardized rows are kept between runs, beside the extracts."""
        return self.cache_dir.parent / "standardize"

    @property
    def validate_cache_dir(self) -> Path:
        """Where unchanged files' validations are kept between runs, beside the standardize cache."""
        return self.cache_dir.parent / "validate"

    @property
    def late_payment_models(self) -> Path:
        """Where the company's late-payment models are kept between nights, beside the caches: one folder per
        sources file and warehouse (``transforms.receivables.model_cache``)."""
        from transforms.receivables.model_cache import model_folder  # kept out of every task's start-up

        return model_folder(self.cache_dir.parent, sources=self.sources, warehouse_url=self.warehouse_url)

    def save(self) -> Path:
        """Write run.json (idempotent for the same values)."""
        path = self.catalog.output("run")
        path.write_text(json.dumps(asdict(self), indent=2, ensure_ascii=False), "utf-8")
        return path

    @classmethod
    def load(cls, run_dir: str | Path) -> RunContext:
        """Read a run's context back."""
        data = json.loads(RunCatalog(run_dir).path("run").read_text("utf-8"))
        return cls(**data)


def make_context(
    *,
    sources: str,
    warehouse_url: str,
    as_of: str,
    run_id: str,
    data_dir: str,
    allow_older_night: bool = False,
    full_relink: bool = False,
) -> RunContext:
    """Build the context of a new or retried run."""
    dt.date.fromisoformat(as_of)
    data = Path(data_dir).expanduser().resolve()
    run = RunCatalog.of_run(data, run_id)
    return RunContext(
        run_id=run_id,
        as_of=as_of,
        sources=str(Path(sources).expanduser().resolve()),
        warehouse_url=absolute_url(warehouse_url),
        data_dir=str(data),
        run_dir=str(run.root),
        allow_older_night=allow_older_night,
        settings_dir=str(run.path("settings")),
        full_relink=full_relink,
    )
