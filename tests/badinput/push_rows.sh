#!/usr/bin/env bash
# Bad-input catalogue, push door: POST /v1/models/{m}/samples with a JSON body (array or one
# object) and NDJSON. Each row asserts the status and the exact answer; after each, the agent still
# serves (/healthz 200) and the window holds exactly the samples accepted so far (nothing accepted
# is lost, nothing refused slips in). Positions are 1-based columns; the probe names the first byte
# it cannot take (offset + 1).
source "$DW_SRC/tests/lib.sh"
source "$DW_SRC/tests/badinput/badinput_lib.sh"

PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
"$DW_BIN" baseline --data "$EX/train.csv" --out "$TMP/base.json" --prediction prediction 2>/dev/null
cat >"$TMP/dw.yaml" <<YAML
agent: {listen: 127.0.0.1:$PORT, state_dir: $TMP/state, plugin_dir: $DW_PLUGIN_DIR}
models:
  - name: fraud
    baseline: $TMP/base.json
    window: {size: 1000000}
    probes:
      - {plugin: push, model: fraud}
    sampling: {plugin: sampler, policy: all}
YAML
"$DW_BIN" run -c "$TMP/dw.yaml" 2>"$TMP/agent.log" &
PIDS+=($!)
wait_http "$BASE/readyz" 20

KEPT=0 # samples accepted so far: the window must hold exactly these
# post CONTENT_TYPE FILE [URL]: the status in $CODE, the answer in $TMP/resp.
post() {
    CODE=$(curl -s -o "$TMP/resp" -w '%{http_code}' -H "Content-Type: $1" --data-binary "@$2" "${3:-$BASE/v1/models/fraud/samples}")
}
metric() { # metric 'name{labels}' -> value, or "absent"
    curl -s "$BASE/metrics" >"$TMP/metrics"
    awk -v k="$1" '$1 == k {v = $2} END {print v == "" ? "absent" : v}' "$TMP/metrics"
}
# row CODE ANSWER: the last answer, then the agent's health and window.
row() {
    [ "$CODE" = "$1" ] || { cat "$TMP/resp" >&2; fail "status $CODE, expected $1"; }
    expect_line "$TMP/resp" "$2"
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/healthz")" = 200 ] || fail "/healthz is not 200 after: $2"
    local w
    w=$(metric 'driftwatch_window_samples{model="fraud"}')
    [ "$w" = "$KEPT" ] || fail "window holds $w samples, expected $KEPT, after: $2"
}
body() { printf "$@" >"$TMP/body"; }

# Accepted before any bad input: these must survive everything below.
body '{"amount": 10}\n{"amount": 11}\n{"amount": 12}\n'
post application/x-ndjson "$TMP/body"
KEPT=3
row 202 '{"accepted":3,"rejected":0,"errors":[]}'

# --- truncated JSON: `{"features": {"amount": 1` is 25 bytes, the end is column 26 ---------------
body '{"features": {"amount": 1'
post application/json "$TMP/body"
row 400 '{"error":"invalid JSON at line 1, column 26: expected '"','"' or '"'}'"'","status":400,"line":1,"column":26}'
# NDJSON: line 2 `{"amount": 2` (12 bytes) is cut, lines 1 and 3 are taken.
body '{"amount": 1}\n{"amount": 2\n{"amount": 3}\n'
post application/x-ndjson "$TMP/body"
KEPT=$((KEPT + 2))
row 202 '{"accepted":2,"rejected":1,"errors":[{"line":2,"error":"invalid JSON at column 13: expected '"','"' or '"'}'"'"}]}'

# --- wrong types ----------------------------------------------------------------------------------
# Element by element: a list as a feature value and a number as timestamp are named by JSON path;
# the good element is taken. A string where the baseline has a number is a valid sample (the check
# counts it as invalid for that feature, see the end).
body '[{"amount": 5}, {"features": {"amount": [1]}}, {"features": {"amount": 1}, "timestamp": 17}, {"amount": "abc"}]'
post application/json "$TMP/body"
KEPT=$((KEPT + 2))
row 202 '{"accepted":2,"rejected":2,"errors":[{"path":"$[1].features.amount","error":"a feature value must be a number, string, boolean or null"},{"path":"$[2].timestamp","error":"'"'"'timestamp'"'"' must be an RFC 3339 date-time such as \"2024-05-01T12:00:00Z\""}]}'
body '"just a string"'
post application/json "$TMP/body"
row 400 '{"error":"no acceptable sample in the batch (1 rejected); first: $: a sample must be a JSON object ({\"features\": {...}, \"prediction\": ...} or flat features)","status":400,"accepted":0,"rejected":1,"errors":[{"path":"$","error":"a sample must be a JSON object ({\"features\": {...}, \"prediction\": ...} or flat features)"}]}'

# --- NaN / Inf: not JSON; named at the token (`{"features": {"amount": ` is 24 bytes) -----------------
body '{"features": {"amount": NaN}}'
post application/json "$TMP/body"
row 400 '{"error":"invalid JSON at line 1, column 25: invalid token","status":400,"line":1,"column":25}'
body '{"amount": -Infinity}'
post application/json "$TMP/body"
row 400 '{"error":"invalid JSON at line 1, column 13: invalid number","status":400,"line":1,"column":13}'
body '{"features": {"amount": 1e999}}'
post application/json "$TMP/body"
row 400 '{"error":"invalid JSON at line 1, column 25: real number overflow","status":400,"line":1,"column":25}'
body '{"amount": 4}\n{"amount": NaN}\n'
post application/x-ndjson "$TMP/body"
KEPT=$((KEPT + 1))
row 202 '{"accepted":1,"rejected":1,"errors":[{"line":2,"error":"invalid JSON at column 12: invalid token"}]}'

