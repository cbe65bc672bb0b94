# The mlflow plugin in the real agent, against the fake tracking server: a drifted check triggers a
# retrain (command trainer) and the trigger becomes one MLflow run with the driftwatch.* tags and
# the check's drift metrics, through an injected 429 on runs/create and a 500 on log-batch; the
# drifted check itself is a run too (log_checks). A restart that triggers the same key again adds
# no second run. With runs/log-batch failing, the event waits in the state directory and its run is
# completed (not created again) once the server is back.
source "$DW_SRC/tests/lib.sh"
source "$DW_SRC/tests/mlflow/mlflow_lib.sh"

# The host client's backoff (DW_HTTP_BACKOFF_MS), short for the test.
export DW_HTTP_BACKOFF_MS=20 DW_HTTP_BACKOFF_MAX_MS=100
TOKEN="planted-mlflow-token-$$"
make_data
start_fake_mlflow --token "$TOKEN" \
    --fault '{"method": "POST", "path": "runs/create$", "status": 429, "times": 1}' \
    --fault '{"method": "POST", "path": "runs/log-batch$", "status": 500, "times": 1}'
printf '%s\n' "$TOKEN" >"$TMP/token"
chmod 600 "$TMP/token"
PORT=$(free_port)
mkdir -p "$TMP/repo"
cat >"$TMP/dw.yaml" <<YAML
agent:
  listen: 127.0.0.1:$PORT
  state_dir: $TMP/state
  log: {level: info}
models:
  - name: fraud
    baseline: $TMP/B.json
    window: {size: 1000}
    probes: [{plugin: push, model: fraud}]
    on_drift:
      consecutive: 1
      alerts: [tracking]
      retrain: {plugin: command, cwd: $TMP/repo, argv: [/bin/sh, -c, 'echo trained']}
  - name: churn
    baseline: $TMP/B.json
    window: {size: 1000}
    probes: [{plugin: push, name: push2, model: churn}]
    on_drift:
      consecutive: 1
      alerts: [tracking]
      retrain: {plugin: command, name: command2, cwd: $TMP/repo, argv: [/bin/sh, -c, 'echo trained']}
alerts:
  - {name: tracking, plugin: mlflow, tracking_uri: "$ML_URL/", experiment: "driftwatch-{model}",
     token_file: $TMP/token, log_checks: true, max_attempts: 3, retry_delay: 50ms, retry_interval: 1s}
YAML
"$DW_BIN" validate -c "$TMP/dw.yaml" >"$TMP/validate.log" 2>&1 || { cat "$TMP/validate.log" >&2; fail "validate"; }

# ---- one trigger, one run, through a 429 and a 500 ----
start_agent "$TMP/dw.yaml" "$TMP/log" "$PORT"
drift_check "$PORT" fraud
wait_for_log "$TMP/log" "mlflow: recorded run"
wait_for_log "$TMP/log" "for retrain.triggered of model fraud"
KEY=$(sed -n 's/.*model=fraud retrain triggered: .* key=\([^ ]*\) job=\([^ ]*\).*/\1/p' "$TMP/log" | head -1)
JOB=$(sed -n 's/.*model=fraud retrain triggered: .* key=\([^ ]*\) job=\([^ ]*\).*/\2/p' "$TMP/log" | head -1)
[ -n "$KEY" ] && [ -n "$JOB" ] || { cat "$TMP/log" >&2; fail "no retrain line with key and job"; }
MD5=$(md5sum "$TMP/train.csv" | cut -d' ' -f1)
curl -fsS "$ML_URL/_fake/state" >"$TMP/state.json"
curl -fsS "$ML_URL/_fake/requests" >"$TMP/requests.json"
"$PYTHON3" - "$TMP/state.json" "$TMP/requests.json" "$TMP/check-fraud.json" "$KEY" "$JOB" "$MD5" "$TOKEN" <<'PY' ||
import json, sys
state, requests, check = (json.load(open(p)) for p in sys.argv[1:4])
key, job, md5, token = sys.argv[4:8]
exps = {e["name"]: e["experiment_id"] for e in state["experiments"].values()}
assert "driftwatch-fraud" in exps, exps
runs = [r for r in state["runs"].values() if r["experiment_id"] == exps["driftwatch-fraud"]]
retrain = [r for r in runs if r["tags"].get("driftwatch.event") == "retrain.triggered"]
checks = [r for r in runs if r["tags"].get("driftwatch.event") == "drift.checked"]
assert len(retrain) == 1 and len(checks) == 1, runs
r = retrain[0]
# The tags: the trigger's key and job, the baseline's data version (no versioning plugin: the md5
# of the training file, which md5sum computed above) and its md5; no git commit without DVC.
want = {"driftwatch.model": "fraud", "driftwatch.key": key, "driftwatch.job_id": job,
        "driftwatch.data_version": md5, "driftwatch.baseline_md5": md5, "driftwatch.event": "retrain.triggered"}
