#!/usr/bin/env bash
# The browser tests drive Debian's Chromium; install it once if it is missing.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [[ "${SCRM_SKIP_BROWSER_TESTS:-}" == "1" ]]; then
  echo "chromium not installed; browser tests are skipped (SCRM_SKIP_BROWSER_TESTS=1)"
  exit 0
fi
SUDO=""
if [[ "$(id -u)" != "0" ]]; then
  SUDO="sudo"
fi
echo "installing Debian's chromium for the browser tests..."
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
command -v chromium
