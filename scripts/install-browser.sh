#!/usr/bin/env bash
# Idempotent: Debian's chromium, which the page check of `make test` drives headless
# (render/tests/page.rs). As root it is installed when missing; as another user this says
# how and exits 0, and the page check is skipped with that reason (a failure when
# REQUIRE_RUNTIMES=1).
set -euo pipefail
say() { printf 'install-browser: %s\n' "$*"; }
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  say "chromium not found: as root, apt-get install chromium (the page check needs it)"
  exit 0
fi
say "installing chromium"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null
