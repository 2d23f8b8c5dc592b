"""The run folder's datasets, each declared once: name, producing stage, path, warehouse table, how it is published.

A night's stages talk through files in its run folder (``<data dir>/runs/<run id>/``), never through each other's
code. This module is the one place that knows where each file is (in the spirit of Kedro's data catalog): a stage
asks ``RunCatalog`` for its inputs and outputs by dataset name (``"standardize.contact"``, ``"link.customer"``), the
publish task loads every dataset that fills a warehouse table from here, and the report, the on-entry matcher, the
steward's console, the summary and ``crm-etl`` find the files they show here.

How a dataset is published (``Load.mode``):

``replace``  the table holds the last published night only (staging.*, core.*, marts.* current state): it is
             emptied and refilled.
``history``  the table keeps every night (dq.*, *_history): the night's rows are replaced whichever run wrote
             them, so a rerun or a retry never doubles them; nights older than the retention setting are pruned.
``ledger``   like history, but never pruned, and only this run's rows are replaced
             (core.customer_id_history: every merge and split, forever).

What a stage wrote tonight is what its manifest says (``RunCatalog.warehouse_loads``): a dataset the stage did not
write tonight is not published (its table keeps the previous night; the segments of a night with too few
customers), one it wrote without rows empties a current table and adds nothing to a history table.

A dataset that fills a warehouse table enters it through ``load_dataset`` and nowhere else, whichever code wrote
the file: that is where its columns can be checked against the table's schema.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    import pandas as pd
    import pyarrow as pa
    from sqlalchemy import Connection

Mode = Literal["replace", "history", "ledger"]

#: Where run folders are kept, under the data folder.
RUNS_FOLDER = "runs"


@dataclass(frozen=True)
class Load:
    """A warehouse table a dataset fills, and how publishing treats the table's earlier rows."""

    table: str  # schema.table
    mode: Mode = "replace"


@dataclass(frozen=True)
class Dataset:
    """One file (or folder) of the run folder."""

    name: str
    #: The task that writes it.
    stage: str
    #: Where it is in the run folder; ``{key}`` (a source file's extract), ``{as_of}``, ``{file}`` (a settings
    #: file, or one of the night's files by its part), ``{table}`` and ``{part}`` (a validated part) are filled in.
    path: str
    #: The warehouse tables it fills, in load order.
    loads: tuple[Load, ...] = ()
    #: "absent": a night without rows writes no file (its manifest says so); "file": an empty file is written.
    when_empty: Literal["file", "absent"] = "file"
    #: Columns without a value tonight are written as text (the warehouse's type for them), not as Parquet nulls.
    text_for_empty_columns: bool = False
    #: What it holds, for a reader of the catalog.
    about: str = ""


def _loads(*tables: str, mode: Mode = "replace") -> tuple[Load, ...]:
    return tuple(Load(t, mode) for t in tables)


