"""Which unchanged rows may get another verdict on another night: the checks that compare a date with the as-of.

Most checks look at a row alone, and give it the same verdict whatever the night. Two compare a date with the
night's as-of date, so a row's verdict can change from one night to the next although the row did not:

- ``stale_record``: a contact whose last update is older than ``stale_after_days`` before the as-of is stale;
  a contact fresh one night turns stale on the night its last update falls behind that cutoff;
- ``dob_impossible``: a date of birth after the as-of is impossible; it becomes possible on the night it is reached.

A later night that reuses an earlier night's verdicts on unchanged rows (``transforms.pipeline.validate_cache``)
checks again the rows ``date_rule_rows`` names, for these rules. ``AS_OF_RULES`` names them: a test fails when a
suite gains another check that moves with the as-of date, so that this module learns it before a reuse goes wrong.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from transforms.quality.frames import cutoff
from transforms.quality.settings import QualitySettings

#: The rules of the validate stage's suites whose verdict on an unchanged row depends on the as-of date.
AS_OF_RULES = frozenset({"stale_record", "dob_impossible"})
#: The staged contact columns those rules read.
AS_OF_COLUMNS = ["last_updated_on", "date_of_birth"]


def date_rule_rows(contacts: pd.DataFrame, settings: QualitySettings, one: dt.date, other: dt.date) -> pd.Series:
    """Which of these staged contact rows may get another verdict from the date rules as of ``other`` than as of
    ``one`` (either may be the earlier). Read as the suites read the rows (``frames.contact_frame`` and ``checks``):
    a last update is fresh from the cutoff's day on, a birth date is impossible when it is after the as-of's day;
    a time of day, if any, counts as its day (the rows kept may be more than those that change, never fewer)."""
    early, late = sorted((one, other))
    days = settings.stale_after_days
    updated = pd.to_datetime(contacts["last_updated_on"], errors="coerce").dt.normalize()
    born = pd.to_datetime(contacts["date_of_birth"], errors="coerce").dt.normalize()
    turns_stale = updated.ge(pd.Timestamp(cutoff(early, days))) & updated.le(pd.Timestamp(cutoff(late, days)))
    reached = born.ge(pd.Timestamp(early)) & born.le(pd.Timestamp(late))
    return (turns_stale | reached).fillna(False).astype(bool)
