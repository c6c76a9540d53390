#!/usr/bin/env bash
# Makes sure Debian's Chromium is there for the HTML report's browser test (playwright-core
# drives it; `npx playwright install` cannot download here). Installs it when missing and
# running as root with apt-get; otherwise exits 1 after printing the exact command to run.
set -euo pipefail
PKGS="chromium"
BIN=/usr/bin/chromium
probe() { "$BIN" --headless --no-sandbox --disable-gpu --version >/dev/null 2>&1; }
if [ -x "$BIN" ] && probe; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Chromium for the HTML report test: $PKGS" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $PKGS >/dev/null
  probe && exit 0
fi
echo "sudo apt-get install -y $PKGS"
exit 1
