#!/usr/bin/env bash
# The label-free estimate (CBPE) through the CLI on breast cancer data: baseline --score stores the
# isotonic calibration, the reference chunks' estimates and their thresholds; check reports
# performance.estimated for a window with scores — with or without the target column — equal to
# the definition computed with scikit-learn 1.2.1 (data/cbpe_expected.json, written with the CSV
# files by tests/drift/gen_cbpe_fixtures.py) and close to the accuracy realized once labels are
# there; the window the model is unsure of alerts low (exit 1 at least), in json, text, nagios
# and prom (promtool); the config's quality.metrics selects estimated metrics; a damaged calibration in a profile is refused naming its JSON path.
# Env: DW_BIN, DW_SRC, DW_PLUGIN_DIR, PYTHON3.
source "$DW_SRC/tests/lib.sh"
need_tool promtool prometheus
D="$DW_SRC/tests/quality/data"
E="$D/cbpe_expected.json"
CMP="$PYTHON3 $DW_SRC/tests/quality/compare.py"

check() { # expected-exit args...
    local want=$1; shift
    set +e; "$DW_BIN" check "$@" >"$TMP/out" 2>"$TMP/err"; local rc=$?; set -e
    [ "$rc" = "$want" ] || fail "check $* exited $rc, expected $want; stderr: $(cat "$TMP/err"); stdout: $(head -c 800 "$TMP/out")"
}

"$DW_BIN" baseline --data "$D/cbpe_reference.csv" --out "$TMP/b.json" --task binary --prediction prediction \
    --score score --target target 2>"$TMP/err" || fail "baseline: $(cat "$TMP/err")"
grep -q 'score calibration of 14 points (label-free estimate on)' "$TMP/err" || fail "baseline summary: $(cat "$TMP/err")"
$CMP "$E" cbpe.calibration "$TMP/b.json" quality.calibration || fail "calibration"
$CMP "$E" cbpe.estimated_chunks "$TMP/b.json" quality.estimated_chunks || fail "estimated chunks"
$CMP "$E" cbpe.estimated_thresholds "$TMP/b.json" quality.estimated_thresholds || fail "estimated thresholds"
# without --score there is nothing to calibrate
"$DW_BIN" baseline --data "$D/cbpe_reference.csv" --out "$TMP/noscore.json" --task binary --prediction prediction \
    --target target 2>/dev/null
"$PYTHON3" -c "
import json; q = json.load(open('$TMP/noscore.json'))['quality']
assert not {'calibration', 'estimated_chunks', 'estimated_thresholds'} & set(q), list(q)" || fail "no --score"

# Every window: the estimate equals sklearn's; with labels it lies within 0.05 of the realized
# accuracy and f1 that check reports (the shifted windows drift in their features: exit 2).
for w in window_shifted window_held_out window_shifted_unlabelled window_uncertain; do
    set +e; "$DW_BIN" check --baseline "$TMP/b.json" --data "$D/cbpe_$w.csv" --format json >"$TMP/$w.json" 2>"$TMP/err"
    rc=$?; set -e
    [ "$rc" -le 2 ] || fail "check $w exited $rc: $(cat "$TMP/err")"
    $CMP "$E" "cbpe.$w.estimated" "$TMP/$w.json" performance.estimated || fail "$w estimate"
    "$PYTHON3" - "$E" "$w" "$TMP/$w.json" <<'PY' || fail "$w: estimate against realized"
import json, sys
want = json.load(open(sys.argv[1]))["cbpe"][sys.argv[2]]
perf = json.load(open(sys.argv[3]))["performance"]
est, real = perf["estimated"], perf["realized"]
if "realized_accuracy" not in want:   # no target column: nothing realized, the estimate all the same
    assert perf["rows"] == 0 and real["accuracy"]["value"] is None, perf
    assert perf["estimated_rows"] == 80, perf["estimated_rows"]
    sys.exit(0)
assert abs(real["accuracy"]["value"] - want["realized_accuracy"]) <= 1e-12, (real["accuracy"], want)
for m in ("accuracy", "f1"):
    gap = abs(est[m]["value"] - real[m]["value"])
    print(f"{sys.argv[2]:28s} {m:8s} estimated {est[m]['value']:.4f} realized {real[m]['value']:.4f}")
    assert gap <= 0.05, (m, est[m]["value"], real[m]["value"])
PY
done