#: Every dataset of a run folder, in the order the stages write them (and publish loads them).
DATASETS: tuple[Dataset, ...] = (
    # prepare_run
    Dataset("run", "prepare_run", "run.json", about="the run's identity and folders (RunContext)"),
    Dataset("settings", "prepare_run", "settings", about="the run's copy of its settings files"),
    Dataset("settings.sources", "prepare_run", "settings/sources.yml", about="the run's copy of the sources file"),
    Dataset("settings.record", "prepare_run", "settings/snapshot.json", about="where each copy came from, its hash"),
    Dataset("settings.company", "prepare_run", "settings/{file}", about="a company settings file's copy (quality.yml)"),
    Dataset(
        "files",
        "prepare_run",
        "files.json",
        about="the night's files as prepare_run resolved them: what extract, standardize and validate go through",
    ),
    Dataset(
        "failed_unrecorded",
        "any task",
        "failed_unrecorded.json",
        about="a failure the warehouse could not record (the next run moves it into ops.run)",
    ),
    # extract: one pair of files per source file
    Dataset("extract.manifest", "extract", "extract/manifest.json", about="per source file: counts, status, paths"),
    Dataset("extract.records", "extract", "extract/{key}.records.parquet", about="a source file's rows, as text"),
    Dataset("extract.quarantine", "extract", "extract/{key}.quarantine.parquet", about="a file's rows set aside"),
    Dataset(
        "extract.file_report",
        "extract",
        "extract/files/{file}.json",
        about="one file's report ({file}: its part), waiting for the stage's manifest",
    ),
    # standardize
    Dataset("standardize.manifest", "standardize", "standardize/manifest.json", about="each table's path and rows"),
    Dataset("standardize.files", "standardize", "standardize/files", about="each file's staged tables, not combined"),
    Dataset(
        "standardize.file",
        "standardize",
        "standardize/files/{file}",
        about="one file's staged tables ({file}: its part), waiting for the combination",
    ),
    Dataset(
        "standardize.file_manifest",
        "standardize",
        "standardize/files/{file}/manifest.json",
        about="one file's staged tables: their paths and the rows read",
    ),
    Dataset(
        "standardize.file_table",
        "standardize",
        "standardize/files/{file}/{table}.parquet",
        about="one staged table ({table}) of one file",
    ),
    *(
        Dataset(
            f"standardize.{t}", "standardize", f"standardize/{t}.parquet", _loads(f"staging.{t}"), when_empty="absent"
        )
        for t in ("contact", "interaction", "invoice", "payment", "field_issue", "quarantine")
    ),
    # validate
    Dataset("validate.manifest", "validate", "validate/manifest.json", about="counts, suites and the gate's verdict"),
    Dataset("validate.failure", "validate", "validate/failure.parquet", _loads("dq.failure", mode="history")),
    Dataset("validate.metric", "validate", "validate/metric.parquet", _loads("dq.metric", mode="history")),
    Dataset(
        "validate.per_file", "validate", "validate/per_file.parquet", about="per rule and file: what the gate judged"
    ),
    Dataset("validate.data_docs", "validate", "validate/data_docs", about="Great Expectations Data Docs (HTML)"),
    Dataset(
        "validate.data_docs_page",
        "validate",
        "validate/data_docs/index.html",
        about="the night's Data Docs: a link to each validated part's",
    ),
    Dataset(
        "validate.part_data_docs",
        "validate",
        "validate/data_docs/{part}",
        about="the Data Docs of one validated part ({part}: all, or a file's part under a scheduler)",
    ),
    Dataset("validate.parts", "validate", "validate/parts", about="each validated part's results, not combined"),
    Dataset("validate.part", "validate", "validate/parts/{part}", about="one validated part's results"),
    Dataset(
        "validate.part_manifest",
        "validate",
        "validate/parts/{part}/manifest.json",
        about="one validated part: its files, rows, suites and Data Docs",
    ),
    Dataset(
        "validate.part_table",
        "validate",
        "validate/parts/{part}/{table}.parquet",
        about="one validated part's failures, metrics or per-file counts ({table})",
    ),
    # link
    Dataset("link.manifest", "link", "link/manifest.json", about="counts, paths and the tables to publish"),
    Dataset("link.customer", "link", "link/customer.parquet", _loads("core.customer")),
    Dataset(
        "link.customer_source_record",
        "link",
        "link/customer_source_record.parquet",
        _loads("core.customer_source_record"),
    ),
    Dataset(
        "link.customer_field_provenance",
        "link",
        "link/customer_field_provenance.parquet",
        _loads("core.customer_field_provenance"),
    ),
    Dataset("link.match_review", "link", "link/match_review.parquet", _loads("core.match_review")),
    Dataset("link.interaction", "link", "link/interaction.parquet", _loads("core.interaction")),
    Dataset(
        "link.customer_id_history",
        "link",
        "link/customer_id_history.parquet",
        _loads("core.customer_id_history", mode="ledger"),
    ),
    Dataset("link.customer_failure", "link", "link/customer_failure.parquet", _loads("dq.failure", mode="history")),
    Dataset("link.customer_metric", "link", "link/customer_metric.parquet", _loads("dq.metric", mode="history")),
    Dataset(
        "link.review_levels",
        "link",
        "link/review_levels.parquet",
        about="each review pair's comparison levels (cmp_<comparison>), which the steward's console shows",
    ),
    Dataset("link.review_workbook", "link", "link/review_{as_of}.xlsx", about="the doubtful pairs, for a steward"),
    Dataset("link.diagnostics", "link", "link/diagnostics.html", about="the linkage model's page"),
    Dataset("link.model", "link", "link/model.json", about="the fitted linkage model"),
    Dataset("link.linkage_settings", "link", "link/linkage_settings.json", about="the linkage settings used"),
    Dataset("link.match_index", "link", "link/match_index", about="the on-entry matcher's index (crm-etl match)"),
    # what a night keeps for the next one to link incrementally (transforms.linkage.incremental)
    Dataset(
        "link.state",
        "link",
        "link/state.json",
        about="the night's kind (full or incremental) and why, the settings hash, the last full relink",
    ),
    Dataset(
        "link.kept_pairs",
        "link",
        "link/kept_pairs.parquet",
        about="scored pairs at or above the review threshold, with their comparison levels",
    ),
    Dataset("link.record_keys", "link", "link/record_keys.parquet", about="each record's prepared evidence as a hash"),
    Dataset("link.decisions", "link", "link/decisions.parquet", about="the stewards' decisions the night applied"),
    Dataset(
        "link.golden_keys",
        "link",
        "link/golden_keys.parquet",
        about="each record's customer and a hash of its staged row: the next night reuses unchanged golden records",
    ),
    Dataset(
        "link.prepared",
        "link",
        "link/prepared.parquet",
        about="the records as linkage prepared them (match keys): the next night prepares only the changed ones",
    ),
    # receivables
    Dataset("receivables.manifest", "receivables", "receivables/manifest.json", about="counts, model, tables"),
    Dataset(
        "receivables.invoice", "receivables", "receivables/invoice.parquet", _loads("core.invoice"), when_empty="absent"
    ),
    Dataset(
        "receivables.payment", "receivables", "receivables/payment.parquet", _loads("core.payment"), when_empty="absent"
    ),
    Dataset(
        "receivables.customer_reliability",
        "receivables",
        "receivables/customer_reliability.parquet",
        (Load("marts.customer_reliability"), Load("marts.customer_reliability_history", "history")),
        when_empty="absent",
        text_for_empty_columns=True,
    ),
    Dataset(
        "receivables.account_reliability",
        "receivables",
        "receivables/account_reliability.parquet",
        _loads("marts.account_reliability"),
        when_empty="absent",
        text_for_empty_columns=True,
    ),
    Dataset(
        "receivables.customer_balance",
        "receivables",
        "receivables/customer_balance.parquet",
        _loads("marts.customer_balance"),
        when_empty="absent",
        text_for_empty_columns=True,
    ),
    Dataset(
        "receivables.note_failure",
        "receivables",
        "receivables/reliability_note_failure.parquet",
        _loads("dq.failure", mode="history"),
        when_empty="absent",
        text_for_empty_columns=True,
    ),
    Dataset(
        "receivables.note_metric",
        "receivables",
        "receivables/reliability_note_metric.parquet",
        _loads("dq.metric", mode="history"),
        when_empty="absent",
        text_for_empty_columns=True,
    ),
    Dataset("receivables.class_patterns", "receivables", "receivables/class_patterns.json"),
    Dataset("receivables.model_page", "receivables", "receivables/model.html", about="the late-payment model's page"),
    Dataset("receivables.model_figures", "receivables", "receivables/model.json", about="the page's figures"),
    Dataset("receivables.model", "receivables", "receivables/model.pkl", about="the fitted late-payment model"),
    Dataset(
        "receivables.trained_model",
        "receivables",
        "receivables/trained_model.pkl",
        about="the model trained tonight with its night, kept for the next nights once published",
    ),
    # segments
    Dataset("segments.manifest", "segments", "segments/manifest.json", about="counts, tables and the rule views"),
    *(
        Dataset(
            f"segments.{t}",
            "segments",
            f"segments/{t}.parquet",
            _loads(f"marts.{t}", mode="history" if t == "segment_movement" else "replace"),
            text_for_empty_columns=True,
        )
        for t in ("customer_feature", "customer_segment", "segment_profile", "segment_channel", "segment_movement")
    ),
    Dataset("segments.model", "segments", "segments/model.json", about="the segment model's record"),
    # publish
    Dataset("publish.summary", "publish", "publish/summary.json", about="the published night's counts and paths"),
    # report
    Dataset("report.manifest", "report", "report/manifest.json", about="the report's paths and to-do lists"),
    Dataset("report.page", "report", "report/report.html", about="the control report"),
    Dataset("report.todo", "report", "report/todo", about="each employee's to-do workbook and reminder"),
)

