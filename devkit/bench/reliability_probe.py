"""Payment reliability: the class from the whole history against the median rule, on two companies.

For each company, its accounting alone, per accounting code: the class right against the truth's true payment
behaviour, for the whole-history class and for the median rule; then the backtest (devkit.scoring.
backtest): the class given at four past days against how the code paid in the following quarter. The
companies are the generated sample (``--customers``, seed ``--seed``) and, when it is on the machine, the
second company (a folder in its format, with ``truth/``; its sources file in ``--company-sources``).
Writes its block of docs/benchmarks.md.

    python -m devkit.bench.reliability_probe --out docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd

from devkit.bench.blocks import write_block
from devkit.bench.samples import AS_OF, sample_folder, staged_sample
from devkit.scoring.backtest import backtest
from transforms.pipeline.catalog import RunCatalog
from transforms.receivables.ledger import settle
from transforms.receivables.reliability import assess
from transforms.receivables.settings import ReliabilitySettings, load_reliability
from transforms.settings import load_sources

PROJECT = Path(__file__).resolve().parents[2]
SECOND = PROJECT.parent / "shared" / "datasets" / "second_company"
SECOND_SOURCES = PROJECT / "tests" / "data" / "second_company" / "sources.yml"
_NO_CONTACTS = pd.DataFrame({"record_id": [], "source_kind": [], "customer_code": []})


def _staged_company(root: Path, sources: Path, as_of: str) -> Path:
    """A run of ``sources`` through extract and standardize under ``root`` (reused when already there)."""
    from transforms.pipeline import tasks

    run_dir = RunCatalog.of_run(root, "reliability").root
    if not RunCatalog(run_dir).has_manifest("standardize"):
        run = tasks.prepare_run(
            sources=str(sources),
            warehouse_url=f"duckdb:///{root / 'w.duckdb'}",
            as_of=as_of,
            run_id="reliability",
            data_dir=str(root),
        )
        tasks.extract(run)
        tasks.standardize(run)
    return run_dir


def measure(
    run_dir: Path, truth: pd.Series, *, settings: ReliabilitySettings, base_currency: str, as_of: dt.date
) -> dict[str, Any]:
    """Accuracy per accounting code (``truth``: code -> true class) and the backtest, from a staged run."""
    staged = RunCatalog(run_dir)
    inv, pay = staged.path("standardize.invoice"), staged.path("standardize.payment")
    (run_dir / "reliability_probe").mkdir(exist_ok=True)
    started = time.perf_counter()
    result = assess(
        inv,
        pay,
        _NO_CONTACTS,
        None,
        as_of=as_of,
        run_id="reliability_probe",
        settings=settings,
        base_currency=base_currency,
        ledger=run_dir / "reliability_probe",
    )
    seconds = time.perf_counter() - started
    accounts = result.accounts.assign(truth=lambda f: f["customer_code"].map(truth))
    due = accounts[(accounts["invoices_due"] > 0) & accounts["truth"].notna()]
    sure = due[due["class_certainty"] == "sure"]
    ledger = settle(pd.read_parquet(inv), pd.read_parquet(pay), as_of=as_of)
    return {
        "codes": len(due),
        "history": float((due["reliability_class"] == due["truth"]).mean()),
        "median_rule": float((due["median_rule_class"] == due["truth"]).mean()),
        "sure_share": len(sure) / max(len(due), 1),
        "sure_right": float((sure["reliability_class"] == sure["truth"]).mean()),
        "seconds": seconds,
        "backtest": backtest(ledger.invoices, ledger.payments, as_of=as_of, settings=settings),
    }


def generated(root: Path, customers: int, seed: int) -> dict[str, Any]:
    """The generated sample: its truth lists each customer's codes and class."""
    run_dir = staged_sample(root, customers, seed=seed, run_id="reliability")
    sample = sample_folder(root, customers, seed)
    truth = pd.read_parquet(sample / "truth" / "customers.parquet", columns=["payment_class", "customer_codes"])
    codes = truth.explode("customer_codes").dropna(subset=["customer_codes"])
    settings, _ = load_reliability(sample / "sources.yml")
    currency = settings.base_currency or load_sources(sample / "sources.yml").defaults.currency
    out = measure(
        run_dir,
        codes.set_index("customer_codes")["payment_class"],
        settings=settings,
        base_currency=currency,
        as_of=dt.date.fromisoformat(AS_OF),
    )
    return {"name": f"generated sample, {customers:,} customers (seed {seed})", **out}


