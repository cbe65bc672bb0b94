# Closed windows waiting for a check are bounded in bytes (window.max_pending): with a bound below
# one window, a closed window is queued only when none is pending, and the others are dropped and
# counted: driftwatch_checks_total{result="skipped"} per window and
# driftwatch_samples_dropped_total{reason="check_queue_full"} per sample. Every closed window is
# either checked or counted as skipped.
source "$DW_SRC/tests/lib.sh"

"$DW_BIN" baseline --data "$DW_SRC/examples/data/train.csv" --out "$TMP/B.json" --prediction prediction 2>/dev/null
PORT=$(free_port)
cat >"$TMP/dw.yaml" <<YAML
agent: {listen: 127.0.0.1:$PORT, state_dir: $TMP/state}
models:
  - name: m
    baseline: $TMP/B.json
    window: {size: 10, max_pending: 1K}
    probes: [{plugin: push, model: m, max_batch: 100000}]
YAML
"$DW_BIN" run -c "$TMP/dw.yaml" 2>>"$TMP/agent.log" &
PIDS+=("$!")
wait_http "http://127.0.0.1:$PORT/readyz"

# 2000 samples in one request close 200 windows of 10 while the lock is held; a check of one
# takes far longer than reading the next 10 samples, so most windows find one pending.
"$PYTHON3" -c 'import json
for i in range(2000): print(json.dumps({"features": {"amount": i % 97, "country": "US", "age": 30}, "prediction": 0.5}))' \
    >"$TMP/body.jsonl"
code=$(curl -s -o "$TMP/push.out" -w '%{http_code}' -H 'Content-Type: application/x-ndjson' \
    --data-binary @"$TMP/body.jsonl" "http://127.0.0.1:$PORT/v1/models/m/samples")
[ "$code" = 202 ] || fail "push: $code $(cat "$TMP/push.out")"

metric() { awk -v s="$1" '$1 == s {print $2; found = 1} END {if (!found) print 0}' "$TMP/metrics"; }
# Wait until every closed window is accounted for (checked or skipped).
for _ in $(seq 300); do
    curl -s "http://127.0.0.1:$PORT/metrics" >"$TMP/metrics"
    skipped=$(metric 'driftwatch_checks_total{model="m",result="skipped"}')
    # every result but skipped (these samples lack most columns: result="schema_error", docs/statistics.md)
    checked=$(awk '/^driftwatch_checks_total\{model="m",result="[a-z_]+"\}/ && !/result="skipped"/ {n += $2} END {print n + 0}' "$TMP/metrics")
    [ "$((skipped + checked))" = 200 ] && [ "$(metric 'driftwatch_check_queue_bytes{model="m"}')" = 0 ] && break
    sleep 0.1
done
[ "$((skipped + checked))" = 200 ] || fail "closed windows: $checked checked + $skipped skipped != 200"
[ "$skipped" -ge 1 ] || fail "no closed window was dropped with max_pending below one window"
[ "$checked" -ge 1 ] || fail "no closed window was checked"
dropped=$(metric 'driftwatch_samples_dropped_total{model="m",reason="check_queue_full"}')
[ "$dropped" = "$((skipped * 10))" ] || fail "dropped samples $dropped != 10 x $skipped skipped windows"
expect_contains "$TMP/agent.log" "checks are behind: a closed window of 10 samples"

printf 'models:\n  - {name: x, baseline: %s, window: {size: 10, max_pending: lots}}\n' "$TMP/B.json" >"$TMP/bad.yaml"
rc=0
"$DW_BIN" validate -c "$TMP/bad.yaml" >"$TMP/validate.out" 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "validate accepted max_pending: lots"
expect_contains "$TMP/validate.out" "window max_pending must be a size like 64M"
