#!/usr/bin/env bash
# Install Debian's chromium (driven by Playwright in tests/test_browser.py; no browser download)
# and a small CJK font so the Chinese text of the notebooks renders in the browser (no boxes).
# Skipped when both are already present.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
fc-list :lang=zh 2>/dev/null | grep -q . || need+=(fonts-wqy-microhei)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${need[@]}" >/dev/null
