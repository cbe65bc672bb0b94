# The model-serving metrics of the proxy and the canary inside the real agent, over loopback: a
# Python model server (tests/support/v1_model.py) answers with injected delays (X-Delay-Ms) and
# statuses (X-Status); requests go through the proxy with curl, and /metrics must hold exactly the
# status counts sent and histogram buckets that place each request by its injected delay. The
# delays sit well inside their buckets (a 1200 ms delay in (1, 2.5]; an undelayed answer under 1 s),
# so the test checks placement, not timing precision. The exposition passes `promtool check metrics`.
source "$DW_SRC/tests/lib.sh"
need_tool promtool prometheus

PORT=$(free_port)
MODEL_PORT=$(free_port)
FRAUD_PROXY=$(free_port)
SLOW_PROXY=$(free_port)
DOWN_PROXY=$(free_port)
DOWN_PORT=$(free_port) # nobody listens there: connection refused
"$DW_BIN" baseline --data "$DW_SRC/examples/data/train.csv" --out "$TMP/baseline.json" --prediction prediction 2>/dev/null
start_model "$MODEL_PORT"

instance='{"amount": 22.5, "age": 41, "country": "US", "device": "mobile", "hour": 9, "merchant_category": "grocery", "account_age_days": 300}'
echo "{\"instances\": [$instance]}" >"$TMP/payload.json"
predict="/v1/models/m:predict"

# fraud: a proxy (timeout 4 s) and a canary whose one check (every: 1h, the first at start) is
# delayed 1200 ms. credit: a proxy that times out after 300 ms, one in front of nothing, and a
# canary in front of nothing. scoring: a canary the model answers 503.
cat >"$TMP/dw.yaml" <<YAML
agent: {listen: 127.0.0.1:$PORT, state_dir: $TMP/state, plugin_dir: $DW_PLUGIN_DIR}
models:
  - name: fraud
    baseline: $TMP/baseline.json
    probes:
      - {plugin: proxy, name: fraud_proxy, model: fraud, listen: "127.0.0.1:$FRAUD_PROXY",
         upstream: "http://127.0.0.1:$MODEL_PORT", protocol: v1, timeout: 4s, tap_interval: 10ms}
      - {plugin: canary, name: fraud_canary, model: fraud, url: "http://127.0.0.1:$MODEL_PORT$predict",
         payload: $TMP/payload.json, every: 1h, headers: ["X-Delay-Ms: 1200"]}
  - name: credit
    baseline: $TMP/baseline.json
    probes:
      - {plugin: proxy, name: credit_slow, model: credit, listen: "127.0.0.1:$SLOW_PROXY",
         upstream: "http://127.0.0.1:$MODEL_PORT", protocol: v1, timeout: 300ms, tap_interval: 10ms}
      - {plugin: proxy, name: credit_down, model: credit, listen: "127.0.0.1:$DOWN_PROXY",
         upstream: "http://127.0.0.1:$DOWN_PORT", protocol: v1, tap_interval: 10ms}
      - {plugin: canary, name: credit_canary, model: credit, url: "http://127.0.0.1:$DOWN_PORT$predict",
         payload: $TMP/payload.json, every: 1h}
  - name: scoring
    baseline: $TMP/baseline.json
    probes:
      - {plugin: canary, name: scoring_canary, model: scoring, url: "http://127.0.0.1:$MODEL_PORT$predict",
         payload: $TMP/payload.json, every: 1h, headers: ["X-Status: 503"]}
YAML
"$DW_BIN" run -c "$TMP/dw.yaml" 2>>"$TMP/agent.log" &
AGENT=$!
PIDS+=("$AGENT")
wait_http "http://127.0.0.1:$PORT/readyz"

metric() { # metric 'name{labels}' -> value, or "absent"
    curl -s "http://127.0.0.1:$PORT/metrics" >"$TMP/scrape.txt"
    awk -v k="$1" '$1 == k {v = $2} END {print v == "" ? "absent" : v}' "$TMP/scrape.txt"
}
wait_metric() { # wait_metric 'name{labels}' value: the value, reached within 10 s
    local tries=200
    while [ "$(metric "$1")" != "$2" ]; do
        tries=$((tries - 1))
        [ "$tries" -gt 0 ] || fail "$1 is $(metric "$1"), expected $2"
        sleep 0.05
    done
}
expect_metric() { # expect_metric 'name{labels}' value: the value now
    local got
    got=$(metric "$1")
    [ "$got" = "$2" ] || fail "$1 is $got, expected $2"
}
call() { # call PROXY_PORT EXPECTED_STATUS [header...]: one predict call through a proxy
    local port=$1 want=$2 code
    shift 2
    local headers=()
    for h in "$@"; do headers+=(-H "$h"); done
    code=$(curl -s -o "$TMP/answer.$port.$BASHPID" -w '%{http_code}' -H 'Content-Type: application/json' \
        "${headers[@]}" --data @"$TMP/payload.json" "http://127.0.0.1:$port$predict")
    [ "$code" = "$want" ] || fail "proxy $port answered $code, expected $want: $(cat "$TMP/answer.$port.$BASHPID")"
}

