"""Export the data-quality suites as Great Expectations JSON, for review.

    uv run python expectations/build_suites.py --as-of 2026-11-20 [--out DIR] [--quality quality.yml]

The suites themselves are built in code by ``transforms.quality.suites`` (so the installed package needs
nothing from this folder); this script only writes what they contain.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

from transforms.quality.settings import load_quality_settings
from transforms.quality.suites import build_suites, suite_json


def main() -> None:
    """Write one JSON file per suite."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "suites")
    parser.add_argument("--as-of", required=True, help="the run date the date rules are relative to (YYYY-MM-DD)")
    parser.add_argument("--quality", type=Path, default=None, help="a company's quality.yml (default: bundled)")
    args = parser.parse_args()
    settings = load_quality_settings(args.quality)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, suite in build_suites(settings, dt.date.fromisoformat(args.as_of)).items():
        path = args.out / f"crm_{name}.json"
        path.write_text(json.dumps(suite_json(suite), indent=2, ensure_ascii=False, default=str) + "\n", "utf-8")
        print(path)


if __name__ == "__main__":
    main()
