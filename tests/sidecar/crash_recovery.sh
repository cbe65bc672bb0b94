# SIGKILL in the middle of a burst of pushes (durability: sync): after a restart, every sample the
# agent acknowledged (202) is in the restored window. Several rounds at random moments.
source "$DW_SRC/tests/lib.sh"

DATA="$DW_SRC/examples/data"
PORT=$(free_port)
"$DW_BIN" baseline --data "$DATA/train.csv" --out "$TMP/baseline.json" 2>/dev/null
cat >"$TMP/dw.yaml" <<YAML
agent: {listen: 127.0.0.1:$PORT, state_dir: $TMP/state, durability: sync}
models:
  - name: fraud
    baseline: $TMP/baseline.json
    window: {size: 1000000}
    probes:
      - {plugin: push, model: fraud}
YAML
acked=0
for round in 1 2 3; do
    "$DW_BIN" run -c "$TMP/dw.yaml" 2>>"$TMP/agent.log" &
    AGENT=$!
    PIDS+=("$AGENT")
    wait_http "http://127.0.0.1:$PORT/readyz"
    # Kill at a random moment within the burst (0.2-0.7 s).
    ( sleep "0.$(( RANDOM % 5 + 2 ))"; kill -KILL "$AGENT" ) &
    while :; do
        code=$(head -n 20 "$DATA/serving_drifted.jsonl" | curl -s -o /dev/null -w '%{http_code}' -X POST \
            -H 'Content-Type: application/x-ndjson' --data-binary @- \
            "http://127.0.0.1:$PORT/v1/models/fraud/samples" || true)
        [ "$code" = 202 ] || break
        acked=$((acked + 20))
    done
    wait "$AGENT" 2>/dev/null || true
    wait
done
"$DW_BIN" run -c "$TMP/dw.yaml" 2>>"$TMP/agent.log" &
PIDS+=($!)
wait_http "http://127.0.0.1:$PORT/readyz"
rows=$(curl -fsS -X POST "http://127.0.0.1:$PORT/v1/models/fraud/check" |
    "$PYTHON3" -c 'import json,sys; print(json.load(sys.stdin)["window"]["rows"])')
echo "acknowledged $acked samples over 3 killed runs; restored window holds $rows"
[ "$acked" -gt 0 ] || fail "no push was acknowledged before the kills"
# Every acknowledged sample is there; at most the last unacknowledged batch of each round extra.
[ "$rows" -ge "$acked" ] || fail "lost acknowledged samples: $rows < $acked"
[ "$rows" -le $((acked + 3 * 20)) ] || fail "more samples than were sent: $rows"
echo "ok"