# fraud, through its proxy: 6 undelayed 200s, 3 injected 500s and 1 injected 503 (all answered at
# once), and 3 answers delayed 1200 ms (sent together, each on its own connection).
for i in $(seq 6); do call "$FRAUD_PROXY" 200; done
for i in $(seq 3); do call "$FRAUD_PROXY" 500 "X-Status: 500"; done
call "$FRAUD_PROXY" 503 "X-Status: 503"
slow=()
for i in $(seq 3); do
    call "$FRAUD_PROXY" 200 "X-Delay-Ms: 1200" &
    slow+=($!)
done
for pid in "${slow[@]}"; do wait "$pid" || fail "a delayed call through the proxy failed"; done
# credit: one call the model answers after the proxy's 300 ms timeout (504), one to nobody (502).
call "$SLOW_PROXY" 504 "X-Delay-Ms: 1000"
call "$DOWN_PROXY" 502

# Status counts, exactly as sent; no answer = code "error".
U=driftwatch_upstream_responses_total
wait_metric "$U{model=\"fraud\",code=\"200\"}" 9
wait_metric "$U{model=\"fraud\",code=\"500\"}" 3
wait_metric "$U{model=\"fraud\",code=\"503\"}" 1
wait_metric "$U{model=\"credit\",code=\"error\"}" 2
expect_metric "$U{model=\"fraud\",code=\"error\"}" absent

# Latency: the 13 answered calls of fraud. 10 undelayed ones at or below 1 s, the 3 delayed by
# 1200 ms in (1, 2.5], none above; cumulative buckets 10 (le=1), 13 (le=2.5), 13 (+Inf).
H=driftwatch_upstream_request_duration_seconds
wait_metric "$H""_count{model=\"fraud\"}" 13
expect_metric "$H""_bucket{model=\"fraud\",le=\"1\"}" 10
expect_metric "$H""_bucket{model=\"fraud\",le=\"2.5\"}" 13
expect_metric "$H""_bucket{model=\"fraud\",le=\"+Inf\"}" 13
# The sum holds at least the three injected delays: 3 x 1.2 s = 3.6 s.
sum=$(metric "$H""_sum{model=\"fraud\"}")
awk -v s="$sum" 'BEGIN {exit !(s >= 3.6)}' || fail "$H""_sum{model=\"fraud\"} is $sum, below 3.6"
# credit's two calls got no answer: counted by code, no latency observed.
expect_metric "$H""_count{model=\"credit\"}" absent
# The per-probe families still count the same calls.
expect_metric 'driftwatch_probe_requests_total{probe="credit_slow",result="timeout"}' 1
expect_metric 'driftwatch_probe_requests_total{probe="credit_down",result="upstream_error"}' 1
expect_metric 'driftwatch_probe_request_duration_seconds_count{probe="fraud_proxy"}' 13

# Canaries: one check each. fraud's was delayed 1200 ms: in (1, 2.5]. scoring's was answered 503
# (a status_mismatch, but an answer: its latency counts). credit's reached nobody: "error".
C=driftwatch_canary_request_duration_seconds
wait_metric "$C""_count{model=\"fraud\"}" 1
expect_metric "$C""_bucket{model=\"fraud\",le=\"1\"}" 0
expect_metric "$C""_bucket{model=\"fraud\",le=\"2.5\"}" 1
wait_metric "driftwatch_canary_responses_total{model=\"fraud\",code=\"200\"}" 1
wait_metric "driftwatch_canary_responses_total{model=\"scoring\",code=\"503\"}" 1
wait_metric "$C""_count{model=\"scoring\"}" 1
wait_metric "driftwatch_canary_responses_total{model=\"credit\",code=\"error\"}" 1
expect_metric "$C""_count{model=\"credit\"}" absent
expect_metric 'driftwatch_probe_requests_total{probe="scoring_canary",result="status_mismatch"}' 1

curl -s "http://127.0.0.1:$PORT/metrics" >"$TMP/metrics.txt"
promtool check metrics <"$TMP/metrics.txt" >"$TMP/promtool.out" 2>&1 ||
    { cat "$TMP/promtool.out" >&2; fail "promtool check metrics"; }
# A clean stop (under the sanitizers, also no leak).
kill -TERM "$AGENT"
wait "$AGENT" || { tail -n 40 "$TMP/agent.log" >&2; fail "agent exit code on SIGTERM"; }
echo "ok"
