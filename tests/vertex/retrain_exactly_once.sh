# docs/operations.md's promise for Vertex AI: a drifted window triggers exactly one pipeline job, through
# a 429 storm on the create and across a SIGKILL and restart of the agent that keeps seeing drift.
source "$DW_SRC/tests/lib.sh"
export DW_HTTP_BACKOFF_MS=50 DW_HTTP_BACKOFF_MAX_MS=200

PORT=$(free_port)
"$PYTHON3" - "$TMP" <<'PY'
import json, random, sys
tmp = sys.argv[1]
rnd = random.Random(7)
with open(tmp + "/train.csv", "w") as f:
    f.write("x,y\n")
    for _ in range(500):
        f.write("%.4f,%.4f\n" % (rnd.gauss(0, 1), rnd.gauss(10, 2)))
for name in ("d1", "d2"):
    with open(tmp + "/" + name + ".json", "w") as f:
        json.dump([{"x": rnd.gauss(4, 1), "y": rnd.gauss(20, 2)} for _ in range(200)], f)
PY
"$DW_BIN" baseline --data "$TMP/train.csv" --out "$TMP/B.json" 2>/dev/null || fail "baseline"

"$PYTHON3" "$DW_SRC/tests/fakes/vertex/fake_vertex.py" --token tok-exactly-once \
    --fault '{"method":"POST","path":"/pipelineJobs$","status":429,"times":3}' >"$TMP/vx.port" &
PIDS+=($!)
for _ in $(seq 100); do grep -q '^PORT ' "$TMP/vx.port" 2>/dev/null && break; sleep 0.05; done
VX="http://127.0.0.1:$(awk '/^PORT/ {print $2}' "$TMP/vx.port")"

cat >"$TMP/dw.yaml" <<YAML
agent: {listen: 127.0.0.1:$PORT, state_dir: $TMP/state}
models:
  - name: fraud
    baseline: $TMP/B.json
    window: {size: 200}
    probes: [{plugin: push, model: fraud}]
    on_drift:
      consecutive: 1
      retrain: {plugin: vertex, action: pipeline, project: p, location: l, api_endpoint: "$VX",
                access_token: tok-exactly-once, template_uri: "https://europe-west4-kfp.pkg.dev/p/pipes/r/v1",
                gcs_output_directory: "gs://bucket/root", poll: false, cooldown: 1s, max_per_day: 10}
YAML
start() {
    "$DW_BIN" run -c "$TMP/dw.yaml" 2>>"$TMP/log" &
    AGENT=$!
    PIDS+=("$AGENT")
    wait_http "http://127.0.0.1:$PORT/readyz"
}
push_and_wait_check() { # FILE N: push a full window, wait until N checks happened in total
    curl -fsS -H 'Content-Type: application/json' --data-binary @"$1" \
        "http://127.0.0.1:$PORT/v1/models/fraud/samples" >/dev/null || fail "push $1"
    for _ in $(seq 200); do
        grep -c "check rows=200" "$TMP/log" | grep -qx "$2" && return 0
        sleep 0.05
    done
    cat "$TMP/log" >&2
    fail "check $2 did not run"
}
creates() {
    curl -fsS "$VX/_fake/requests" | "$PYTHON3" -c '
import json, sys
reqs = [r for r in json.load(sys.stdin) if r["method"] == "POST" and r["path"].endswith("/pipelineJobs")]
ids = {r["query"].split("pipelineJobId=", 1)[1] for r in reqs}
print(len(reqs), len(ids))'
}

start
push_and_wait_check "$TMP/d1.json" 1
for _ in $(seq 100); do grep -q "retrain triggered" "$TMP/log" && break; sleep 0.05; done
expect_contains "$TMP/log" "retrain triggered: trainer=vertex"
read -r posts ids < <(creates)
[ "$posts" -eq 4 ] && [ "$ids" -eq 1 ] || fail "after the 429 storm: $posts creates, $ids job ids (want 4 attempts of 1 job)"

# Crash, restart, more drift: the episode already retrained; no second job (cooldown is only 1 s).
kill -KILL "$AGENT"
wait "$AGENT" 2>/dev/null || true
sleep 1.2
start
expect_contains "$TMP/log" "restored policy state: consecutive=1 firing=true"
push_and_wait_check "$TMP/d2.json" 2
read -r posts ids < <(creates)
[ "$ids" -eq 1 ] || fail "a second pipeline job was created after the restart ($ids job ids)"
[ "$(grep -c "retrain triggered" "$TMP/log")" -eq 1 ] || fail "more than one retrain was triggered"
grep -q "tok-exactly-once" "$TMP/log" && fail "the access token appeared in the log"
echo "ok"
