# The sampler decides before the core reads a sample whenever the policy allows (all, rate,
# reservoir), so a dropped sample is never parsed; stratified needs the prediction and reads first.
# Since the push and tail probes refuse every sample the core's reader would (repeated keys
# included), "unread" cannot be seen from outside any more: this test shows the outcomes (bad input
# refused whatever the policy, rate 0 keeps nothing, a seeded rate 0.5 keeps about half and the
# kept ones are exactly the window's rows); bench/probes shows the time it saves.
# (The sampler's own counters are flushed in batches, so they are not compared here.)
source "$DW_SRC/tests/lib.sh"

"$DW_BIN" baseline --data "$DW_SRC/examples/data/train.csv" --out "$TMP/B.json" --prediction prediction 2>/dev/null
PORT=$(free_port)
model() { # name sampling
    printf '  - name: %s\n    baseline: %s\n    window: {size: 1000}\n    probes: [{plugin: push, model: %s}]\n' \
        "$1" "$TMP/B.json" "$1"
    printf '    sampling: {plugin: sampler, %s}\n' "$2"
}
{
    echo "agent: {listen: 127.0.0.1:$PORT, state_dir: $TMP/state}"
    echo "models:"
    model all "policy: all"
    model none "policy: rate, rate: 0"
    model strat "policy: stratified, per_class_cap: 10"
    model half "policy: rate, rate: 0.5, seed: 7"
} >"$TMP/dw.yaml"
"$DW_BIN" run -c "$TMP/dw.yaml" 2>>"$TMP/agent.log" &
PIDS+=("$!")
wait_http "http://127.0.0.1:$PORT/readyz"

push() { # model body -> HTTP status; the answer in $TMP/push.out
    curl -s -o "$TMP/push.out" -w '%{http_code}' -H 'Content-Type: application/x-ndjson' --data-binary "$2" \
        "http://127.0.0.1:$PORT/v1/models/$1/samples"
}
metric() { # exact series -> value (0 when absent)
    curl -s "http://127.0.0.1:$PORT/metrics" >"$TMP/metrics"
    awk -v s="$1" '$1 == s {print $2; found = 1} END {if (!found) print 0}' "$TMP/metrics"
}
# A sample the core cannot store (1e400 overflows a double): the push probe's check refuses it
# before the sampler runs, whatever the policy.
BAD='{"features": {"amount": 1e400}, "prediction": 0.5}'
for m in all none strat; do
    code=$(push "$m" "$BAD")
    [ "$code" = 400 ] || fail "$m: an overflowing number should be refused: $code $(cat "$TMP/push.out")"
    expect_contains "$TMP/push.out" "real number overflow"
done

# rate 0: every good sample is accepted (202) and dropped by the sampler: nothing kept.
code=$(push none '{"features": {"amount": 1}, "prediction": 0.5}')
[ "$code" = 202 ] || fail "rate 0: $code $(cat "$TMP/push.out")"
expect_contains "$TMP/push.out" '"accepted":1,"rejected":0'
[ "$(metric 'driftwatch_samples_kept_total{model="none"}')" = 0 ] || fail "rate 0: kept"

"$PYTHON3" -c 'import json
for i in range(400): print(json.dumps({"features": {"amount": i, "country": "US"}, "prediction": i % 2}))' >"$TMP/half.jsonl"
code=$(push half @"$TMP/half.jsonl")
[ "$code" = 202 ] || fail "half: $code $(cat "$TMP/push.out")"
expect_contains "$TMP/push.out" '"accepted":400,"rejected":0'
kept=$(metric 'driftwatch_samples_kept_total{model="half"}')
# Bernoulli(0.5) over 400: 200 +- 5 sigma (sigma = 10)
[ "$kept" -ge 150 ] && [ "$kept" -le 250 ] || fail "half: kept $kept of 400"
curl -s -X POST "http://127.0.0.1:$PORT/v1/models/half/check" >"$TMP/verdict.json"
"$PYTHON3" -c 'import json,sys; v = json.load(open(sys.argv[1])); assert v["window"]["rows"] == int(sys.argv[2]), v["window"]' \
    "$TMP/verdict.json" "$kept" || fail "half: window rows != kept"
