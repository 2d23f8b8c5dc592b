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
# # Customer segments: a tour
#
# Every night the batch groups the customers by how they buy, call, visit, complain and pay
# (`marts.customer_segment`), describes each group (`marts.segment_profile`, `marts.segment_channel`) and
# records who moved from one group to another since the night before (`marts.segment_movement`). A segment
# keeps its number and name from night to night. Your own segments, written as rules in `segments.yml`, are
# the views `marts.segment_<rule>`. How it all works: `docs/segments.md`.
#
# The warehouse is the one in the environment variable `CRM_WAREHOUSE_URL` (a DuckDB file or PostgreSQL),
# else the project's `data/warehouse.duckdb` (made by `make demo`). Nothing here shows personal data.

# %%
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display
from sqlalchemy import inspect, text

from transforms.warehouse.engine import make_engine, safe_url
from transforms.warehouse.examples import tour_warehouse_url

url = tour_warehouse_url()
engine = make_engine(url, read_only=True)  # beside a running night: never holds the lock
print("warehouse:", safe_url(url))


def query(sql: str) -> pd.DataFrame:
    """Run one query on the warehouse."""
    with engine.connect() as conn:
        return pd.read_sql(text(sql), conn)


# %% [markdown]
# ## The segments tonight
#
# Size, and the medians that gave each segment its name.

# %%
profiles = query(
    """
    select segment_id, segment_name, customers, round(share_of_customers, 3) as share,
           round(median_invoices_per_year, 2) as invoices_per_year,
           round(median_avg_invoice_amount, 0) as avg_invoice, amount_currency,
           median_tenure_days as tenure_days, round(mean_complaints, 2) as complaints,
           median_survey_score as survey_score, round(share_paying_late, 2) as paying_late,
           top_channel, is_new
    from marts.segment_profile
    order by segment_id
    """
)
display(profiles)

# %%
fig, ax = plt.subplots(figsize=(8, 3.5))
ax.barh(profiles["segment_name"], profiles["customers"], color="#4C72B0")
ax.invert_yaxis()
ax.set_xlabel("customers")
ax.set_title("Customers per segment")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## How the segments differ
#
# Each customer's invoices per year against their average invoice (relative to the typical customer of their
# currency), coloured by segment. A sample of at most 3,000 customers keeps the chart readable.

# %%
points = query(
    """
    select s.segment_name, f.invoices_per_year, f.avg_invoice_index
    from marts.customer_segment as s
    join marts.customer_feature as f on f.customer_id = s.customer_id
    where f.avg_invoice_index is not null
    """
)
points = points.sample(min(len(points), 3000), random_state=1)
fig, ax = plt.subplots(figsize=(8, 5))
for name, group in points.groupby("segment_name"):
    ax.scatter(group["invoices_per_year"] + 0.05, group["avg_invoice_index"], s=6, alpha=0.5, label=name)
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("invoices per year")
ax.set_ylabel("average invoice (1 = typical)")
ax.legend(fontsize=7, markerscale=3)
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Where the customers of each segment came from
#
# Share of each acquisition channel within a segment (`unknown`: no source says).

# %%
channels = query("select segment_name, channel, share from marts.segment_channel")
shares = channels.pivot_table(index="segment_name", columns="channel", values="share", fill_value=0)
ax = shares.plot.barh(stacked=True, figsize=(8, 3.5), colormap="tab10")
ax.set_xlabel("share of the segment")
ax.legend(fontsize=7, bbox_to_anchor=(1, 1))
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Who moved
#
# Customers who changed segment, joined (new customers) or left, per night.

# %%
movements = query(
    """
    select as_of, movement, count(*) as customers
    from marts.segment_movement
    group by as_of, movement
    order by as_of, movement
    """
)
display(movements if len(movements) else "No movements yet: segments have been computed on one night only.")

# %% [markdown]
# ## Your own segments
#
# Each rule of `segments.yml` is a view `marts.segment_<rule>` over `marts.customer_feature`: count them, or
# query them like any table.

# %%
views = sorted(v for v in inspect(engine).get_view_names(schema="marts") if v.startswith("segment_"))
rule_counts = pd.DataFrame(
    [(v, int(query(f"select count(*) as n from marts.{v}")["n"].iloc[0])) for v in views],
    columns=["view", "customers"],
)
display(rule_counts)

# %% [markdown]
# A campaign list of one segment, without personal data, is one command away:
#
# ```bash
# uv run crm-etl export-segment repeat_complainers --out complainers.xlsx --format xlsx --without-personal-data
# ```
