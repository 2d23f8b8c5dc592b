# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # A tour of the warehouse
#
# What an analyst can read every morning, without personal data: the `marts` schema (the analyst views
# `marts.customer_overview`, `marts.customer_revenue`, `marts.completeness_by_manager`, `marts.published_night`,
# and the marts tables of payment reliability and segments). Every column is described in `docs/warehouse.md`.
#
# The queries are the files of `sql/examples/`: copy them into any SQL client. The warehouse is the one in the
# environment variable `CRM_WAREHOUSE_URL` (a DuckDB file or PostgreSQL), else the project's
# `data/warehouse.duckdb` (made by `make demo`).

# %%
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display

from transforms.warehouse.engine import make_engine, safe_url
from transforms.warehouse.examples import list_examples, run_example, tour_warehouse_url, undefined_relations

url = tour_warehouse_url()
engine = make_engine(url, read_only=True)  # beside a running night: never holds the lock
print("warehouse:", safe_url(url))

# %% [markdown]
# ## How fresh is it?
#
# The nights that were published, newest first. A partial night (a file could not be read) or a sudden drop in
# rows loaded deserves a look before trusting the marts.

# %%
examples = {example.name: example for example in list_examples()}
results: dict[str, pd.DataFrame] = {}
for name, example in examples.items():
    missing = undefined_relations(example)
    if missing:
        print(f"{example.title}: not available yet, needs {', '.join(missing)}")
        continue
    results[name] = run_example(engine, example)
    print(f"{example.title}: {len(results[name])} rows")

display(results["nights_published"])

# %%
nights = results["nights_published"].sort_values("as_of")
if len(nights):
    ax = nights.plot(x="as_of", y=["rows_read", "rows_loaded", "rows_quarantined"], marker="o", figsize=(8, 3))
    ax.set_title("Source rows per published night")
    ax.set_xlabel("night (as of)")
    plt.show()

# %% [markdown]
# ## Completeness per manager
#
# For each employee, the share of mandatory values present in the records they answer for (last night), and the
# field to fill in first.

# %%
completeness = results["completeness_per_manager"]
display(completeness)

# %%
if len(completeness):
    ax = completeness.sort_values("completeness").plot.barh(
        x="responsible", y="completeness", legend=False, figsize=(7, 0.3 * len(completeness) + 1)
    )
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of mandatory values present")
    ax.set_title("Completeness per manager, last night")
    plt.show()

# %% [markdown]
# ## Customers
#
# `marts.customer_overview` has one row per customer, with the year of birth and the postcode area in place of
# the date of birth and the address. How many customers came by each channel, and how complete their records are:

# %%
with engine.connect() as conn:
    by_channel = pd.read_sql(
        "select coalesce(channel, 'unknown') as channel, count(*) as customers, avg(completeness) as completeness "
        "from marts.customer_overview group by coalesce(channel, 'unknown') order by customers desc",
        conn,
    )
display(by_channel)

# %%
if len(by_channel):
    ax = by_channel.plot.bar(x="channel", y="customers", legend=False, figsize=(7, 3))
    ax.set_title("Customers per acquisition channel")
    plt.show()

# %% [markdown]
# ## Payments and segments
#
# Top segments by revenue, payment reliability per channel and the customers getting worse at paying (when the
# warehouse has the reliability and segment marts).

# %%
for name in ("top_segments_by_revenue", "reliability_by_channel", "customers_getting_worse_at_paying"):
    if name in results:
        print(examples[name].title)
        print(results[name].head(10).to_string(index=False))

# %%
segments = results.get("top_segments_by_revenue")
if segments is not None and len(segments):
    top = segments[segments["currency"] == segments["currency"].iloc[0]]
    ax = top.plot.barh(x="segment_name", y="revenue", legend=False, figsize=(7, 0.4 * len(top) + 1))
    ax.set_title(f"Revenue per segment ({top['currency'].iloc[0]}), last night")
    plt.show()

# %%
engine.dispose()
