# End to end through the real agent: drifted samples pushed to two models, a check on each, and
# the retrain decisions carried out by the command plugin (a local command with the drift context
# in its environment) and the kfp plugin (one run on the fake KFP server, followed to SUCCEEDED).
source "$DW_SRC/tests/lib.sh"

PORT=$(free_port)
"$PYTHON3" - "$TMP" <<'PY'
import json, random, sys
tmp = sys.argv[1]
rnd = random.Random(7)
with open(tmp + "/train.csv", "w") as f:
    f.write("x,y\n")
    for _ in range(500):
        f.write("%.4f,%.4f\n" % (rnd.gauss(0, 1), rnd.gauss(10, 2)))
with open(tmp + "/drifted.json", "w") as f:
    json.dump([{"x": rnd.gauss(4, 1), "y": rnd.gauss(20, 2)} for _ in range(300)], f)
PY
"$DW_BIN" baseline --data "$TMP/train.csv" --out "$TMP/B.json" 2>"$TMP/baseline.log" ||
    { cat "$TMP/baseline.log" >&2; fail "baseline"; }

"$PYTHON3" "$DW_SRC/tests/triggers/fake_kfp.py" 0 >"$TMP/kfp.port" &
PIDS+=("$!")
for _ in $(seq 50); do grep -q PORT "$TMP/kfp.port" && break; sleep 0.1; done
KFP_PORT=$(awk '/PORT/ {print $2}' "$TMP/kfp.port")
[ -n "$KFP_PORT" ] || fail "fake KFP server did not start"

mkdir -p "$TMP/repo"
cat >"$TMP/dw.yaml" <<YAML
agent:
  listen: 127.0.0.1:$PORT
  state_dir: $TMP/state
  log: {level: info}
models:
  - name: cmdmodel
    baseline: $TMP/B.json
    window: {size: 1000}
    probes: [{plugin: push, model: cmdmodel}]
    on_drift:
      consecutive: 1
      retrain: {plugin: command, cwd: $TMP/repo, timeout: 30s,
                argv: [/bin/sh, -c, 'env | grep ^DRIFTWATCH_ | LC_ALL=C sort > retrain.env; echo training done']}
  - name: kfpmodel
    baseline: $TMP/B.json
    window: {size: 1000}
    probes: [{plugin: push, name: push2, model: kfpmodel}]
    on_drift:
      consecutive: 1
      retrain: {plugin: kfp, host: "http://127.0.0.1:$KFP_PORT", pipeline_id: retrain-pipeline,
                token: planted-kfp-token-$$, poll_interval: 200ms}
YAML

"$DW_BIN" run -c "$TMP/dw.yaml" 2>"$TMP/log" &
PID=$!
PIDS+=("$PID")
for _ in $(seq 100); do
    curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" 2>/dev/null && break
    kill -0 "$PID" 2>/dev/null || { cat "$TMP/log" >&2; fail "the agent exited at start"; }
    sleep 0.1
done

for m in cmdmodel kfpmodel; do
    curl -fsS -H 'Content-Type: application/json' --data-binary @"$TMP/drifted.json" \
        "http://127.0.0.1:$PORT/v1/models/$m/samples" >"$TMP/push-$m.json" || fail "push to $m"
    # Samples reach the window asynchronously: wait until it holds them.
    for _ in $(seq 50); do
        curl -fsS "http://127.0.0.1:$PORT/metrics" | grep -q "driftwatch_window_samples{model=\"$m\"} 300" && break
        sleep 0.1
    done
    curl -sS -X POST "http://127.0.0.1:$PORT/v1/models/$m/check" >"$TMP/check-$m.json" || fail "check $m"
    grep -q "\"dataset_drift\": *true" "$TMP/check-$m.json" || { cat "$TMP/check-$m.json" "$TMP/push-$m.json" >&2; curl -fsS "http://127.0.0.1:$PORT/metrics" | grep -E "window|samples" >&2; cat "$TMP/log" >&2; fail "no drift for $m"; }
done

# command: ran once in its cwd, with the drift context.
expect_contains "$TMP/repo/retrain.env" "DRIFTWATCH_MODEL=cmdmodel"
expect_contains "$TMP/repo/retrain.env" "DRIFTWATCH_DRIFTED_FEATURES=x,y"
expect_contains "$TMP/repo/retrain.env" "DRIFTWATCH_DRY_RUN=0"
grep -q '^DRIFTWATCH_KEY=cmdmodel-' "$TMP/repo/retrain.env" || fail "no DRIFTWATCH_KEY in $(cat "$TMP/repo/retrain.env")"
expect_contains "$TMP/log" "training done"
expect_contains "$TMP/log" "state=SUCCEEDED"
KEY=$(sed -n 's/^DRIFTWATCH_KEY=//p' "$TMP/repo/retrain.env")
expect_contains "$TMP/state/command-command.json" "$KEY"

# kfp: exactly one run, named for the key, followed to SUCCEEDED.
curl -fsS "http://127.0.0.1:$KFP_PORT/_fake/runs" >"$TMP/runs.json"
"$PYTHON3" - "$TMP/runs.json" <<'PY' || fail "unexpected KFP runs: $(cat "$TMP/runs.json")"
import json, sys
runs = json.load(open(sys.argv[1]))
assert len(runs) == 1, runs
r = runs[0]
assert r["display_name"].startswith("driftwatch-kfpmodel-"), r
p = r["runtime_config"]["parameters"]
assert p["model"] == "kfpmodel" and p["drifted_features"] == "x,y", p
assert r["pipeline_version_reference"] == {"pipeline_id": "retrain-pipeline"}, r
PY
run_name=$("$PYTHON3" -c 'import json, sys; print(json.load(open(sys.argv[1]))[0]["display_name"])' "$TMP/runs.json")
job_done="driftwatch_trainer_job_state{plugin=\"kfp\",job=\"$run_name\",state=\"SUCCEEDED\"} 1"
for _ in $(seq 50); do
    curl -fsS "http://127.0.0.1:$PORT/metrics" >"$TMP/metrics"
    grep -qF "$job_done" "$TMP/metrics" && break
    sleep 0.1
done
expect_contains "$TMP/metrics" "$job_done"
expect_contains "$TMP/metrics" 'driftwatch_trainer_runs_total{plugin="command",result="succeeded"} 1'
expect_contains "$TMP/metrics" 'driftwatch_trainer_last_duration_seconds{plugin="command"}'
expect_contains "$TMP/log" "finished: SUCCEEDED"

kill -TERM "$PID"
rc=0
wait "$PID" || rc=$?
[ "$rc" -eq 0 ] || fail "SIGTERM exit code $rc"
grep -q "planted-kfp-token-$$" "$TMP/log" && fail "the KFP token appeared in the log"
echo "ok"
