# shellcheck shell=bash
# Environment for running Airflow 3 from this project with no server running.
#
#   source scripts/airflow_env.sh      # then: uv run airflow dags test nightly_consolidation
#
# Everything Airflow writes (airflow.cfg, the sqlite metadata DB, task logs)
# stays in <project>/airflow_home (git-ignored). Set CRM_AIRFLOW_HOME to use
# another folder (the end-to-end test does, to stay isolated).

_crm_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

export CRM_PROJECT_ROOT="$_crm_root"
# Where Airflow keeps airflow.cfg, airflow.db and logs/. Without it Airflow
# writes ~/airflow, shared by every project on the machine.
export AIRFLOW_HOME="${CRM_AIRFLOW_HOME:-$_crm_root/airflow_home}"
# The default "dags-folder" bundle reads this folder (airflow.cfg would say $AIRFLOW_HOME/dags).
export AIRFLOW__CORE__DAGS_FOLDER="$_crm_root/dags"
# Otherwise the example DAGs (~70 files) are parsed and written to the DB on every `dags test`.
export AIRFLOW__CORE__LOAD_EXAMPLES=False
# Explicit, so a global AIRFLOW__DATABASE__SQL_ALCHEMY_CONN cannot point us at another DB.
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="sqlite:///$AIRFLOW_HOME/airflow.db"
# Two harmless import-time warnings printed by every CLI call:
# graphviz is optional (only for --save-dagrun), and the in-process Execution
# API of `dags test` uses starlette's TestClient.
_crm_warnings='ignore:Could not import graphviz:UserWarning,ignore:Using `httpx` with `starlette.testclient`'
case ",${PYTHONWARNINGS:-}," in
    *"$_crm_warnings"*) ;;
    *) export PYTHONWARNINGS="${PYTHONWARNINGS:+$PYTHONWARNINGS,}$_crm_warnings" ;;
esac
# Local runs fail fast: `airflow dags test` sleeps through retry_delay (5 min, doubling)
# between retries. Production (a real scheduler) does not source this file: retries=2 there.
export CRM_TASK_RETRIES="${CRM_TASK_RETRIES:-0}"

unset _crm_root _crm_warnings
