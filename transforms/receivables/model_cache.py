"""The late-payment model kept between nights: trained every ``model.retrain_every_days``, scored every night.

Training backtests the model on held-back periods and fits it once more on everything known: a fit per period
plus one, and the rule's classes on each period's first day. On a large ledger that is most of the receivables
stage, for a model that hardly moves from one night to the next. So a trained model is kept in the data folder
(``cache/models/late_payment.pkl``) and later nights score every customer with it, from tonight's ledger (the
features are tonight's history: a payment made today counts tonight). It is trained again when:

- ``retrain_every_days`` have passed since it was trained (1: every night), or tonight is earlier than that
  (a night run again for an earlier date never uses a model that knew its future);
- the reliability settings, the base currency, the model's code or the data libraries changed (the key);
- the invoices with something to pay grew or shrank by more than ``retrain_when_history_changes`` (a share)
  since it was trained: another export, a company's first months of history.

The classes (pays on time ... does not pay) never come from this model: they are computed from tonight's
ledger every night. A kept model that cannot be read is trained again, never a reason to stop the night.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import pickle
import uuid
from dataclasses import dataclass
from pathlib import Path

from transforms.extract.files import file_sha256
from transforms.pipeline.standardize_cache import library_versions
from transforms.receivables.model import LateModel
from transforms.receivables.settings import ReliabilitySettings

log = logging.getLogger(__name__)

#: The file the model is kept in, under the data folder's cache.
MODEL_FILE = Path("models") / "late_payment.pkl"
#: What the model's features and training are made by: another version of these files trains it again.
_CODE = [Path(__file__).with_name(name) for name in ("model.py", "metrics.py", "classify.py", "ledger.py")]
_LIBRARIES = ("scikit-learn", "numpy", "pandas", "duckdb")


@dataclass(frozen=True)
class TrainedModel:
    """A late-payment model with what it was trained on: the night, the run, the key and the ledger's size."""

    key: str
    trained_on: dt.date
    run_id: str
    invoices: int
    model: LateModel


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


def load_trained(path: Path) -> TrainedModel | None:
    """The kept model, or None when there is none or it cannot be read (it is then trained again)."""
    if not path.exists():
        return None
    try:
        with path.open("rb") as fh:
            kept = pickle.load(fh)  # the data folder's own file, written by save_trained
    except Exception as exc:  # a file cut short, or pickled by another version of the code
        log.warning("%s: kept late-payment model unreadable (%s); trained again", path, type(exc).__name__)
        return None
    return kept if isinstance(kept, TrainedModel) else None


def reusable(
    kept: TrainedModel | None, *, key: str, as_of: dt.date, invoices: int, settings: ReliabilitySettings
) -> tuple[TrainedModel | None, str]:
    """The kept model if tonight may score with it, and why it may or may not (for the manifest)."""
    ms = settings.model
    if kept is None:
        return None, "no model kept from an earlier night"
    if kept.key != key:
        return None, "the settings, the model's code or the libraries changed since it was trained"
    age = (as_of - kept.trained_on).days
    if age < 0:
        return None, f"the kept model was trained as of {kept.trained_on.isoformat()}, after tonight"
    if age >= ms.retrain_every_days:
        return None, f"trained as of {kept.trained_on.isoformat()}, every {ms.retrain_every_days} day(s)"
    change = abs(invoices - kept.invoices) / max(kept.invoices, 1)
    if change > ms.retrain_when_history_changes:
        return None, (
            f"the invoices with something to pay changed by {change:.1%} since it was trained "
            f"({kept.invoices:,} -> {invoices:,})"
        )
    return (
        kept,
        f"trained as of {kept.trained_on.isoformat()} (run {kept.run_id}); again after {ms.retrain_every_days} day(s)",
    )


def save_trained(path: Path, trained: TrainedModel) -> None:
    """Keep a model trained tonight (written aside and renamed into place: a reader never sees half a file).

    A model trained for an earlier date than the kept one's (a night run again for the past) does not replace it.
    """
    current = load_trained(path)
    if current is not None and current.trained_on > trained.trained_on:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with tmp.open("wb") as fh:
            pickle.dump(trained, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
