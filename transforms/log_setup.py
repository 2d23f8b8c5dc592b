"""How the command line and the processes it starts show log messages: one set-up, so a stage run in a process of
its own (``transforms.pipeline.stage_process``) speaks as the command that started it."""

from __future__ import annotations

import logging

from rich.console import Console
from rich.logging import RichHandler


def log_to(console: Console, *, verbose: bool) -> None:
    """Warnings (every message with ``verbose``) to ``console``, without paths or markup."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=console, show_path=False, markup=False)],
        force=True,
    )
    # Great Expectations logs hundreds of INFO lines about its own set-up; only its warnings matter here.
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
