#!/usr/bin/env bash
# Idempotent setup. As root it installs what is missing from Debian's packages (`make
# setup` then installs the shim and starts the daemons: install-shim.sh, daemons.sh); as
# another user it says what is missing and how to get it, and carries on.
set -euo pipefail
cd "$(dirname "$0")/.."

targets=(wasm32-wasip1 wasm32-wasip2 x86_64-unknown-linux-musl)
# Debian package -> a command that shows it is installed.
declare -A packages=(
  [musl-tools]=musl-gcc
  [curl]=curl
  [hyperfine]=hyperfine
  [wrk]=wrk
  [docker.io]=dockerd
  [containerd]=containerd
  [runc]=runc
  [time]=/usr/bin/time
  # pgrep, which the Spin tests use to find what a host left running.
  [procps]=pgrep
)
say() { printf 'setup: %s\n' "$*"; }
is_root() { [ "$(id -u)" = 0 ]; }

if ! command -v rustup >/dev/null 2>&1; then
  say "rustup not found: install Rust with rustup, then run make again"
  exit 1
fi
installed_targets=$(rustup target list --installed)
for t in "${targets[@]}"; do
  grep -qx "$t" <<<"$installed_targets" || { say "adding rust target $t"; rustup target add "$t"; }
done

missing=()
for pkg in "${!packages[@]}"; do
  command -v "${packages[$pkg]}" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if is_root && command -v apt-get >/dev/null 2>&1; then
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    say "missing: ${missing[*]} (as root: apt-get install ${missing[*]}); the probes that need them will be skipped"
  fi
fi

say "ok"
