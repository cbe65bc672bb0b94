#!/usr/bin/env bash
# Bad-input catalogue, tail and proxy doors. tail: lines of a followed JSON Lines file, each bad one
# logged as FILE:LINE: skipped: why and counted, the lines around it taken, and a bad LAST line
# never stalls the reader. proxy: every answer reaches the client unchanged, whatever the payload;
# a pair the tap cannot read is counted (tap_bad_payload) and logged at debug with its position.
# Each probe feeds a model of its own, whose window must hold exactly the samples taken.
source "$DW_SRC/tests/lib.sh"
source "$DW_SRC/tests/badinput/badinput_lib.sh"

PORT=$(free_port)
PROXY_PORT=$(free_port)
MODEL_PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
"$DW_BIN" baseline --data "$EX/train.csv" --out "$TMP/base.json" --prediction prediction 2>/dev/null

# A v1 model server that answers one prediction per instance, or one when the body is not a v1 call.
start_model "$MODEL_PORT" --other one

LOG="$TMP/predictions.jsonl"
: >"$LOG"
cat >"$TMP/dw.yaml" <<YAML
agent: {listen: 127.0.0.1:$PORT, state_dir: $TMP/state, plugin_dir: $DW_PLUGIN_DIR, log: {level: debug}}
models:
  - name: t
    baseline: $TMP/base.json
    window: {size: 1000000}
    probes:
      - {plugin: tail, model: t, path: $LOG, poll: 20ms}
    sampling: {plugin: sampler, policy: all}
  - name: p
    baseline: $TMP/base.json
    window: {size: 1000000}
    probes:
      - {plugin: proxy, model: p, listen: "127.0.0.1:$PROXY_PORT", upstream: "http://127.0.0.1:$MODEL_PORT",
         protocol: v1, tap_interval: 10ms}
    sampling: {plugin: sampler, policy: all}
YAML
"$DW_BIN" run -c "$TMP/dw.yaml" 2>"$TMP/agent.log" &
PIDS+=($!)
wait_http "$BASE/readyz" 20

metric() { # metric 'name{labels}' -> value, or 0 when absent
    curl -s "$BASE/metrics" >"$TMP/metrics"
    awk -v k="$1" '$1 == k {v = $2} END {print v == "" ? 0 : v}' "$TMP/metrics"
}
wait_metric() { # wait_metric 'name{labels}' VALUE: polls for up to 240 s: the proxy taps on an
    # idle-priority thread, which a busy machine starves, and a million-feature tap under
    # ThreadSanitizer takes minutes (153 s was not enough in CI next to other tests)
    local tries=4800
    while [ "$(metric "$1")" != "$2" ]; do
        tries=$((tries - 1))
        [ "$tries" -gt 0 ] || fail "$1 is $(metric "$1"), expected $2"
        sleep 0.05
    done
}
alive() { # alive MODEL KEPT: still serving, and the window holds exactly KEPT samples
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/healthz")" = 200 ] || fail "/healthz is not 200"
    local w
    w=$(metric "driftwatch_window_samples{model=\"$1\"}")
    [ "$w" = "$2" ] || fail "model $1: window holds $w samples, expected $2"
}

# ================================ tail =============================================================
# 1 good, 2 truncated (`{"amount": 2` is 12 bytes), 3 wrong type, 4 NaN, 5 a 10 MB line and 6 a
# million features (both above max_line, 1M), 7 100,000 nested arrays (jansson's limit at the
# 2048th '[': column 11 + 2048), 8 invalid UTF-8 (0xff at offset 13), 9 good.
{
    echo '{"amount": 1}'
    echo '{"amount": 2'
    echo '{"features": {"amount": [1]}}'
    echo '{"amount": NaN}'
    gen_long_line
    gen_million_features
    gen_deep 100000
    printf '{"country": "\xff"}\n'
    echo '{"amount": 3}'
} >>"$LOG"
wait_metric 'driftwatch_samples_rejected_total{model="t",reason="malformed"}' 5
wait_metric 'driftwatch_samples_rejected_total{model="t",reason="line_too_long"}' 2
wait_metric 'driftwatch_samples_kept_total{model="t"}' 2
alive t 2
expect_contains "$TMP/agent.log" "msg=\"$LOG:2: skipped: invalid JSON at column 13: expected ',' or '}'\""
expect_contains "$TMP/agent.log" "msg=\"$LOG:3: skipped: \$.features.amount: a feature value must be a number, string, boolean or null\""
expect_contains "$TMP/agent.log" "msg=\"$LOG:4: skipped: invalid JSON at column 12: invalid token\""
expect_contains "$TMP/agent.log" "msg=\"$LOG:5: skipped: line longer than max_line (1048576 bytes)\""
expect_contains "$TMP/agent.log" "msg=\"$LOG:6: skipped: line longer than max_line (1048576 bytes)\""
expect_contains "$TMP/agent.log" "msg=\"$LOG:7: skipped: invalid JSON at column 2059: nested too deep\""
expect_contains "$TMP/agent.log" "msg=\"$LOG:8: skipped: invalid JSON at column 14: invalid UTF-8 in a string\""

