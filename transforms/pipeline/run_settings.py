"""The run's settings, copied once: every task of a run reads the same files, however the originals change.

``prepare_run`` copies the sources file and every company settings file beside it (quality.yml, linkage.yml,
...) into ``<run folder>/settings/``, validates each copy, and records where each came from in
``settings/snapshot.json``. The tasks read the copies (``RunContext.settings_file``), so a task retried an hour
later, after someone edited a YAML file, still runs with the settings the night started with. Paths inside the
sources file still resolve against the original file's folder, where the company's files are.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from transforms.pipeline.catalog import RunCatalog
from transforms.settings import SettingsError

#: The company's settings files a run may read beside its sources file (each overrides bundled defaults).
COMPANY_FILES = (
    "quality.yml",
    "linkage.yml",
    "survivorship.yml",
    "reliability.yml",
    "segments.yml",
    "vocabulary.yml",
    "staff.yml",
)


def snapshot_settings(sources_file: str | Path, run_dir: str | Path) -> Path:
    """Copy the sources file and the company files beside it into the run's settings folder, validate the copies
    (a mistake stops the run here, naming the original file and key, before the run folder is made), and return
    the folder."""
    original = Path(sources_file).expanduser().resolve()
    with tempfile.TemporaryDirectory(prefix="crm-settings-") as tmp:
        staged = RunCatalog(tmp)
        staged.stage_folder("prepare_run")
        files: list[dict[str, Any]] = []
        copies = [(staged.path("settings.sources"), original)]
        copies += [(staged.path("settings.company", file=n), original.parent / n) for n in COMPANY_FILES]
        for copy, source in copies:
            if source is not original and not source.is_file():
                continue
            try:
                shutil.copyfile(source, copy)
            except FileNotFoundError:
                raise SettingsError(f"{source}: settings file not found") from None
            digest = hashlib.sha256(copy.read_bytes()).hexdigest()
            files.append({"name": copy.name, "copied_from": str(source), "sha256": digest})
        record = {"sources_file": str(original), "files": files}
        staged.path("settings.record").write_text(json.dumps(record, indent=2, ensure_ascii=False), "utf-8")
        validate_snapshot(staged.path("settings.sources"), original)
        folder = RunCatalog(run_dir).path("settings")
        if folder.exists():
            shutil.rmtree(folder)
        folder.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(staged.path("settings"), folder)
    return folder


def validate_snapshot(settings_file: Path, original: Path) -> None:
    """Load every settings file of the snapshot as the tasks will; errors name the original file, not the copy.

    staff.yml is copied but not checked here: the report names an unreadable one and groups employees without it.
    """
    from transforms.customers.settings import load_survivorship
    from transforms.linkage.settings import load_linkage_settings
    from transforms.quality.settings import settings_for_sources
    from transforms.receivables.settings import load_reliability
    from transforms.segments.settings import load_segments
    from transforms.settings import load_sources
    from transforms.standardize.vocabulary import load_vocabulary

    try:
        load_sources(settings_file, original=original)
        settings_for_sources(settings_file)
        load_linkage_settings(settings_file)
        load_survivorship(settings_file)
        load_reliability(settings_file)
        load_segments(settings_file)
        load_vocabulary(settings_file)
    except SettingsError as exc:
        raise SettingsError(str(exc).replace(str(settings_file.parent), str(original.parent))) from None
