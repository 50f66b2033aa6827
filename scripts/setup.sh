#!/usr/bin/env bash
# Idempotent setup. As root it installs what is missing; otherwise it says what is
# missing and how to get it, and carries on (the build then fails only if a build
# dependency itself is missing).
set -euo pipefail

targets=(wasm32-wasip1 x86_64-unknown-linux-musl)
# Debian packages and the command that shows each one is present.
declare -A packages=(
  [musl-tools]=musl-gcc
  [curl]=curl
  [hyperfine]=hyperfine
)

say() { printf 'setup: %s\n' "$*"; }

if ! command -v rustup >/dev/null 2>&1; then
  say "rustup not found: install Rust with rustup, then run make again"
  exit 1
fi
installed_targets=$(rustup target list --installed)
for t in "${targets[@]}"; do
  if ! grep -qx "$t" <<<"$installed_targets"; then
    say "adding rust target $t"
    rustup target add "$t"
  fi
done

missing=()
for pkg in "${!packages[@]}"; do
  command -v "${packages[$pkg]}" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    say "missing: ${missing[*]} (as root: apt-get install ${missing[*]}); carrying on without them"
  fi
fi
say "ok"
