#!/usr/bin/env bash
# `make run`: migrate, load the demo once, then web + worker + beat in the foreground.
# Ctrl-C stops them all, then the embedded PostgreSQL and Redis.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
PY=.venv/bin/python

if [[ -z "${DATABASE_URL:-}" || -z "${REDIS_URL:-}" ]]; then
  $PY -m scrm.embedded up >/dev/null
  trap '$PY -m scrm.embedded down' EXIT
fi
$PY manage.py migrate --noinput
$PY manage.py seed_demo --if-empty --customers "${DEMO_CUSTOMERS:-5000}"

cat <<BANNER

  scrm is starting on http://127.0.0.1:${SCRM_PORT:-8000}/
  API docs:        http://127.0.0.1:${SCRM_PORT:-8000}/api/docs/
  Demo logins (password demo12345): hq_admin, branch_manager, rm, compliance
  Ctrl-C stops everything.

BANNER
honcho -f Procfile.dev start
