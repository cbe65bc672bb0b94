# shellcheck shell=bash
# Helpers for the bad-input catalogue scripts (sourced after tests/lib.sh): the inputs that are too
# big for git are generated here, at test time, into $TMP.
EX="$DW_SRC/examples/data"

# cli EXIT ARGS...: runs driftwatch, stdout in $TMP/out, stderr in $TMP/err; fails on another exit.
cli() {
    local want=$1 rc=0
    shift
    "$DW_BIN" "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
    [ "$rc" -eq "$want" ] || {
        head -c 2000 "$TMP/err" >&2
        fail "driftwatch $* exited $rc, expected $want"
    }
}

# expect_line FILE TEXT: TEXT is one whole line of FILE (exact, not a fragment).
expect_line() {
    grep -qxF -- "$2" "$1" || { echo "--- $1:" >&2; head -c 3000 "$1" >&2; fail "expected the line '$2' in $1"; }
}

# The generated inputs, shared by several doors.
gen_deep() { # gen_deep DEPTH: a flat sample whose 'amount' is DEPTH nested arrays, on one line
    "$PYTHON3" -c 'import sys; d = int(sys.argv[1]); print("{\"amount\": " + "[" * d + "]" * d + "}")' "$1"
}
gen_long_line() { # gen_long_line: a flat sample with a 10 MiB string feature, on one line
    "$PYTHON3" -c 'import json; print(json.dumps({"amount": 1, "note": "x" * (10 * 1024 * 1024)}))'
}
gen_million_features() { # gen_million_features: one flat sample with 1,000,000 features f0..f999999
    "$PYTHON3" -c 'import json; print(json.dumps({"f%d" % i: i % 7 for i in range(1000000)}))'
}
