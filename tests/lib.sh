# Shared helpers for the bash integration tests (sourced). Every test gets a private temp dir,
# free loopback ports, and a trap that kills what it started.
set -euo pipefail

: "${DW_BIN:?DW_BIN must point at the driftwatch binary}"
: "${DW_SRC:?DW_SRC must point at the source tree}"
PYTHON3=${PYTHON3:-/usr/bin/python3}

TMP=$(mktemp -d /tmp/dwtest.XXXXXX)
PIDS=()

cleanup() {
    local pid
    for pid in "${PIDS[@]:-}"; do
        [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]:-}"; do
        [ -n "$pid" ] && wait "$pid" 2>/dev/null || true
    done
    rm -rf "$TMP"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# A tool scripts/setup-debian.sh installs: missing, the test fails (never skips), naming the package,
# so a machine without it cannot pass by running less. need_tool COMMAND DEBIAN_PACKAGE
need_tool() {
    command -v "$1" >/dev/null || fail "$1 not found: install the Debian package $2 (bash scripts/setup-debian.sh)"
}

# start_model PORT [--other one|result]: tests/support/v1_model.py in the background, until it
# accepts connections (it answers POSTs only, so wait_http cannot tell).
start_model() {
    "$PYTHON3" "$DW_SRC/tests/support/v1_model.py" "$@" &
    PIDS+=($!)
    local tries=200
    until (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; do
        tries=$((tries - 1))
        [ "$tries" -gt 0 ] || fail "the model server on port $1 did not come up"
        sleep 0.05
    done
}

# A loopback TCP port nobody listens on right now.
free_port() {
    "$PYTHON3" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_http URL [seconds]: until the URL answers 2xx.
wait_http() {
    local url=$1 tries=$(( ${2:-10} * 10 ))
    while [ "$tries" -gt 0 ]; do
        curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
        sleep 0.1
        tries=$((tries - 1))
    done
    fail "timed out waiting for $url"
}

# expect_contains FILE TEXT: fixed-string match, showing the file on failure.
expect_contains() {
    grep -qF -- "$2" "$1" || { echo "--- $1:" >&2; cat "$1" >&2; fail "expected '$2' in $1"; }
}
