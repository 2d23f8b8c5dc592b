"""Every chart of every page goes through transforms.inline_charts: Agg, one DPI, closed once drawn."""

from __future__ import annotations

import base64
import re
import struct
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import pytest

from transforms.inline_charts import DPI, img_tag, new_chart, png_data_uri

PACKAGE = Path(__file__).resolve().parents[2] / "transforms"


def _png_size(uri: str) -> tuple[int, int]:
    data = base64.b64decode(uri.removeprefix("data:image/png;base64,"), validate=True)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_a_chart_is_a_png_data_uri_at_the_fixed_dpi_and_is_closed() -> None:
    assert matplotlib.get_backend().lower() == "agg"
    fig, ax = new_chart(4, 2)
    ax.plot([0, 1], [0, 1])
    ax.set_axis_off()
    uri = png_data_uri(fig)
    assert uri.startswith("data:image/png;base64,")
    width, height = _png_size(uri)
    # bbox_inches="tight" trims the margins: never larger than the figure at DPI, never much smaller.
    assert 0.5 * 4 * DPI <= width <= 4 * DPI and 0.5 * 2 * DPI <= height <= 2 * DPI
    assert not plt.fignum_exists(fig.number)


def test_the_figure_is_closed_even_when_drawing_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    fig, _ = new_chart(2, 2)

    def broken(*_args: object, **_kwargs: object) -> None:
        raise ValueError("cannot draw")

    monkeypatch.setattr(fig, "savefig", broken)
    with pytest.raises(ValueError, match="cannot draw"):
        png_data_uri(fig)
    assert not plt.fignum_exists(fig.number)


def test_img_tag_escapes_its_text_alternative() -> None:
    fig, _ = new_chart(1, 1)
    tag = img_tag(fig, 'Pairs "found" <by> pass & more')
    assert tag.startswith('<img alt="Pairs &quot;found&quot; &lt;by&gt; pass &amp; more" src="data:image/png;base64,')
    assert tag.endswith('">')


def test_no_other_module_draws_its_own_png() -> None:
    drawing = re.compile(r"savefig|b64encode|matplotlib\.use|plt\.subplots")
    found = [
        str(p.relative_to(PACKAGE))
        for p in PACKAGE.rglob("*.py")
        if p.name != "inline_charts.py" and drawing.search(p.read_text("utf-8"))
    ]
    assert found == []
