#!/usr/bin/env bash
# Idempotent setup. As root it installs what is missing from Debian's packages and starts
# containerd, then dockerd, in the background when they do not answer (there is no systemd
# here); as another user it says what is missing and how to get it, and carries on.
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
logs=target/daemons
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

# Waits up to $1 seconds for the command in the remaining arguments to succeed.
wait_until() {
  local seconds=$1; shift
  for _ in $(seq "$seconds"); do "$@" >/dev/null 2>&1 && return 0; sleep 1; done
  return 1
}
containerd_answers() { ctr --connect-timeout 2s version; }
docker_answers() { timeout 10 docker info; }

# Starts a daemon detached from this shell (so it outlives make), logging under target/.
start() {
  local name=$1; shift
  mkdir -p "$logs"
  say "starting $name (log: $logs/$name.log)"
  setsid nohup "$@" >"$logs/$name.log" 2>&1 < /dev/null &
}

if is_root; then
  if command -v containerd >/dev/null 2>&1 && ! containerd_answers >/dev/null 2>&1; then
    # Never at debug log level: the shim inherits it and runs several times slower.
    start containerd containerd --log-level warn
    wait_until 30 containerd_answers || say "containerd did not answer within 30 s; see $logs/containerd.log"
  fi
  if command -v dockerd >/dev/null 2>&1 && ! docker_answers >/dev/null 2>&1; then
    start dockerd dockerd --containerd=/run/containerd/containerd.sock --log-level warn
    wait_until 60 docker_answers || say "dockerd did not answer within 60 s; see $logs/dockerd.log"
  fi
else
  containerd_answers >/dev/null 2>&1 || say "containerd is not answering (as root: make setup starts it)"
  docker_answers >/dev/null 2>&1 || say "docker is not answering (as root: make setup starts dockerd)"
fi
say "ok"