for k, v in want.items():
    assert r["tags"].get(k) == v, (k, r["tags"])
assert "driftwatch.git_commit" not in r["tags"], r["tags"]
assert key.startswith("fraud-" + md5[:12] + "-"), key
assert r["run_name"] == "retrain-" + key and r["status"] == "FINISHED" and r["end_time"], r
# The metrics are the check's verdict, as the agent answered POST /check.
metrics = {m["key"]: m["value"] for m in r["metrics"]}
assert len(r["metrics"]) == len(metrics), r["metrics"]  # the 500 on log-batch was retried, not doubled
assert metrics["drift_share"] == check["drift_share"], (metrics, check["drift_share"])
assert metrics["dataset_drift"] == 1 and metrics["drifted_features"] == check["drifted_features"] == 2, metrics
assert metrics["features_checked"] == 2 and metrics["window_rows"] == 300, metrics
for f in check["features"]:
    assert metrics["feature.%s.score" % f["name"]] == f["statistic"], (f, metrics)
    assert metrics["feature.%s.p_value" % f["name"]] == f["p_value"], (f, metrics)
    assert metrics["feature.%s.drifted" % f["name"]] == 1, metrics
    assert r["params"]["feature.%s.method" % f["name"]] == f["method"], r["params"]
assert r["params"]["trainer"] == "command", r["params"]
assert all(m["step"] == 0 and m["timestamp"] == r["start_time"] for m in r["metrics"]), r["metrics"]
c = checks[0]
assert c["tags"]["driftwatch.key"].startswith("check-fraud-") and c["tags"]["driftwatch.data_version"] == md5, c
assert "driftwatch.job_id" not in c["tags"] and c["status"] == "FINISHED", c
# Requests: every one with the bearer token; runs/search before each runs/create, and the create
# that got the 429 tried again after another search.
calls = [(q["method"], q["path"].rsplit("/mlflow/", 1)[1]) for q in requests]
assert all(q["headers"].get("authorization") == "Bearer " + token for q in requests), requests
creates = [i for i, c in enumerate(calls) if c[1] == "runs/create"]
assert len(creates) == 3, calls  # check run, retrain run's 429, retrain run
for i in creates:
    assert calls[i - 1][1] == "runs/search", calls
assert calls.count(("POST", "runs/log-batch")) == 3 and calls.count(("POST", "runs/update")) == 2, calls
assert calls.count(("POST", "experiments/create")) == 1, calls
PY
    fail "runs or requests not as expected: $(cat "$TMP/state.json")"
expect_contains "$TMP/log" "searching for the run again before another create"
curl -fsS "http://127.0.0.1:$PORT/metrics" >"$TMP/metrics"
expect_contains "$TMP/metrics" 'driftwatch_tracking_runs_total{plugin="tracking",event="retrain.triggered",result="created"} 1'
expect_contains "$TMP/metrics" 'driftwatch_tracking_runs_total{plugin="tracking",event="drift.checked",result="created"} 1'