BY_NAME: dict[str, Dataset] = {d.name: d for d in DATASETS}
#: Stages whose datasets fill warehouse tables, in load order.
PUBLISHING_STAGES: tuple[str, ...] = tuple(dict.fromkeys(d.stage for d in DATASETS if d.loads))


def dataset(name: str) -> Dataset:
    """The declared dataset of that name."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"no dataset {name!r} in the run catalog") from None


def safe_run_id(run_id: str) -> str:
    """A run id usable as a folder name (scheduler run ids hold ':' and '+')."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", run_id).strip("-") or "run"


@dataclass(frozen=True)
class TableOutput:
    """One warehouse table filled from one Parquet file of a run (None: no rows tonight)."""

    schema: str
    table: str
    path: str | None
    mode: Mode = "replace"
    rows: int = 0
    #: The run catalog's dataset the rows come from.
    dataset: str = ""

    @property
    def name(self) -> str:
        """schema.table."""
        return f"{self.schema}.{self.table}"


def _rows(path: Path | None) -> int:
    if path is None or not path.exists():
        return 0
    import pyarrow.parquet as pq

    return int(pq.read_metadata(path).num_rows)


class RunCatalog:
    """The datasets of one run folder: where each is, reading and writing them, what publishing loads."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    # ------------------------------------------------------------------------------------------ finding runs

    @staticmethod
    def runs_folder(data_dir: str | Path) -> Path:
        """Where the run folders are kept under a data folder."""
        return Path(data_dir) / RUNS_FOLDER

    @classmethod
    def of_run(cls, data_dir: str | Path, run_id: str) -> RunCatalog:
        """The catalog of a run's folder under a data folder (whether or not it exists yet)."""
        return cls(cls.runs_folder(data_dir) / safe_run_id(run_id))

    @classmethod
    def every_run(cls, data_dir: str | Path, holding: str) -> list[RunCatalog]:
        """The run folders under a data folder that hold the dataset ``holding``."""
        runs = cls.runs_folder(data_dir)
        if not runs.is_dir():
            return []
        return [cls(folder) for folder in sorted(runs.iterdir()) if (cls(folder).path(holding)).exists()]

    @classmethod
    def of_path(cls, path: str | Path, name: str) -> RunCatalog | None:
        """The run whose dataset ``name`` is at ``path`` (an index folder given on its own), if it is one."""
        path = Path(path)
        depth = len(Path(dataset(name).path).parts)
        if len(path.parts) <= depth:
            return None
        run = cls(path.parents[depth - 1])
        return run if run.path(name) == path else None

    # ------------------------------------------------------------------------------------------ paths

    def path(self, name: str, **fields: str) -> Path:
        """Where a dataset is in this run folder (``key=`` for a source file's extract, ``as_of=``, ``file=``,
        ``table=``, ``part=``)."""
        return self.root / dataset(name).path.format(**fields)

    def exists(self, name: str, **fields: str) -> bool:
        """Whether the dataset's file (or folder) is there."""
        return self.path(name, **fields).exists()

    def stage_path(self, stage: str) -> Path:
        """The folder of one stage's datasets (each stage owns its own)."""
        folders = {Path(d.path).parts[0] for d in DATASETS if d.stage == stage and len(Path(d.path).parts) > 1}
        if len(folders) != 1:
            raise KeyError(f"no folder of stage {stage!r} in the run catalog")
        return self.root / folders.pop()

    def stage_folder(self, stage: str) -> Path:
        """The folder of one stage's datasets, created."""
        path = self.stage_path(stage)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def output(self, name: str, **fields: str) -> Path:
        """A dataset's path, its folder created, for the stage about to write it."""
        path = self.path(name, **fields)
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    # ------------------------------------------------------------------------------------------ manifests

    def has_manifest(self, stage: str) -> bool:
        """Whether the stage has finished writing in this run (its manifest is there)."""
        return self.exists(f"{stage}.manifest")

    def manifest(self, stage: str) -> dict[str, Any]:
        """A stage's manifest; a missing one means the stage has not run for this run."""
        path = self.path(f"{stage}.manifest")
        if not path.exists():
            raise FileNotFoundError(f"{path} is missing: run the {stage} stage of this run first")
        data: dict[str, Any] = json.loads(path.read_text("utf-8"))
        return data

    def write_manifest(self, stage: str, data: dict[str, Any]) -> str:
        """Write a stage's manifest (atomically: a retried task never leaves half a file)."""
        return self.write_json(f"{stage}.manifest", data)

    def write_json(self, name: str, data: dict[str, Any] | list[Any], **fields: str) -> str:
        """Write a JSON record as the manifests are written (indented, any script as it is), atomically."""
        return str(self.write_text(name, json.dumps(data, indent=2, ensure_ascii=False, default=str), **fields))

    def read_json(self, name: str, **fields: str) -> Any:
        """A JSON dataset as written by ``write_json``; a missing one raises FileNotFoundError naming it."""
        path = self.path(name, **fields)
        if not path.exists():
            raise FileNotFoundError(f"{path} is missing: its stage ({dataset(name).stage}) has not written it")
        return json.loads(path.read_text("utf-8"))

    def write_text(self, name: str, text: str, **fields: str) -> Path:
        """Write a text dataset (a page, a JSON record) atomically."""
        path = self.output(name, **fields)
        _replace_text(path, text)
        return path

    # ------------------------------------------------------------------------------------------ tables

    def read(
        self,
        name: str,
        columns: list[str] | None = None,
        *,
        fill: bool = False,
        matching: Mapping[str, Iterable[Any]] | None = None,
    ) -> pd.DataFrame:
        """A Parquet dataset as a frame: only ``columns`` (those present; with ``fill`` the others added empty),
        or, when the dataset was not written tonight, an empty frame with ``columns``.

        ``matching`` ({column: values}) keeps only the rows whose value in one of those columns (read with the
        others: ``columns`` must name them) is among its values, in their order in the file. The rows are picked
        before they become a frame: a night of a million customers stages thirteen million rows, and a report that
        needs the few thousand it names should not pay for making Python strings of every one."""
        import pandas as pd
        import pyarrow.parquet as pq

        path = self.path(name)
        if not path.exists():
            return pd.DataFrame({c: pd.Series(dtype="object") for c in columns or []})
        if columns is None:
            table = pq.read_table(path)
        else:
            present = set(pq.read_schema(path).names)
            table = pq.read_table(path, columns=[c for c in columns if c in present])
        if matching is not None:
            table = _rows_matching(table, matching)
        frame: pd.DataFrame = table.to_pandas()
        if columns is None:
            return frame
        for c in columns if fill else []:
            if c not in frame:
                frame[c] = None
        return frame

    def write(self, name: str, frame: pd.DataFrame) -> Path | None:
        """Write a frame as a Parquet dataset, atomically; None (and no file) for a dataset written only when it has
        rows (``when_empty="absent"``) and a frame without any."""
        import pyarrow as pa

        declared = dataset(name)
        path = self.output(name)
        if declared.when_empty == "absent" and not len(frame):
            path.unlink(missing_ok=True)
            return None
        if declared.loads:
            # A dataset that fills a warehouse table is written as that table: its columns in its order, an empty
            # column typed as the table says; a missing column or a value of the wrong type stops here, named.
            from transforms.warehouse.table_schemas import conform

            return write_parquet(conform(declared.loads[0].table, frame), path)
        table = pa.Table.from_pandas(frame, preserve_index=False)
        if declared.text_for_empty_columns:
            for i, field in enumerate(table.schema):
                if pa.types.is_null(field.type):
                    table = table.set_column(i, field.name, table.column(i).cast(pa.string()))
        return write_parquet(table, path)

    def write_parts(self, name: str, parts: Iterable[pa.Table]) -> Path | None:
        """Write Arrow tables one after another as one Parquet dataset, atomically, never holding them together
        (``ParquetParts``); each part already has the columns of the table the dataset fills. None (and no file)
        for a dataset written only when it has rows (``when_empty="absent"``) and parts without any."""
        declared = dataset(name)
        out = ParquetParts(self.output(name))
        try:
            for part in parts:
                out.write(part)
        except BaseException:
            out.abort()
            raise
        path = out.close()
        if path is None and declared.when_empty == "file":
            if not declared.loads:
                raise ValueError(f"{name}: no rows, and no table schema to write its empty file with")
            from transforms.warehouse.table_schemas import table_schema

            path = write_parquet(table_schema(declared.loads[0].table).arrow_schema().empty_table(), self.path(name))
        return path

    def written(self, name: str) -> Path | None:
        """A dataset's file if it was written with rows or as a file; None when absent (no rows tonight)."""
        path = self.path(name)
        return path if path.exists() else None

    # ------------------------------------------------------------------------------------------ publishing

    def publish_section(self, names: list[str]) -> list[dict[str, Any]]:
        """What a stage's manifest lists under ``"publish"`` for the datasets it wrote tonight (each table they
        fill, its mode, its file or None, its rows)."""
        out = []
        for name in names:
            path = self.written(name)
            for load in dataset(name).loads:
                schema, table = load.table.split(".")
                out.append(
                    {
                        "schema": schema,
                        "table": table,
                        "path": str(path) if path else None,
                        "mode": load.mode,
                        "rows": _rows(path),
                    }
                )
        return out

    def _written_tonight(self, name: str, manifest: dict[str, Any]) -> tuple[bool, Path | None]:
        """Whether the stage's manifest says it wrote the dataset tonight, and its file (None: without rows)."""
        declared = dataset(name)
        if "publish" in manifest:
            tables = {load.table for load in declared.loads}
            entries = [e for e in manifest["publish"] if f"{e['schema']}.{e['table']}" in tables]
            return bool(entries), self.path(name) if entries and entries[0]["path"] else None
        entry = manifest.get("tables", {}).get(name.split(".", 1)[1])
        if entry is None:
            return False, None
        return True, self.written(name) if entry.get("path") else None

    def warehouse_loads(
        self, *, tables: set[str] | None = None, stages: tuple[str, ...] | None = None, require: bool = True
    ) -> list[TableOutput]:
        """Every warehouse table this run's datasets fill (only ``tables``, only of ``stages``, when given), in load
        order.

        With ``require``, a stage that has not finished (no manifest) raises FileNotFoundError; without, its
        datasets are left out (a night that stopped before publishing).
        """
        out: list[TableOutput] = []
        for stage in stages or PUBLISHING_STAGES:
            if not self.has_manifest(stage):
                if require:
                    missing = self.path(f"{stage}.manifest")
                    raise FileNotFoundError(f"{missing} is missing: the {stage} stage has not run for this run")
                continue
            manifest = self.manifest(stage)
            for declared in DATASETS:
                if declared.stage != stage or not declared.loads:
                    continue
                wanted = [load for load in declared.loads if tables is None or load.table in tables]
                done, path = self._written_tonight(declared.name, manifest) if wanted else (False, None)
                if not done:
                    continue
                for load in wanted:
                    schema, table = load.table.split(".")
                    file = str(path) if path else None
                    out.append(TableOutput(schema, table, file, load.mode, _rows(path), declared.name))
        return out

    def views(self) -> list[str]:
        """SQL statements (create or replace view ...) the stages ask publishing to run after every table."""
        return [
            str(v)
            for stage in PUBLISHING_STAGES
            if self.has_manifest(stage)
            for v in self.manifest(stage).get("views", [])
        ]


