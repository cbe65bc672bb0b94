# The model's performance reaches the MLflow run: a binary model whose baseline has a quality
# section (tests/quality/data: the cancer reference), a covariate-shifted window with its targets,
# predictions and scores pushed to the agent; the drifted check triggers a retrain and the run gets
# performance.<metric> equal to scikit-learn's values for that window (tests/quality/data/
# expected.json, within 1e-12 relative), performance.rows, the estimate the check made from the
# scores (performance.estimated.*, as the agent's check answered) and the param performance.task.
source "$DW_SRC/tests/lib.sh"
source "$DW_SRC/tests/mlflow/mlflow_lib.sh"

export DW_HTTP_BACKOFF_MS=20 DW_HTTP_BACKOFF_MAX_MS=100
D="$DW_SRC/tests/quality/data"
"$DW_BIN" baseline --data "$D/cancer_reference.csv" --out "$TMP/B.json" --task binary --prediction prediction \
    --score score --target target 2>"$TMP/baseline.log" || { cat "$TMP/baseline.log" >&2; fail "baseline"; }
# The window's rows as JSON samples: numbers as numbers, an empty cell as a missing value.
"$PYTHON3" - "$D/cancer_window_shifted.csv" "$TMP/drifted.json" <<'PY'
import csv, json, sys
rows = []
for r in csv.DictReader(open(sys.argv[1])):
    rows.append({k: float(v) for k, v in r.items() if v != ""})
assert len(rows) == 190, len(rows)
json.dump(rows, open(sys.argv[2], "w"))
PY
start_fake_mlflow
PORT=$(free_port)
tracked_config "$PORT" cancer >"$TMP/dw.yaml"
start_agent "$TMP/dw.yaml" "$TMP/log" "$PORT"
base="http://127.0.0.1:$PORT"
curl -fsS -H 'Content-Type: application/json' --data-binary @"$TMP/drifted.json" "$base/v1/models/cancer/samples" \
    >/dev/null || fail "push"
tries=100
until [ "$(window_samples "$PORT" cancer)" -ge 190 ]; do
    tries=$((tries - 1))
    [ "$tries" -gt 0 ] || fail "the window did not reach 190 samples"
    sleep 0.1
done
curl -fsS -X POST "$base/v1/models/cancer/check" >"$TMP/check.json" || fail "check"
grep -q '"dataset_drift": *true' "$TMP/check.json" || { cat "$TMP/check.json" >&2; fail "no drift"; }
wait_for_log "$TMP/log" "for retrain.triggered of model cancer"
curl -fsS "$ML_URL/_fake/state" >"$TMP/state.json"
"$PYTHON3" - "$TMP/state.json" "$D/expected.json" "$TMP/check.json" <<'PY' || fail "the run's performance: $(cat "$TMP/state.json")"
import json, sys
state, expected, check = (json.load(open(p)) for p in sys.argv[1:4])
runs = [r for r in state["runs"].values() if r["tags"].get("driftwatch.event") == "retrain.triggered"]
assert len(runs) == 1, runs
r = runs[0]
metrics = {m["key"]: m["value"] for m in r["metrics"]}
sklearn = {k: v["value"] for k, v in expected["cancer"]["window_shifted"].items() if isinstance(v, dict)}
assert sklearn, expected["cancer"]["window_shifted"]
for name, want in sklearn.items():
    got = metrics["performance." + name]
    assert abs(got - want) <= 1e-12 * abs(want), (name, got, want)
assert metrics["performance.rows"] == 190, metrics
est = check["performance"]["estimated"]
assert est and metrics["performance.estimated_rows"] == check["performance"]["estimated_rows"], metrics
for name, m in est.items():
    assert metrics["performance.estimated." + name] == m["value"], (name, metrics)
assert r["params"]["performance.task"] == "binary", r["params"]
PY
stop_agent
echo "ok"
