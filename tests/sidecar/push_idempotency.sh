# Issue #15, push probe: a batch sent again with the same Idempotency-Key (a client that timed out
# and retried) gets the first answer, byte for byte, and is stored once, also after a SIGKILL and
# restarts (the key is journaled with its samples, then kept in the snapshot). Another key stores
# the batch again; a bad key is a 400 with a JSON error.
source "$DW_SRC/tests/lib.sh"

DATA="$DW_SRC/examples/data"
PORT=$(free_port)
URL="http://127.0.0.1:$PORT/v1/models/fraud/samples"
"$DW_BIN" baseline --data "$DATA/train.csv" --out "$TMP/baseline.json" 2>/dev/null
cat >"$TMP/dw.yaml" <<YAML
agent: {listen: 127.0.0.1:$PORT, state_dir: $TMP/state, durability: sync}
models:
  - name: fraud
    baseline: $TMP/baseline.json
    window: {size: 1000000}
    probes:
      - {plugin: push, model: fraud, idempotency_horizon: 1h, idempotency_max_keys: 1000}
YAML
AGENT=
start_agent() {
    "$DW_BIN" run -c "$TMP/dw.yaml" 2>>"$TMP/agent.log" &
    AGENT=$!
    PIDS+=("$AGENT")
    wait_http "http://127.0.0.1:$PORT/readyz"
}
rows() {
    curl -fsS -X POST "http://127.0.0.1:$PORT/v1/models/fraud/check" |
        "$PYTHON3" -c 'import json,sys; print(json.load(sys.stdin)["window"]["rows"])'
}
post() { # post KEY OUT: the batch (7 valid samples, 1 malformed line) with that key; prints the status
    { head -n 7 "$DATA/serving_drifted.jsonl"; echo '{"features": 3}'; } |
        curl -s -o "$2" -w '%{http_code}' -X POST -H 'Content-Type: application/x-ndjson' \
            -H "Idempotency-Key: $1" --data-binary @- "$URL"
}

start_agent
[ "$(post batch-0001 "$TMP/first.json")" = 202 ] || { cat "$TMP/first.json" >&2; fail "first post"; }
"$PYTHON3" - "$TMP/first.json" <<'PY' || fail "first answer: $(cat "$TMP/first.json")"
import json, sys
a = json.load(open(sys.argv[1]))
assert a["accepted"] == 7 and a["rejected"] == 1 and len(a["errors"]) == 1, a
PY
[ "$(post batch-0001 "$TMP/again.json")" = 202 ] || fail "repeat: $(cat "$TMP/again.json")"
cmp "$TMP/first.json" "$TMP/again.json" || fail "the repeat's answer differs: $(cat "$TMP/again.json")"
[ "$(rows)" = 7 ] || fail "the repeat was stored again: $(rows) samples, expected 7"

# Another key: stored again.
[ "$(post batch-0002 "$TMP/second.json")" = 202 ] || fail "second key: $(cat "$TMP/second.json")"
cmp "$TMP/first.json" "$TMP/second.json" || fail "same batch, other key: another answer"
[ "$(rows)" = 14 ] || fail "a new key was not stored: $(rows) samples, expected 14"

# SIGKILL right after the 202s: the keys come back from the journal.
kill -KILL "$AGENT"
wait "$AGENT" 2>/dev/null || true
start_agent
[ "$(post batch-0001 "$TMP/after_kill.json")" = 202 ] || fail "repeat after a kill: $(cat "$TMP/after_kill.json")"
cmp "$TMP/first.json" "$TMP/after_kill.json" || fail "answer after a kill differs: $(cat "$TMP/after_kill.json")"
[ "$(rows)" = 14 ] || fail "a repeat after a kill was stored again: $(rows) samples, expected 14"

# A clean restart replays from the snapshot the previous start compacted into.
kill -TERM "$AGENT"
wait "$AGENT" 2>/dev/null || true
start_agent
[ "$(post batch-0002 "$TMP/after_restart.json")" = 202 ] || fail "repeat after a restart"
cmp "$TMP/first.json" "$TMP/after_restart.json" || fail "answer after a restart differs"
[ "$(rows)" = 14 ] || fail "a repeat after a restart was stored again: $(rows) samples, expected 14"
# The scrape goes to a file first: `curl | grep -q` under pipefail failed when grep stopped at the
# match and curl died writing the rest (SIGPIPE); polled as well, up to 10 s.
counted=0
for _ in $(seq 1 50); do
    curl -s "http://127.0.0.1:$PORT/metrics" >"$TMP/metrics.txt" || true
    grep -q '^driftwatch_push_idempotent_replays_total{model="fraud"} 1$' "$TMP/metrics.txt" && { counted=1; break; }
    sleep 0.2
done
[ "$counted" = 1 ] || { grep replays "$TMP/metrics.txt" >&2 || true; fail "replays are not counted"; }

# Bad keys: 400 with a JSON error, nothing stored.
long=$(printf 'k%.0s' $(seq 300))
for key in "$long" "$(printf 'tab\there')"; do
    code=$(post "$key" "$TMP/bad.json")
    [ "$code" = 400 ] || fail "a bad key got $code: $(cat "$TMP/bad.json")"
    "$PYTHON3" -c 'import json,sys; e=json.load(open(sys.argv[1])); assert "Idempotency-Key" in e["error"] and e["status"] == 400, e' \
        "$TMP/bad.json" || fail "a bad key's answer: $(cat "$TMP/bad.json")"
done
[ "$(rows)" = 14 ] || fail "a request with a bad key was stored: $(rows) samples"
echo "ok"