# --- a 10 MB line: above agent.max_body (10M), refused before it is read -------------------------------
gen_long_line >"$TMP/long.json"
post application/json "$TMP/long.json"
row 413 '{"error": "request body larger than the limit of 10485760 bytes", "status": 413}'
# The same without Content-Length (chunked): cut off while streaming, same answer.
CODE=$(curl -s -o "$TMP/resp" -w '%{http_code}' -H 'Content-Type: application/x-ndjson' -H 'Transfer-Encoding: chunked' \
    --data-binary "@$TMP/long.json" "$BASE/v1/models/fraud/samples")
row 413 '{"error": "request body larger than the limit of 10485760 bytes", "status": 413}'

# --- a million features: 18 MB, above max_body too --------------------------------------------------
gen_million_features >"$TMP/million.json"
post application/json "$TMP/million.json"
row 413 '{"error": "request body larger than the limit of 10485760 bytes", "status": 413}'

# --- deeply nested JSON: 100,000 arrays; jansson's limit of 2048 open containers, the sample's own
# object counting, is reached at the 2048th '[' (offset 11 + 2047, column 2059) --------------------
gen_deep 100000 >"$TMP/deep.json"
post application/json "$TMP/deep.json"
row 400 '{"error":"invalid JSON at line 1, column 2059: nested too deep","status":400,"line":1,"column":2059}'
{ echo '{"amount": 6}'; cat "$TMP/deep.json"; } >"$TMP/deep.ndjson"
post application/x-ndjson "$TMP/deep.ndjson"
KEPT=$((KEPT + 1))
row 202 '{"accepted":1,"rejected":1,"errors":[{"line":2,"error":"invalid JSON at column 2059: nested too deep"}]}'

# --- invalid UTF-8: the byte 0xff at offset 26 -----------------------------------------------------
body '{"features": {"country": "\xff"}}'
post application/json "$TMP/body"
row 400 '{"error":"invalid JSON at line 1, column 27: invalid UTF-8 in a string","status":400,"line":1,"column":27}'

# --- a key twice: the second "amount" starts at offset 14 (a JSON array of two samples: 30) -----------
body '{"amount": 1, "amount": 2}'
post application/json "$TMP/body"
row 400 '{"error":"invalid JSON at line 1, column 15: duplicate object key \"amount\"","status":400,"line":1,"column":15}'
body '[{"amount": 7}, {"amount": 1, "amount": 2}]'
post application/json "$TMP/body"
row 400 '{"error":"invalid JSON at line 1, column 31: duplicate object key \"amount\"","status":400,"line":1,"column":31}'
body '{"amount": 8}\n{"amount": 1, "amount": 2}\n'
post application/x-ndjson "$TMP/body"
KEPT=$((KEPT + 1))
row 202 '{"accepted":1,"rejected":1,"errors":[{"line":2,"error":"invalid JSON at column 15: duplicate object key \"amount\""}]}'

# --- an unknown model name --------------------------------------------------------------------------
body '{"amount": 1}'
post application/json "$TMP/body" "$BASE/v1/models/nope/samples"
row 404 '{"error": "unknown model '"'"'nope'"'"'", "status": 404}'
CODE=$(curl -s -o "$TMP/resp" -w '%{http_code}' "$BASE/v1/models/nope/drift")
row 404 '{"error": "unknown model '"'"'nope'"'"'", "status": 404}'

# --- an empty body, another media type ---------------------------------------------------------------
: >"$TMP/empty"
post application/json "$TMP/empty"
row 400 '{"error":"the request body is empty: send a JSON array, one JSON object or NDJSON","status":400}'
post text/csv "$TMP/body"
row 415 '{"error":"Content-Type must be application/json (an array or one sample) or application/x-ndjson (application/jsonl: one sample a line), not '"'"'text/csv'"'"'","status":415}'

# Everything accepted above is in the window a check sees: 10 rows, and the one "abc" amount is
# counted as invalid for that numeric feature (hand count: 10, 11, 12, 1, 3, 5, "abc", 4, 6, 8).
[ "$KEPT" = 10 ] || fail "the rows above accepted $KEPT samples, expected 10"
CODE=$(curl -s -o "$TMP/verdict.json" -w '%{http_code}' -X POST "$BASE/v1/models/fraud/check")
[ "$CODE" = 200 ] || { cat "$TMP/verdict.json" >&2; fail "check: status $CODE"; }
"$PYTHON3" -c 'import json, sys
v = json.load(open(sys.argv[1]))
assert v["window"]["rows"] == 10, v["window"]
a = [f for f in v["features"] if f["name"] == "amount"][0]
assert a["count"] == 9 and a["invalid"] == 1, a' "$TMP/verdict.json" || fail "the checked window is not the accepted samples"
[ "$(metric 'driftwatch_samples_kept_total{model="fraud"}')" = 10 ] || fail "kept_total is not 10"
echo "PASS: bad input at the push door"
