# End to end through the real agent: drifted samples, a check, and the retrain decision carried out
# by the vertex plugin against the fake Vertex AI (one pipelineJobs.create, named for the trigger
# key, followed to SUCCEEDED), with the token from the fake metadata server (GCE_METADATA_HOST).
source "$DW_SRC/tests/lib.sh"

PORT=$(free_port)
"$PYTHON3" - "$TMP" <<'PY'
import json, random, sys
tmp = sys.argv[1]
rnd = random.Random(11)
with open(tmp + "/train.csv", "w") as f:
    f.write("x,y\n")
    for _ in range(500):
        f.write("%.4f,%.4f\n" % (rnd.gauss(0, 1), rnd.gauss(10, 2)))
with open(tmp + "/drifted.json", "w") as f:
    json.dump([{"x": rnd.gauss(4, 1), "y": rnd.gauss(20, 2)} for _ in range(300)], f)
PY
"$DW_BIN" baseline --data "$TMP/train.csv" --out "$TMP/B.json" 2>"$TMP/baseline.log" ||
    { cat "$TMP/baseline.log" >&2; fail "baseline"; }

start_fake() { # out-file script args...
    local out=$1
    shift
    "$PYTHON3" "$@" >"$out" &
    PIDS+=("$!")
    for _ in $(seq 100); do grep -q '^PORT ' "$out" 2>/dev/null && break; sleep 0.05; done
    grep -q '^PORT ' "$out" || fail "fake $1 did not start"
}
start_fake "$TMP/md.port" "$DW_SRC/tests/fakes/metadata/fake_metadata.py"
MD_PORT=$(awk '/^PORT/ {print $2}' "$TMP/md.port")
# The fake Vertex accepts only the token the metadata server hands out first.
start_fake "$TMP/vx.port" "$DW_SRC/tests/fakes/vertex/fake_vertex.py" --token ya29.fake-metadata-1
VX_PORT=$(awk '/^PORT/ {print $2}' "$TMP/vx.port")
VX="http://127.0.0.1:$VX_PORT"

cat >"$TMP/dw.yaml" <<YAML
agent:
  listen: 127.0.0.1:$PORT
  state_dir: $TMP/state
  log: {level: debug}
models:
  - name: fraud
    baseline: $TMP/B.json
    window: {size: 1000}
    probes: [{plugin: push, model: fraud}]
    on_drift:
      consecutive: 1
      retrain: {plugin: vertex, action: pipeline, project: p, location: l, api_endpoint: "$VX",
                template_uri: "https://europe-west4-kfp.pkg.dev/p/pipes/retrain/v1",
                gcs_output_directory: "gs://bucket/root", parameter_values: [epochs=3],
                poll_interval: 100ms, poll_max_interval: 200ms}
YAML

GCE_METADATA_HOST=127.0.0.1:$MD_PORT "$DW_BIN" run -c "$TMP/dw.yaml" 2>"$TMP/log" &
PID=$!
PIDS+=("$PID")
for _ in $(seq 100); do
    curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" 2>/dev/null && break
    kill -0 "$PID" 2>/dev/null || { cat "$TMP/log" >&2; fail "the agent exited at start"; }
    sleep 0.1
done

curl -fsS -H 'Content-Type: application/json' --data-binary @"$TMP/drifted.json" \
    "http://127.0.0.1:$PORT/v1/models/fraud/samples" >"$TMP/push.json" || fail "push"
for _ in $(seq 50); do
    curl -fsS "http://127.0.0.1:$PORT/metrics" | grep -q 'driftwatch_window_samples{model="fraud"} 300' && break
    sleep 0.1
done
curl -sS -X POST "http://127.0.0.1:$PORT/v1/models/fraud/check" >"$TMP/check.json" || fail "check"
grep -q '"dataset_drift": *true' "$TMP/check.json" || { cat "$TMP/check.json" "$TMP/log" >&2; fail "no drift"; }

# Followed to SUCCEEDED by the plugin's poller.
for _ in $(seq 100); do
    curl -fsS "http://127.0.0.1:$PORT/metrics" >"$TMP/metrics"
    grep -q 'state="PIPELINE_STATE_SUCCEEDED"} 1' "$TMP/metrics" && break
    sleep 0.1
done
expect_contains "$TMP/metrics" 'driftwatch_trainer_jobs_finished_total{plugin="vertex",state="PIPELINE_STATE_SUCCEEDED"} 1'

# Exactly one create, with the documented body; its id is the sanitized trigger key.
curl -fsS "$VX/_fake/requests" >"$TMP/requests.json"
"$PYTHON3" - "$TMP/requests.json" <<'PY' || fail "unexpected Vertex requests: $(cat "$TMP/requests.json")"
import json, re, sys
reqs = json.load(open(sys.argv[1]))
creates = [r for r in reqs if r["method"] == "POST" and r["path"] == "/v1/projects/p/locations/l/pipelineJobs"]
assert len(creates) == 1, creates
c = creates[0]
job_id = c["query"].split("pipelineJobId=", 1)[1]
assert re.fullmatch(r"[a-z][-a-z0-9]{0,127}", job_id) and job_id.startswith("fraud-"), job_id
assert c["headers"]["authorization"] == "Bearer ya29.fake-metadata-1", c["headers"]
b = c["body"]
assert b["templateUri"] == "https://europe-west4-kfp.pkg.dev/p/pipes/retrain/v1", b
p = b["runtimeConfig"]["parameterValues"]
assert p["model"] == "fraud" and p["drifted_features"] == "x,y" and p["epochs"] == 3, p
assert b["labels"]["driftwatch-model"] == "fraud", b
gets = [r for r in reqs if r["method"] == "GET" and r["path"].endswith("/pipelineJobs/" + job_id)]
assert len(gets) == 3, gets  # QUEUED -> PENDING -> RUNNING -> SUCCEEDED, one step per GET
PY
expect_contains "$TMP/log" "finished: PIPELINE_STATE_SUCCEEDED"

kill -TERM "$PID"
rc=0
wait "$PID" || rc=$?
[ "$rc" -eq 0 ] || fail "SIGTERM exit code $rc"
grep -q "ya29\." "$TMP/log" && fail "an access token appeared in the log"
echo "ok"