def load_dataset(conn: Connection, output: TableOutput) -> int:
    """Put one dataset's rows into its warehouse table inside the caller's transaction; returns rows loaded.

    A replace table is emptied first (and left empty when the dataset has no rows tonight); a history or ledger
    table gets the rows appended (the caller cleared what they replace). Every staged file reaches the warehouse
    through here, whichever code wrote it: the one place to check a file against its table's schema.
    """
    import pyarrow.parquet as pq

    from transforms.warehouse.load import append_parquet, replace_table
    from transforms.warehouse.table_schemas import check_arrow

    path = Path(output.path) if output.path else None
    if path is not None:
        # The file's columns and their types against the table's SQL file (read from the file's footer only).
        check_arrow(output.name, pq.read_schema(path).empty_table(), what=str(path))
    if output.mode == "replace":
        return replace_table(conn, output.schema, output.table, path)
    return append_parquet(conn, output.schema, output.table, path) if path else 0


class ParquetParts:
    """One Parquet file written a part at a time (a chunk of a file, one file of the night), each part a row group
    or more: a table of millions of rows is never held whole. Atomic like ``write_parquet``: the rows go to a file
    beside it, renamed into place by ``close``.

    The file's schema is the first part's with rows; every later part is cast to it, so a column one part left
    empty (typed by the table's schema) and another filled keep one type, and a part whose values do not fit
    stops here.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tmp = path.with_name(f"{path.name}.tmp")
        self.rows = 0
        self._writer: Any = None

    def write(self, table: pa.Table) -> None:
        """Append a part (nothing for one without rows)."""
        import pyarrow.parquet as pq

        if not table.num_rows:
            return
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._writer = pq.ParquetWriter(self.tmp, table.schema)
        elif table.schema != self._writer.schema:
            table = table.select(self._writer.schema.names).cast(self._writer.schema)
        self._writer.write_table(table)
        self.rows += table.num_rows

    def close(self) -> Path | None:
        """Put the file in place; None (and no file) when no part had rows."""
        if self._writer is None:
            self.path.unlink(missing_ok=True)
            return None
        self._writer.close()
        self._writer = None
        self.tmp.replace(self.path)
        return self.path

    def abort(self) -> None:
        """Leave nothing behind (a part failed)."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self.tmp.unlink(missing_ok=True)


