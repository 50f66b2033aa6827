#!/usr/bin/env bash
# Idempotent: as root, makes containerd, then dockerd, answer (there is no systemd here).
# A daemon that answers is left alone. One whose process is there but does not answer (a
# stopped process, a hung one) is continued, then ended; a pid file that names no dockerd
# is removed (dockerd refuses to start while its pid is taken, by any process). Then the
# daemon is started in the background, logging to target/daemons/. When it still does not
# answer, the end of its log is shown; with REQUIRE_RUNTIMES=1 that is an error, as the
# probes and tests would fail without it. As another user this says what does not answer.
set -euo pipefail
cd "$(dirname "$0")/.."

logs=target/daemons
say() { printf 'daemons: %s\n' "$*"; }
required() { [[ ${REQUIRE_RUNTIMES:-} == 1 || ${REQUIRE_RUNTIMES:-} == true ]]; }

containerd_answers() { ctr --connect-timeout 2s version >/dev/null 2>&1; }
docker_answers() { timeout 10 docker info >/dev/null 2>&1; }
# A zombie (the machine's init may reap late) does not count.
running() { pgrep -x -r R,S,D,T,t "$1" >/dev/null; }
gone() { ! running "$1"; }

# Waits up to $1 seconds for the command in the remaining arguments to succeed.
wait_until() {
  local seconds=$1; shift
  for _ in $(seq "$seconds"); do "$@" && return 0; sleep 1; done
  return 1
}

# Daemon $1 (checked by $2) runs but does not answer: SIGCONT (a stopped daemon answers
# again), then SIGTERM, then SIGKILL. Succeeds when it answers again.
recover() {
  local name=$1 answers=$2
  running "$name" || return 1
  pkill -CONT -x "$name" || true
  wait_until 5 "$answers" && { say "$name answers again"; return 0; }
  say "$name runs but does not answer: ending it"
  pkill -TERM -x "$name" || true
  wait_until 15 gone "$name" || { pkill -KILL -x "$name" || true; wait_until 5 gone "$name" || true; }
  return 1
}

# Starts daemon $1 (checked by $2, given $3 seconds) as the remaining arguments, detached
# from this shell so that it outlives make.
start() {
  local name=$1 answers=$2 seconds=$3; shift 3
  mkdir -p "$logs"
  say "starting $name (log: $logs/$name.log)"
  setsid nohup "$@" >"$logs/$name.log" 2>&1 </dev/null &
  wait_until "$seconds" "$answers" && return 0
  say "$name did not answer within $seconds s; the end of $logs/$name.log:"
  tail -n 5 "$logs/$name.log" | sed 's/^/  /'
  if required; then
    say "REQUIRE_RUNTIMES is set: stopping here"
    exit 1
  fi
}

if [ "$(id -u)" != 0 ]; then
  containerd_answers || say "containerd is not answering (as root: make setup starts it)"
  docker_answers || say "docker is not answering (as root: make setup starts dockerd)"
  exit 0
fi

if command -v containerd >/dev/null 2>&1 && ! containerd_answers && ! recover containerd containerd_answers; then
  # Never at debug log level: the shim inherits it and runs several times slower.
  start containerd containerd_answers 30 containerd --log-level warn
fi
if command -v dockerd >/dev/null 2>&1 && ! docker_answers && ! recover dockerd docker_answers; then
  rm -f /var/run/docker.pid
  start dockerd docker_answers 60 dockerd --containerd=/run/containerd/containerd.sock --log-level warn
fi
