"""Charts embedded in the project's self-contained HTML pages (control report, linkage diagnostics, payment model).

Each page is one file a manager can mail or open offline, so every chart goes in as a PNG data URI, drawn the
same way everywhere: with Agg (a worker has no display, and an interactive backend would open windows or need
Tk), at one resolution, and with the figure closed once drawn (pyplot keeps every open figure alive, so a night
drawing dozens of charts would grow and warn after twenty).
"""

from __future__ import annotations

import base64
import html
import io
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

#: Dots per inch of every embedded chart: sharp on a laptop screen, a few tens of kilobytes a chart.
DPI = 96


def new_chart(width: float, height: float) -> tuple[Figure, Any]:
    """A figure of ``width`` x ``height`` inches with one axes, drawn with Agg; pass it to ``png_data_uri``."""
    fig, ax = plt.subplots(figsize=(width, height))
    return fig, ax


def png_data_uri(fig: Figure) -> str:
    """The figure as a ``data:image/png;base64,...`` URI; the figure is closed, even when drawing fails."""
    buf = io.BytesIO()
    try:
        fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
    finally:
        plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def img_tag(fig: Figure, alt: str) -> str:
    """The figure as an ``<img>`` element with its text alternative (escaped), for pages written as strings."""
    return f'<img alt="{html.escape(alt)}" src="{png_data_uri(fig)}">'
