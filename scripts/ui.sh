#!/usr/bin/env bash
# The Airflow UI on this machine: `make ui` (Ctrl-C stops it).
#
# Runs `airflow standalone` (API server + UI, scheduler, DAG processor, triggerer) with the project's
# airflow_home, listening on 127.0.0.1 only. The login is admin with a password generated once and kept
# in airflow_home/ui_passwords.json; it is printed on start. CRM_UI_PORT chooses the port (default 8080).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/airflow_env.sh
source scripts/airflow_env.sh
UV="${UV:-uv}"

export AIRFLOW__API__HOST=127.0.0.1
export AIRFLOW__API__PORT="${CRM_UI_PORT:-8080}"
export AIRFLOW__API__BASE_URL="http://127.0.0.1:${AIRFLOW__API__PORT}"
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="admin:admin"
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE="$AIRFLOW_HOME/ui_passwords.json"
if [[ ! -s "$AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE" ]]; then
    python3 -c 'import json, secrets, sys; json.dump({"admin": secrets.token_urlsafe(12)}, open(sys.argv[1], "w"))' \
        "$AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"
    chmod 600 "$AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"
fi
password="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["admin"])' \
    "$AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE")"

echo "==> Airflow UI: http://127.0.0.1:${AIRFLOW__API__PORT}  login: admin  password: ${password}"
echo "    (the DAG nightly_consolidation starts paused: unpause it or press Trigger; Ctrl-C stops everything)"
exec $UV run airflow standalone
