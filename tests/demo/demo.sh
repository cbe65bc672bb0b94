# Runs scripts/demo.sh against this build and checks its story: no drift on in-distribution
# traffic, dataset drift on the shifted traffic, the alert active in Alertmanager, a dry-run
# retrain, Prometheus seeing driftwatch_dataset_drifted 1, and a report with plots.
source "$DW_SRC/tests/lib.sh"

cp -r "$DW_SRC/examples" "$DW_SRC/scripts" "$DW_SRC/dashboards" "$TMP/"
cd "$TMP"
DEMO_SKIP_SETUP=1 DW_BIN="$DW_BIN" bash scripts/demo.sh >"$TMP/demo.out" 2>&1 || { cat "$TMP/demo.out"; fail "demo failed"; }
cat "$TMP/demo.out"
expect_contains "$TMP/demo.out" "last window: dataset_drift=False"
expect_contains "$TMP/demo.out" "last window: dataset_drift=True"
expect_contains "$TMP/demo.out" "active: DriftDetected model=fraud severity=critical"
expect_contains "$TMP/demo.out" "retrain dry-run: trainer=command"
expect_contains "$TMP/demo.out" 'driftwatch_dataset_drifted{model="fraud"} = 1'
grep -c "<svg" "$TMP/out/demo/report.html" | grep -qv '^0$' || fail "the report has no plots"
# Nothing the demo started is left running.
pgrep -f "$TMP/examples/model_server.py" >/dev/null && fail "the model server is still running"
echo "ok"
