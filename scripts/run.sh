#!/usr/bin/env bash
# `make run`: the WeCom sandbox, migrate, load the demo once, then web + worker + beat in the foreground.
# Ctrl-C stops them all, then the sandbox and the embedded PostgreSQL and Redis.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
PY=.venv/bin/python

SANDBOX_PORT="${WECOM_SANDBOX_PORT:-8001}"
stop() {
  if [[ -n "${SANDBOX_PID:-}" ]]; then kill "$SANDBOX_PID" 2>/dev/null || true; fi
  if [[ -n "${EMBEDDED:-}" ]]; then $PY -m scrm.embedded down; fi
}
trap stop EXIT
if [[ -z "${DATABASE_URL:-}" || -z "${REDIS_URL:-}" ]]; then
  $PY -m scrm.embedded up >/dev/null
  EMBEDDED=1
fi
# The local WeCom sandbox, unless a real corp is configured (WECOM_API_BASE_URL set).
# It starts first so the demo's channel codes can be created on it.
if [[ -z "${WECOM_API_BASE_URL:-}" ]]; then
  mkdir -p var
  WECOM_SANDBOX_CALLBACK_URL="http://127.0.0.1:${SCRM_PORT:-8000}/wecom/callback/" \
    WECOM_SANDBOX_PUBLIC_URL="http://127.0.0.1:${SANDBOX_PORT}" \
    $PY -m wecom_sandbox --port "$SANDBOX_PORT" --state var/wecom-sandbox.json \
    --directory var/wecom-directory.json &
  SANDBOX_PID=$!
fi
$PY manage.py migrate --noinput
$PY manage.py seed_demo --if-empty --customers "${DEMO_CUSTOMERS:-5000}"
if [[ -n "${SANDBOX_PID:-}" ]]; then
  $PY manage.py setup_wecom_demo --directory var/wecom-directory.json
  $PY manage.py setup_archive_demo
fi

cat <<BANNER

  scrm is starting on http://127.0.0.1:${SCRM_PORT:-8000}/
  API docs:        http://127.0.0.1:${SCRM_PORT:-8000}/api/docs/
  Demo logins (password demo12345): hq_admin, branch_manager, rm, compliance
  WeCom sandbox:   http://127.0.0.1:${SANDBOX_PORT}/sandbox/  (scan the channel codes as a customer)
  Sidebar:         http://127.0.0.1:${SCRM_PORT:-8000}/sidebar/  (as the RM who was added)
  Ctrl-C stops everything.

BANNER
honcho -f Procfile.dev start