def second_company(root: Path, folder: Path, sources: Path, as_of: str) -> dict[str, Any]:
    """A company in the second company's format: ``truth/customers_truth.csv`` gives each code's true class."""
    run_dir = _staged_company(root / "second_company", sources, as_of)
    truth = pd.read_csv(
        folder / "truth" / "customers_truth.csv", keep_default_na=False, usecols=["payment_class", "accounting_codes"]
    )
    truth = truth[truth["accounting_codes"] != ""].assign(code=lambda f: f["accounting_codes"].str.split(";"))
    settings, _ = load_reliability(sources)
    currency = settings.base_currency or load_sources(sources).defaults.currency
    out = measure(
        run_dir,
        truth.explode("code").set_index("code")["payment_class"],
        settings=settings,
        base_currency=currency,
        as_of=dt.date.fromisoformat(as_of),
    )
    return {"name": f"second company ({folder.name}), its accounting alone", **out}


def render(results: list[dict[str, Any]], command: str) -> str:
    """The Markdown block."""
    lines = [
        "## Payment reliability: the class from the whole history against the median rule",
        "",
        f"`{command}`. Per accounting code with something due, against the truth's true payment behaviour; then "
        "the class given at a past day against how the code paid the invoices falling due in the following "
        "quarter (the quarter's own class by the policy's median rule; and the share of the quarter's invoices "
        "paid within the band the class promises). See docs/reliability.md.",
        "",
        "| company | codes | whole history | median rule | sure: share, right | seconds |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        lines.append(
            f"| {r['name']} | {r['codes']:,} | **{r['history']:.4f}** | {r['median_rule']:.4f} | "
            f"{r['sure_share']:.2f}, {r['sure_right']:.4f} | {r['seconds']:.1f} |"
        )
    lines += [
        "",
        "| company | classed on | next quarter until | codes | codes right: history / median | "
        "invoices in band: history / median |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        bt = r["backtest"]
        for _, b in bt.iterrows():
            lines.append(
                f"| {r['name']} | {b['classed_on']} | {b['quarter_until']} | {b['codes']:,} | "
                f"{b['history_codes_right']:.3f} / {b['median_rule_codes_right']:.3f} | "
                f"{b['history_invoices_in_band']:.3f} / {b['median_rule_invoices_in_band']:.3f} |"
            )
        lines.append(
            f"| {r['name']} | mean | | | **{bt['history_codes_right'].mean():.3f}** / "
            f"{bt['median_rule_codes_right'].mean():.3f} | **{bt['history_invoices_in_band'].mean():.3f}** / "
            f"{bt['median_rule_invoices_in_band'].mean():.3f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, measure both companies, write the block."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--company", type=Path, default=SECOND, help="a company folder with truth/ (skipped if absent)")
    parser.add_argument("--company-sources", type=Path, default=SECOND_SOURCES)
    parser.add_argument("--company-as-of", default=AS_OF)
    parser.add_argument("--work-dir", type=Path, default=PROJECT / "data" / "bench")
    parser.add_argument("--out", type=Path, help="docs/benchmarks.md: replace its reliability block")
    args = parser.parse_args(argv)
    args.work_dir.mkdir(parents=True, exist_ok=True)
    print("benchmarking payment reliability against the median rule ...", flush=True)
    results = [generated(args.work_dir, args.customers, args.seed)]
    if (args.company / "truth").is_dir():
        results.append(second_company(args.work_dir, args.company, args.company_sources, args.company_as_of))
    command = "python -m devkit.bench.reliability_probe" + ("" if argv == [] else " " + " ".join(argv or sys.argv[1:]))
    block = render(results, command)
    if args.out:
        write_block(args.out, "reliability", block)
    print(block)


if __name__ == "__main__":
    main()
