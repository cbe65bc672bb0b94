# Two replicas of one model (each its own agent and state directory) see the same shift seconds
# apart: both trigger the episode's key, and the mlflow plugin of the second finds the first one's
# run by its driftwatch.key tag: one run for the fleet, not one per replica.
source "$DW_SRC/tests/lib.sh"
source "$DW_SRC/tests/mlflow/mlflow_lib.sh"

export DW_HTTP_BACKOFF_MS=20 DW_HTTP_BACKOFF_MAX_MS=100
make_data
start_fake_mlflow
# The key's bucket is the UTC day (cooldown 24h): keep both streaks on one side of midnight.
left=$(( 86400 - $(date -u +%s) % 86400 ))
[ "$left" -gt 60 ] || sleep "$left"
for r in 1 2; do
    port=$(free_port)
    mkdir -p "$TMP/repo$r"
    cat >"$TMP/dw$r.yaml" <<YAML
agent:
  listen: 127.0.0.1:$port
  state_dir: $TMP/state$r
models:
  - name: fraud
    baseline: $TMP/B.json
    window: {size: 1000}
    probes: [{plugin: push, model: fraud}]
    on_drift:
      consecutive: 1
      alerts: [tracking]
      retrain: {plugin: command, cwd: $TMP/repo$r, argv: [/bin/sh, -c, 'echo trained']}
alerts:
  - {name: tracking, plugin: mlflow, tracking_uri: "$ML_URL"}
YAML
    start_agent "$TMP/dw$r.yaml" "$TMP/log$r" "$port"
    eval "PORT$r=$port AGENT$r=$AGENT"
done
drift_check "$PORT1" fraud
wait_for_log "$TMP/log1" "mlflow: recorded run"
# The shift reaches the second replica after the first one's run is recorded.
drift_check "$PORT2" fraud
wait_for_log "$TMP/log2" "is recorded already in experiment driftwatch"
KEY1=$(sed -n 's/.*retrain triggered: .* key=\([^ ]*\) job=.*/\1/p' "$TMP/log1")
KEY2=$(sed -n 's/.*retrain triggered: .* key=\([^ ]*\) job=.*/\1/p' "$TMP/log2")
[ -n "$KEY1" ] && [ "$KEY1" = "$KEY2" ] || fail "the replicas derived keys '$KEY1' and '$KEY2'"
curl -fsS "$ML_URL/_fake/state" >"$TMP/state.json"
"$PYTHON3" - "$TMP/state.json" "$KEY1" <<'PY' || fail "runs: $(cat "$TMP/state.json")"
import json, sys
state, key = json.load(open(sys.argv[1])), sys.argv[2]
runs = list(state["runs"].values())
assert len(runs) == 1 and runs[0]["tags"]["driftwatch.key"] == key and runs[0]["status"] == "FINISHED", runs
PY
for r in 1 2; do
    eval "AGENT=\$AGENT$r"
    stop_agent
done
echo "ok"
