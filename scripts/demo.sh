#!/usr/bin/env bash
# Run the nightly DAG once, end to end, through Airflow (no scheduler, no API server).
# Called by `make demo` after `make setup`. Safe to run again and again.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/airflow_env.sh
source scripts/airflow_env.sh

UV="${UV:-uv}"
DAG_ID=nightly_consolidation
TODAY="$(date -u +%F)"
SAMPLE_DIR=sample_data  # the DAG's default sources: sample_data/sources.yml (unless CRM_SOURCES is set)

if [[ ! -f "$SAMPLE_DIR/sources.yml" ]]; then
    echo "==> Generating sample data in $SAMPLE_DIR/ (2000 customers, seed 42)"
    $UV run crm-etl generate --out "$SAMPLE_DIR" --customers 2000 --seed 42
else
    echo "==> Sample data: $SAMPLE_DIR/ (already there; delete it to regenerate)"
fi

mkdir -p "$AIRFLOW_HOME/logs"
LOG="$AIRFLOW_HOME/logs/demo-$(date -u +%Y%m%dT%H%M%SZ).log"
echo "==> airflow dags test $DAG_ID $TODAY  (as_of $TODAY; full log: ${LOG#"$PWD"/})"

# The full Airflow log goes to $LOG; the terminal gets one line per task start/end (a task run once per source
# file shows the file's position in the night, [0], [1] ...).
STARTED="$(date -u +%FT%TZ)"
set +e
$UV run airflow dags test "$DAG_ID" "$TODAY" -c "{\"as_of\": \"$TODAY\"}" 2>&1 \
    | tee "$LOG" \
    | sed -nu -E \
        -e 's/.*\[DAG TEST\] starting task_id=([a-z_]+) map_index=-1.*/    started \1/p' \
        -e 's/.*\[DAG TEST\] starting task_id=([a-z_]+) map_index=([0-9]+).*/    started \1 [\2]/p' \
        -e 's/.*\[DAG TEST\] end task task_id=([a-z_]+) map_index=-1.*/    ended   \1/p' \
        -e 's/.*\[DAG TEST\] end task task_id=([a-z_]+) map_index=([0-9]+).*/    ended   \1 [\2]/p'
status=${PIPESTATUS[0]}
set -e

echo
if [[ $status -ne 0 ]]; then
    echo "==> Last 60 lines of $LOG:" >&2
    tail -n 60 "$LOG" >&2
    echo >&2
fi
# Reports every task's state and prints the summary; exits 1 unless the run succeeded.
report_status=0
$UV run python scripts/dag_run_report.py "$DAG_ID" --logical-date "$TODAY" --after "$STARTED" || report_status=$?

if [[ $status -ne 0 || $report_status -ne 0 ]]; then
    echo "DEMO FAILED: airflow dags test exited $status, run report exited $report_status (log: $LOG)" >&2
    exit 1
fi
echo
echo "==> Demo OK (Airflow log: ${LOG#"$PWD"/})"
