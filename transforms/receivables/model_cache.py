"""The late-payment model kept between nights: trained every ``model.retrain_every_days``, scored every night.

Training backtests the model on held-back periods and fits it once more on everything known: a fit per period
plus one, and the rule's classes on each period's first day. On a large ledger that is most of the receivables
stage, for a model that hardly moves from one night to the next. So a trained model is kept, and the nights after
it score every customer with it from their own ledger (the features are that night's history: a payment made
today counts tonight).

Where: ``cache/models/late_payment/<company>/<as-of>.pkl`` in the data folder, one file per night that trained
one, in a folder of its own per sources file and warehouse (one data folder may serve several). A night's model
is put there by publish, once the night is in the warehouse (``keep_published_model``): a night that broke a
critical rule, or failed, leaves no model for the next nights.

A night uses the newest model trained *before* it (a night run again gets the model it had the first time; a
model trained tonight is never reused tonight, so a rerun with a corrected export trains again), and trains one
instead when:

- ``retrain_every_days`` have passed since that model's night (1: every night), or there is none;
- the reliability settings, the base currency, the model's code or the data libraries changed (the key);
- the invoices with something to pay grew or shrank by more than ``retrain_when_history_changes`` (a share)
  since: another export, a company's first months of history;
- the night was asked for in full (``crm-etl run --full``).

The classes (pays on time ... does not pay) never come from this model: they are computed from the ledger every
night. A kept model that cannot be read is trained again, never a reason to stop the night.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import pickle
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from transforms.extract.files import file_sha256
from transforms.pipeline.standardize_cache import library_versions
from transforms.receivables.settings import ReliabilitySettings

if TYPE_CHECKING:  # publish keeps a model without loading scikit-learn
    from transforms.receivables.model import LateModel

log = logging.getLogger(__name__)

#: What the model's features and training are made by: another version of these files trains it again.
_CODE = [
    Path(__file__).with_name(name)
    for name in ("model.py", "metrics.py", "classify.py", "ledger.py", "reliability.py", "model_cache.py")
]
_LIBRARIES = ("scikit-learn", "numpy", "pandas", "duckdb")
#: Models kept per company: the newest this many (a night run again for an older date trains its own).
KEEP_MODELS = 8


@dataclass(frozen=True)
class TrainedModel:
    """A late-payment model with what it was trained on: the night, the run, the key and the ledger's size."""

    key: str
    trained_on: dt.date
    run_id: str
    invoices: int
    model: LateModel


def model_folder(cache_dir: Path, *, sources: str, warehouse_url: str) -> Path:
    """The folder of one company's kept models: one per sources file and warehouse."""
    company = hashlib.sha256(json.dumps([str(Path(sources).resolve()), warehouse_url]).encode()).hexdigest()[:16]
    return cache_dir / "models" / "late_payment" / company


def model_key(settings: ReliabilitySettings, base_currency: str) -> str:
    """Everything a trained model depends on but the ledger and the day: the settings (but the schedule), the
    base currency, the code that builds its features and the libraries' versions."""
    kept = settings.model_dump(mode="json", exclude={"model": {"retrain_every_days", "retrain_when_history_changes"}})
    text = json.dumps(
        {
            "settings": kept,
            "base_currency": base_currency,
            "code": {p.name: file_sha256(p) for p in _CODE},
            "libraries": library_versions(_LIBRARIES),
        },
        sort_keys=True,
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _night_of(path: Path) -> dt.date | None:
    try:
        return dt.date.fromisoformat(path.stem)
    except ValueError:
        return None


def read_trained(path: Path) -> TrainedModel | None:
    """A kept model, or None when it cannot be read (it is then trained again)."""
    try:
        with path.open("rb") as fh:
            kept = pickle.load(fh)  # the data folder's own file, written by write_trained
    except Exception as exc:  # a file cut short, or pickled by another version of the code
        log.warning("%s: kept late-payment model unreadable (%s); trained again", path, type(exc).__name__)
        return None
    return kept if isinstance(kept, TrainedModel) else None


def latest_before(folder: Path, as_of: dt.date) -> TrainedModel | None:
    """The model of the latest night before ``as_of`` kept in ``folder``, or None."""
    nights = [(night, p) for p in folder.glob("*.pkl") if (night := _night_of(p)) is not None and night < as_of]
    return read_trained(max(nights)[1]) if nights else None


def reusable(
    kept: TrainedModel | None,
    *,
    key: str,
    as_of: dt.date,
    invoices: int,
    settings: ReliabilitySettings,
    asked_full: bool = False,
) -> tuple[TrainedModel | None, str]:
    """The kept model if tonight may score with it, and why it may or may not (for the manifest)."""
    ms = settings.model
    if asked_full:
        return None, "trained again: the night was asked for in full (--full)"
    if kept is None:
        return None, "no model kept from an earlier published night"
    if kept.key != key:
        return None, "the settings, the model's code or the libraries changed since the kept model was trained"
    age = (as_of - kept.trained_on).days
    if age <= 0:
        return None, f"the kept model was trained as of {kept.trained_on.isoformat()}, not before tonight"
    if age >= ms.retrain_every_days:
        return None, f"the kept model is of {kept.trained_on.isoformat()}: trained every {ms.retrain_every_days} day(s)"
    change = abs(invoices - kept.invoices) / max(kept.invoices, 1)
    if change > ms.retrain_when_history_changes:
        return None, (
            f"the invoices with something to pay changed by {change:.1%} since the kept model was trained "
            f"({kept.invoices:,} -> {invoices:,})"
        )
    return kept, (
        f"kept from {kept.trained_on.isoformat()} (run {kept.run_id}); trained again after "
        f"{ms.retrain_every_days} day(s)"
    )


def _aside(path: Path) -> Path:
    """A temporary name beside ``path``, renamed into place once written: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.with_name(f"{path.name}.{uuid.uuid4().hex}.tmp")


def write_trained(path: Path, trained: TrainedModel) -> None:
    """Write a model to ``path``."""
    tmp = _aside(path)
    try:
        with tmp.open("wb") as fh:
            pickle.dump(trained, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def keep_published_model(staged: Path, folder: Path, night: dt.date) -> Path | None:
    """Keep the model a published night trained (``staged``: its run folder's copy, trained as of ``night``) for
    the nights after it; the oldest beyond ``KEEP_MODELS`` are removed. None when the night trained none."""
    if not staged.exists():
        return None
    target = folder / f"{night.isoformat()}.pkl"
    tmp = _aside(target)
    try:
        shutil.copyfile(staged, tmp)
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    kept = sorted((day, p) for p in folder.glob("*.pkl") if (day := _night_of(p)) is not None)
    for _, old in kept[:-KEEP_MODELS]:
        old.unlink(missing_ok=True)
    return target