# A key twice on the LAST line (the second "amount" starts at offset 14): skipped like the others,
# not retried as if the agent were down.
echo '{"amount": 1, "amount": 2}' >>"$LOG"
wait_metric 'driftwatch_samples_rejected_total{model="t",reason="malformed"}' 6
expect_contains "$TMP/agent.log" "msg=\"$LOG:10: skipped: invalid JSON at column 15: duplicate object key \\\"amount\\\"\""
# A line still being written (no newline yet) is not an error: it waits, then is taken whole.
printf '{"amount":' >>"$LOG"
echo ' 4}' >>"$LOG"
wait_metric 'driftwatch_samples_kept_total{model="t"}' 3
alive t 3
grep -qF "could not take the samples" "$TMP/agent.log" && fail "the tail probe took bad input for an agent failure"

# ================================ proxy ============================================================
PKEPT=0
PBAD=0
# tap FILE KEPT BAD: one predict call through the proxy; the model's answer must come back as is;
# then the tap must have taken KEPT more samples and counted BAD more bad pairs.
tap() {
    local code
    code=$(curl -s -o "$TMP/resp" -w '%{http_code}' -H 'Content-Type: application/json' --data-binary "@$1" \
        "http://127.0.0.1:$PROXY_PORT/v1/models/p:predict")
    [ "$code" = 200 ] || fail "the proxy answered $code for $1"
    expect_line "$TMP/resp" '{"predictions": [0.25]}'
    PKEPT=$((PKEPT + $2))
    PBAD=$((PBAD + $3))
    wait_metric 'driftwatch_samples_rejected_total{model="p",reason="tap_bad_payload"}' "$PBAD"
    wait_metric 'driftwatch_samples_kept_total{model="p"}' "$PKEPT"
    alive p "$PKEPT"
}
req() { printf "$@" >"$TMP/req"; }
req '{"instances": [{"amount": 1}]}'
tap "$TMP/req" 1 0
# Truncated: `{"instances": [{"amount": 1}` is 28 bytes.
req '{"instances": [{"amount": 1}'
tap "$TMP/req" 0 1
expect_contains "$TMP/agent.log" "msg=\"tapped pair skipped: request is not JSON: ']' expected near end of file (line 1, column 28)\""
# NaN: just past the token, 26 + 3.
req '{"instances": [{"amount": NaN}]}'
tap "$TMP/req" 0 1
expect_contains "$TMP/agent.log" "msg=\"tapped pair skipped: request is not JSON: invalid token near 'NaN' (line 1, column 29)\""
# Wrong types: an object is no feature value; a string is (the check counts it invalid).
req '{"instances": [{"amount": {"x": 1}}]}'
tap "$TMP/req" 0 1
expect_contains "$TMP/agent.log" "msg=\"tapped pair skipped: instance 0 has no scalar feature values\""
req '{"instances": [{"amount": "abc"}]}'
tap "$TMP/req" 1 0
# Invalid UTF-8 (0xff at offset 27).
req '{"instances": [{"country": "\xff"}]}'
tap "$TMP/req" 0 1
expect_contains "$TMP/agent.log" "msg=\"tapped pair skipped: request is not JSON: unable to decode byte 0xff near '\\\"' (line 1, column 28)\""
# 100,000 nested arrays: the request's object, array and instance count, so the 2046th '[' is
# the 2049th container (offset 26 + 2045).
"$PYTHON3" -c 'print("{\"instances\": [{\"amount\": " + "[" * 100000 + "]" * 100000 + "}]}")' >"$TMP/req"
tap "$TMP/req" 0 1
expect_contains "$TMP/agent.log" "msg=\"tapped pair skipped: request is not JSON: maximum parsing depth reached near '[' (line 1, column 2072)\""
# A key twice: refused as at the other doors (jansson stops past the second key, column 37).
req '{"instances": [{"amount": 1, "amount": 2}]}'
tap "$TMP/req" 0 1
expect_contains "$TMP/agent.log" "msg=\"tapped pair skipped: request is not JSON: duplicate object key near '\\\"amount\\\"' (line 1, column 37)\""
# A 10 MB value and a million features: forwarded and tapped (below max_body 64M and max_tap_queue 16M).
"$PYTHON3" -c 'import json; print(json.dumps({"instances": [{"amount": 1, "note": "x" * (10 * 1024 * 1024)}]}))' >"$TMP/req"
tap "$TMP/req" 1 0
"$PYTHON3" -c 'import json; print(json.dumps({"instances": [{"f%d" % i: i % 7 for i in range(1000000)}]}))' >"$TMP/req"
tap "$TMP/req" 1 0
req '{"instances": [{"amount": 5}]}'
tap "$TMP/req" 1 0

# What the tap took is what a check sees: 5 rows (1, "abc", the 10 MB one, the million features, 5).
CODE=$(curl -s -o "$TMP/verdict.json" -w '%{http_code}' -X POST "$BASE/v1/models/p/check")
[ "$CODE" = 200 ] || { cat "$TMP/verdict.json" >&2; fail "check: status $CODE"; }
"$PYTHON3" -c 'import json, sys
v = json.load(open(sys.argv[1]))
assert v["window"]["rows"] == 5, v["window"]' "$TMP/verdict.json" || fail "the checked window is not the tapped samples"
echo "PASS: bad input at the tail and proxy doors"