# the uncertain window: every estimated metric low, and the estimate alone raises the exit code
cut -d, -f1-10,12,13 "$D/cbpe_window_uncertain.csv" >"$TMP/uncertain_nolabels.csv"
head -1 "$TMP/uncertain_nolabels.csv" | grep -q '^mean_radius,.*,mean_fractal_dimension,prediction,score$' ||
    fail "column cut: $(head -1 "$TMP/uncertain_nolabels.csv")"
check 2 --baseline "$TMP/b.json" --data "$TMP/uncertain_nolabels.csv" --format json
"$PYTHON3" -c "
import json; p = json.load(open('$TMP/out'))['performance']
assert p['alerts'] == 0 and all(v['alert'] and v['direction'] == 'low' for v in p['estimated'].values()), p" ||
    fail "uncertain window alerts: $(head -c 800 "$TMP/out")"
check 2 --baseline "$TMP/b.json" --data "$TMP/uncertain_nolabels.csv"
grep -q '; performance: estimated accuracy low, estimated precision low, estimated recall low, estimated f1 low' \
    "$TMP/out" || fail "text status line: $(head -1 "$TMP/out")"
grep -q '^ESTIMATED PERFORMANCE (CBPE, 50 rows with a score): 4 alerts$' "$TMP/out" || fail "text section: $(cat "$TMP/out")"
grep -qE '^accuracy +0\.7625 +0\.8732 +1  LOW$' "$TMP/out" || fail "text accuracy row: $(grep accuracy "$TMP/out")"
check 2 --baseline "$TMP/b.json" --data "$TMP/uncertain_nolabels.csv" --format nagios
grep -q 'performance: estimated accuracy low' "$TMP/out" || fail "nagios: $(cat "$TMP/out")"
check 2 --baseline "$TMP/b.json" --data "$TMP/uncertain_nolabels.csv" --format prom --out "$TMP/est.prom"
promtool check metrics <"$TMP/est.prom" >"$TMP/promtool.out" 2>&1 || fail "promtool: $(cat "$TMP/promtool.out")"
want=$("$PYTHON3" -c "import json; print(repr(json.load(open('$E'))['cbpe']['window_uncertain']['estimated']['f1']['value']))")
got=$(sed -n 's/^driftwatch_performance_estimated{model="default",metric="f1"} //p' "$TMP/est.prom")
[ -n "$got" ] || fail "prom: no estimated f1: $(grep estimated "$TMP/est.prom")"
"$PYTHON3" -c "assert abs($got - $want) <= 1e-12 * abs($want), ($got, $want)" || fail "prom f1 $got, sklearn $want"

# the config's quality.metrics selects the estimated metrics by the same names
cp "$TMP/b.json" "$TMP/baseline.json"
cat >"$TMP/dw.yaml" <<YAML
agent: {listen: 127.0.0.1:0, state_dir: state, plugin_dir: $DW_PLUGIN_DIR}
models:
  - name: cancer
    baseline: baseline.json
    window: {size: 1000}
    quality: {task: binary, metrics: [accuracy, roc_auc]}
YAML
check 2 -c "$TMP/dw.yaml" --data "$TMP/uncertain_nolabels.csv" --format json
"$PYTHON3" -c "
import json; p = json.load(open('$TMP/out'))['performance']
assert list(p['estimated']) == ['accuracy'] and sorted(p['realized']) == ['accuracy', 'roc_auc'], p" ||
    fail "check -c metrics: $(head -c 900 "$TMP/out")"

# a damaged calibration is refused, naming the JSON path
"$PYTHON3" - "$TMP/b.json" "$TMP/bad.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["quality"]["calibration"]["y"][3] = 2
json.dump(p, open(sys.argv[2], "w"))
PY
check 3 --baseline "$TMP/bad.json" --data "$D/cbpe_window_shifted.csv"
grep -q 'quality.calibration: calibration: point 3 ' "$TMP/err" || fail "bad calibration: $(cat "$TMP/err")"
"$PYTHON3" - "$TMP/b.json" "$TMP/bad.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["quality"]["estimated_chunks"]["f1"][2] = "x"
json.dump(p, open(sys.argv[2], "w"))
PY
check 3 --baseline "$TMP/bad.json" --data "$D/cbpe_window_shifted.csv"
grep -q 'quality.estimated_chunks.f1\[2\]: expected a number' "$TMP/err" || fail "bad chunk: $(cat "$TMP/err")"
echo "ok"
