#!/usr/bin/env bash
# A sidecar that takes nothing must say so. A proxy tap fed pairs of a shape neither v1 nor v2
# (here {"data": ...} -> {"result": ...}) counts each in
# driftwatch_samples_rejected_total{reason="tap_bad_payload"} and logs ONE warning (then at most one
# a minute) with an excerpt of what it saw, secrets redacted; /readyz stays 200 but says the model
# received samples and kept none for agent.stall_warning, until a sample is kept again. The agent
# logs its state_dir at start.
source "$DW_SRC/tests/lib.sh"

PORT=$(free_port)
PROXY_PORT=$(free_port)
MODEL_PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
TOKEN="tok-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
"$DW_BIN" baseline --data "$DW_SRC/examples/data/train.csv" --out "$TMP/base.json" --prediction prediction 2>/dev/null

# A model server answering {"predictions": [...]} to v1 calls and {"result": ...} to anything else.
start_model "$MODEL_PORT" --other result

cat >"$TMP/dw.yaml" <<YAML
agent: {listen: 127.0.0.1:$PORT, state_dir: $TMP/state, plugin_dir: $DW_PLUGIN_DIR, auth_token: $TOKEN,
        stall_warning: 1s}
models:
  - name: p
    baseline: $TMP/base.json
    window: {size: 100000}
    probes:
      - {plugin: proxy, listen: "127.0.0.1:$PROXY_PORT", upstream: "http://127.0.0.1:$MODEL_PORT",
         protocol: v1, tap_interval: 10ms}
YAML
"$DW_BIN" run -c "$TMP/dw.yaml" 2>"$TMP/agent.log" &
PIDS+=($!)
wait_http "$BASE/readyz" 20
expect_contains "$TMP/agent.log" "msg=\"state_dir $TMP/state\""

metric() { # metric 'name{labels}' -> value, or 0 when absent
    curl -s "$BASE/metrics" | awk -v k="$1" '$1 == k {v = $2} END {print v == "" ? 0 : v}'
}
wait_metric() {
    local tries=2400
    while [ "$(metric "$1")" != "$2" ]; do
        tries=$((tries - 1))
        [ "$tries" -gt 0 ] || fail "$1 is $(metric "$1"), expected $2"
        sleep 0.05
    done
}

# Five calls of a shape the v1 tap cannot read; the body carries the agent's token (a secret).
for i in 1 2 3 4 5; do
    curl -fsS -o /dev/null -H 'Content-Type: application/json' \
        --data "{\"data\": [[5.1, $i]], \"api_key\": \"$TOKEN\"}" "http://127.0.0.1:$PROXY_PORT/v1/models/p:predict" ||
        fail "the proxy did not forward call $i"
done
wait_metric 'driftwatch_samples_rejected_total{model="p",reason="tap_bad_payload"}' 5
[ "$(metric 'driftwatch_samples_kept_total{model="p"}')" = 0 ] || fail "a sample was kept from a bad pair"

# One warning for the five (rate-limited), with the reason, the protocol and an excerpt of each side.
grep 'level=warn' "$TMP/agent.log" | grep -F 'tapped pair not taken' >"$TMP/warnings" || true
[ "$(wc -l <"$TMP/warnings")" -eq 1 ] || { cat "$TMP/agent.log" >&2; fail "expected exactly one tap warning"; }
expect_contains "$TMP/warnings" 'model=p tapped pair not taken, no sample from it:'
expect_contains "$TMP/warnings" 'protocol v1 expects'
expect_contains "$TMP/warnings" 'request: {\"data\": [[5.1, 1]], \"api_key\": \"[REDACTED]\"}'
expect_contains "$TMP/warnings" 'answer: {\"result\": [0.25]}'
expect_contains "$TMP/warnings" 'tap_bad_payload'
! grep -qF "$TOKEN" "$TMP/agent.log" || fail "the token reached the log"

# /readyz: still 200 (the pod keeps serving), with a warning once stall_warning (1s) has passed.
sleep 1.2
code=$(curl -s -o "$TMP/ready" -w '%{http_code}' "$BASE/readyz")
[ "$code" = 200 ] || fail "/readyz answered $code"
expect_contains "$TMP/ready" "ready"
expect_contains "$TMP/ready" "warning: model 'p': samples arrived but none was kept for"
expect_contains "$TMP/ready" "tap_bad_payload 5"

# A readable call: a sample is kept and the warning goes away.
curl -fsS -o /dev/null -H 'Content-Type: application/json' \
    --data '{"instances": [{"amount": 12.5, "age": 40, "country": "DE"}]}' \
    "http://127.0.0.1:$PROXY_PORT/v1/models/p:predict" || fail "the proxy did not forward the v1 call"
wait_metric 'driftwatch_samples_kept_total{model="p"}' 1
curl -s "$BASE/readyz" >"$TMP/ready"
[ "$(cat "$TMP/ready")" = ready ] || fail "/readyz still warns after a kept sample: $(cat "$TMP/ready")"
echo "ok"
