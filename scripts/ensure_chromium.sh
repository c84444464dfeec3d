#!/usr/bin/env bash
# The browser tests drive Debian's Chromium, with CJK fonts so Chinese pages render (and
# their screenshots are legible); install whatever of the two is missing, once.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[[ -d /usr/share/fonts/opentype/noto ]] && ls /usr/share/fonts/opentype/noto/NotoSansCJK* >/dev/null 2>&1 \
  || missing+=(fonts-noto-cjk)
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi
if [[ "${SCRM_SKIP_BROWSER_TESTS:-}" == "1" ]]; then
  echo "${missing[*]} not installed; browser tests are skipped (SCRM_SKIP_BROWSER_TESTS=1)"
  exit 0
fi
SUDO=""
if [[ "$(id -u)" != "0" ]]; then
  SUDO="sudo"
fi
echo "installing Debian's ${missing[*]} for the browser tests..."
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
command -v chromium
