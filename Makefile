# crm-consolidation. The two commands: `make demo` and `make test`.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# uv from PATH, else the one `make setup` installs with `pip install --user`
# (its script dir may not be on PATH, so fall back to `python3 -m uv`).
# Recursive (=) so it is re-evaluated after setup installed uv.
UV = $(shell command -v uv 2>/dev/null || echo python3 -m uv)
# Never re-lock implicitly: every `uv run` uses uv.lock as it is.
export UV_FROZEN := 1

AIRFLOW_ENV := source scripts/airflow_env.sh
AIRFLOW_HOME_DIR := airflow_home
MIGRATED_STAMP := $(AIRFLOW_HOME_DIR)/.db-migrated

.PHONY: help setup demo ui test test-fast lint bench screenshots

help:
	@echo "make demo   set up, generate sample data, run the nightly DAG once through Airflow, print the summary"
	@echo "make ui     set up, start the Airflow UI on http://127.0.0.1:8080 (login printed; Ctrl-C stops it)"
	@echo "make test   set up, run the test suite"
	@echo "make test-fast  the fast lane: no Airflow, no PostgreSQL, no whole nights (under 3 minutes)"
	@echo "make setup  install uv if missing, sync the locked environment, prepare airflow_home/ (idempotent)"
	@echo "make lint   ruff check, ruff format --check, mypy"
	@echo "make bench  benchmark the transforms"

setup:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || { \
		echo "==> installing uv (pip --user)"; \
		python3 -m pip install --quiet --user uv \
			|| python3 -m pip install --quiet --user --break-system-packages uv; }
	@$(UV) sync --frozen --quiet
	@mkdir -p $(AIRFLOW_HOME_DIR)
	@# airflow db migrate takes ~10 s even when there is nothing to do: run it only when
	@# the DB is missing, was never migrated, or uv.lock (so maybe Airflow) changed.
	@if [[ ! -f $(AIRFLOW_HOME_DIR)/airflow.db || ! -f $(MIGRATED_STAMP) || uv.lock -nt $(MIGRATED_STAMP) ]]; then \
		echo "==> airflow db migrate ($(AIRFLOW_HOME_DIR)/)"; \
		$(AIRFLOW_ENV) && $(UV) run airflow db migrate > $(AIRFLOW_HOME_DIR)/db-migrate.log 2>&1 \
			|| { cat $(AIRFLOW_HOME_DIR)/db-migrate.log >&2; exit 1; }; \
		touch $(MIGRATED_STAMP); \
	fi

demo: setup
	@UV="$(UV)" bash scripts/demo.sh

ui: setup
	@UV="$(UV)" bash scripts/ui.sh

# Two workers (the tests are mostly pipeline runs, one core each). Each test file stays on one worker
# (--dist loadfile): many run a whole night or two in a module-scoped fixture, which every worker given one of
# the file's tests would run again. (xdist_group marks are not used: pytest-xdist 3.8 names a group by changing
# a test's id in a way pytest 9.2 no longer reads.) --durations names the slowest tests, for CI's time budget.
test: setup
	@bash scripts/ensure_chromium.sh
	$(UV) run pytest -p no:cacheprovider -n 2 --dist loadfile --durations=25

# The fast lane while working: every test not marked slow (whole nights, large companies, the browser),
# airflow or postgres (markers in pyproject.toml). Needs neither Airflow's home nor PostgreSQL nor Chromium.
FAST_LANE := not slow and not airflow and not postgres

test-fast:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || $(MAKE) --no-print-directory setup
	@$(UV) sync --frozen --quiet
	$(UV) run pytest -p no:cacheprovider -n 2 -m "$(FAST_LANE)"

# The README's pictures of the steward's console, taken by its browser tests.
screenshots: setup
	@bash scripts/ensure_chromium.sh
	CRM_SCREENSHOTS_DIR=docs $(UV) run pytest -p no:cacheprovider tests/console/test_console.py -k duckdb -q

lint: setup
	$(UV) run ruff check . && $(UV) run ruff format --check . && $(UV) run mypy transforms devkit

bench: setup
	@# Splink is compared with in the linkage benchmark only: it is in the `bench` group, not a runtime dependency.
	@$(UV) sync --frozen --quiet --group bench
	$(UV) run --group bench python -m devkit.bench
