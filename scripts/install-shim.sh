#!/usr/bin/env bash
# Idempotent: builds the containerd shim (containerd-shim-wasmtime-v1, runtime
# io.containerd.wasmtime.v1) and installs it where containerd finds it, /usr/local/bin,
# once per engine (cranelift, winch, pulley).
# As root it installs the Debian packages the build needs when they are missing, and
# replaces the installed binary only when it differs from the build. As another user it
# says what to do and exits 0, so `make setup` carries on (the wasm container probes are
# then skipped with the reason).
set -euo pipefail
cd "$(dirname "$0")/.."

bin=containerd-shim-wasmtime-v1
dest=/usr/local/bin/$bin
# Debian package -> a file or command that shows it is installed.
declare -A packages=(
  [protobuf-compiler]=protoc
  [libseccomp-dev]=/usr/include/seccomp.h
  [pkg-config]=pkg-config
)
say() { printf 'install-shim: %s\n' "$*"; }

if [ "$(id -u)" != 0 ]; then
  say "not root: as root, run \`make setup\` (or scripts/install-shim.sh) to build $bin and install it to $dest"
  exit 0
fi

missing=()
for pkg in "${!packages[@]}"; do
  probe=${packages[$pkg]}
  if [[ $probe == /* ]]; then
    [ -e "$probe" ] || missing+=("$pkg")
  else
    command -v "$probe" >/dev/null 2>&1 || missing+=("$pkg")
  fi
done
if ((${#missing[@]})); then
  command -v apt-get >/dev/null 2>&1 || { say "missing ${missing[*]} and no apt-get: install them, then run again"; exit 1; }
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The workspace as `make build` builds it (make passes its REPORT_TARGETS: libraries,
# binaries, benches; run alone, every target): one feature set (benches bring the
# dev-dependencies in, as tests do), so wasmtime is compiled once for the shim, measure,
# the benches and, later, the tests.
targets=${REPORT_TARGETS:---all-targets}
say "building $bin (cargo build --release --workspace $targets)"
# shellcheck disable=SC2086 # the targets are several flags
cargo build --release --workspace $targets
built=target/release/$bin
[ -x "$built" ] || { say "the build did not produce $built"; exit 1; }

# One binary per engine (shim/contract's SHIM_ENGINES): containerd maps runtime
# io.containerd.<name>.v1 to containerd-shim-<name>-v1, and the shim reads its engine
# from that name. Copies, not links: the shim re-executes itself by its resolved path.
for name in "$bin" containerd-shim-wasmtime-winch-v1 containerd-shim-wasmtime-pulley-v1; do
  target=$(dirname "$dest")/$name
  if [ -e "$target" ] && cmp -s "$built" "$target"; then
    say "$target is up to date"
  else
    # install(1) writes a new file and renames it over the old one, so a shim that
    # containerd is starting at this moment is never half written.
    install -m 755 "$built" "$target"
    say "installed $target"
  fi
done
command -v "$bin" >/dev/null 2>&1 || say "warning: $(dirname "$dest") is not on PATH; containerd looks the shim up on its PATH"
say "ok"