# ---- the same key again after a restart: no second run ----
# The policy forgets it triggered (its state file removed), so the next drifted check triggers the
# same episode key again (same model, data version and cooldown bucket).
stop_agent
rm "$TMP/state/fraud.policy.json"
start_agent "$TMP/dw.yaml" "$TMP/log2" "$PORT"
drift_check "$PORT" fraud
wait_for_log "$TMP/log2" "key=$KEY"
wait_for_log "$TMP/log2" "is recorded already in experiment driftwatch-fraud"
curl -fsS "$ML_URL/_fake/state" >"$TMP/state2.json"
"$PYTHON3" - "$TMP/state2.json" "$KEY" <<'PY' || fail "a second run for key $KEY: $(cat "$TMP/state2.json")"
import json, sys
state, key = json.load(open(sys.argv[1])), sys.argv[2]
runs = [r for r in state["runs"].values() if r["tags"].get("driftwatch.key") == key]
assert len(runs) == 1, runs
PY
curl -fsS "http://127.0.0.1:$PORT/metrics" >"$TMP/metrics"
expect_contains "$TMP/metrics" 'driftwatch_tracking_runs_total{plugin="tracking",event="retrain.triggered",result="found"} 1'

# ---- the server failing: the event waits in the state directory, then is recorded ----
# runs/log-batch answers 503 until the faults are cleared: churn's runs are created but hold nothing;
# the retry finds each unfinished run by its key and completes it (metrics, params, FINISHED)
# instead of adding one.
curl -fsS -X POST "$ML_URL/_fake/faults" -d '{"faults": [{"path": "runs/log-batch$", "status": 503, "times": -1}]}' >/dev/null
drift_check "$PORT" churn
wait_for_log "$TMP/log2" "model=churn retrain triggered"
wait_for_log "$TMP/log2" "runs/log-batch answered HTTP 503 after 3 attempts"
CHURN_KEY=$(sed -n 's/.*model=churn retrain triggered: .* key=\([^ ]*\) job=.*/\1/p' "$TMP/log2" | head -1)
[ -n "$CHURN_KEY" ] || fail "no retrain line for churn"
wait_for_log "$TMP/state/mlflow-tracking.jobs.json" "$CHURN_KEY"
curl -fsS -X POST "$ML_URL/_fake/faults" -d '{"clear": true}' >/dev/null
wait_for_log "$TMP/log2" "completed run"
wait_for_log "$TMP/log2" "for retrain.triggered of model churn (key $CHURN_KEY)"
curl -fsS "$ML_URL/_fake/state" >"$TMP/state3.json"
"$PYTHON3" - "$TMP/state3.json" "$CHURN_KEY" <<'PY' || fail "churn's run: $(cat "$TMP/state3.json")"
import json, sys
state, key = json.load(open(sys.argv[1])), sys.argv[2]
runs = [r for r in state["runs"].values() if r["tags"].get("driftwatch.key") == key]
assert len(runs) == 1 and runs[0]["status"] == "FINISHED", runs
r = runs[0]
assert len(r["metrics"]) == len({m["key"] for m in r["metrics"]}) == 5 + 3 * 2, r["metrics"]
assert r["params"]["trainer"] == "command" and r["params"]["feature.x.method"], r["params"]
churn = [r for r in state["runs"].values() if r["tags"].get("driftwatch.model") == "churn"]
assert len(churn) == 2 and all(r["status"] == "FINISHED" for r in churn), churn  # its check run too
PY
for _ in $(seq 50); do
    grep -qF "$CHURN_KEY" "$TMP/state/mlflow-tracking.jobs.json" || break
    sleep 0.1
done
grep -qF "$CHURN_KEY" "$TMP/state/mlflow-tracking.jobs.json" && fail "the recorded event is still queued"
stop_agent
grep -qF "$TOKEN" "$TMP/log" "$TMP/log2" && fail "the token appeared in the log"
echo "ok"