def write_parquet(table: pa.Table, path: Path) -> Path:
    """Write an Arrow table to ``path`` atomically (a file beside it, then renamed: a reader never sees half)."""
    import pyarrow.parquet as pq

    tmp = path.with_name(f"{path.name}.tmp")
    pq.write_table(table, tmp)
    tmp.replace(path)
    return path


def _replace_text(path: Path, text: str) -> None:
    tmp = path.with_name(f"{path.name}.tmp")
    tmp.write_text(text, "utf-8")
    tmp.replace(path)


def _rows_matching(table: pa.Table, matching: Mapping[str, Iterable[Any]]) -> pa.Table:
    """The rows of ``table`` whose value in one of ``matching``'s columns is among that column's values (compared
    as text when the values are not of the column's type); a column the table lacks matches nothing."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    keep: pa.ChunkedArray | None = None
    for column, values in matching.items():
        if column not in table.column_names:
            continue
        distinct = pd.Series(list(values), dtype="object").dropna().unique().tolist()
        try:
            wanted = pa.array(distinct)
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # values of several types: compared as text
            wanted = pa.array([str(v) for v in distinct], type=pa.string())
        data = table.column(column)
        try:
            found = pc.is_in(data, value_set=wanted.cast(data.type))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            found = pc.is_in(pc.cast(data, pa.string()), value_set=pc.cast(wanted, pa.string()))
        keep = found if keep is None else pc.or_(keep, found)
    return table.slice(0, 0) if keep is None else table.filter(keep)
