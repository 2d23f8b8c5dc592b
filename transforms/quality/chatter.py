"""Keep Great Expectations' configuration chatter out of the validate task's log.

Great Expectations narrates its set-up at INFO: registering its documented functions on import (about 200 lines),
data sources, stores, docs sites. None of it says anything about the data. Its warnings still come through.
"""

from __future__ import annotations

import logging


def quiet_great_expectations() -> None:
    """Set every Great Expectations logger to WARNING: before importing it (its import logs) and after (some of
    its modules set their own logger to INFO when imported)."""
    names = [n for n in logging.root.manager.loggerDict if n.split(".", 1)[0] == "great_expectations"]
    for name in ["great_expectations", *names]:
        logging.getLogger(name).setLevel(logging.WARNING)
