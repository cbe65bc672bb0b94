#!/usr/bin/env bash
# check on files with prediction and target columns: the realized metrics, thresholds, alerts and
# directions equal what scikit-learn computes (data/expected.json) for binary (a window like the
# reference, a covariate-shifted one, one with moved labels), multiclass with text labels and
# regression; a performance alert alone makes the exit code 1; text, nagios and prom (promtool)
# show it; the fairness metrics of --protected equal numpy's, at baseline (the data's own bias) and
# at check. Env: DW_BIN, DW_SRC, PYTHON3.
source "$DW_SRC/tests/lib.sh"
need_tool promtool prometheus
D="$DW_SRC/tests/quality/data"
CMP="$PYTHON3 $DW_SRC/tests/quality/compare.py"

check() { # expected-exit args...
    local want=$1; shift
    set +e; "$DW_BIN" check "$@" >"$TMP/out" 2>"$TMP/err"; local rc=$?; set -e
    [ "$rc" = "$want" ] || fail "check $* exited $rc, expected $want; stderr: $(cat "$TMP/err"); stdout: $(head -c 800 "$TMP/out")"
}

"$DW_BIN" baseline --data "$D/cancer_reference.csv" --out "$TMP/cancer.json" --task binary --prediction prediction \
    --score score --target target 2>/dev/null
# the window like the reference: no alert, exit 0
check 0 --baseline "$TMP/cancer.json" --data "$D/cancer_window_ok.csv" --format json
$CMP "$D/expected.json" cancer.window_ok "$TMP/out" performance.realized || fail "window_ok metrics"
"$PYTHON3" -c "
import json, sys; p = json.load(open('$TMP/out'))['performance']
assert p['task'] == 'binary' and p['rows'] == 190 and p['alerts'] == 0, p" || fail "window_ok performance object"
# covariate shift: features drift (exit 2) and the metrics fall below their bands
check 2 --baseline "$TMP/cancer.json" --data "$D/cancer_window_shifted.csv" --format json
$CMP "$D/expected.json" cancer.window_shifted "$TMP/out" performance.realized || fail "window_shifted metrics"
# concept drift: inputs as before, labels moved: only the performance alerts, exit 1
check 1 --baseline "$TMP/cancer.json" --data "$D/cancer_window_concept.csv" --format json
$CMP "$D/expected.json" cancer.window_concept "$TMP/out" performance.realized || fail "window_concept metrics"
"$PYTHON3" -c "
import json; d = json.load(open('$TMP/out'))
assert d['dataset_drift'] is False and d['drifted_features'] == 0, d['drifted_features']
assert d['performance']['alerts'] == 5, d['performance']['alerts']" || fail "concept: only performance alerts"
check 1 --baseline "$TMP/cancer.json" --data "$D/cancer_window_concept.csv"
grep -q '^NO DRIFT: 0 of 5 features drifted; performance: accuracy low, f1 low, roc_auc low, log_loss high, brier high' \
    "$TMP/out" || fail "text status line: $(head -1 "$TMP/out")"
grep -q '^PERFORMANCE (binary, 190 rows with a target): 5 alerts' "$TMP/out" || fail "text section: $(cat "$TMP/out")"
grep -qE '^accuracy +0\.8579 +0\.8911 +1  LOW$' "$TMP/out" || fail "text accuracy row: $(grep accuracy "$TMP/out")"
check 1 --baseline "$TMP/cancer.json" --data "$D/cancer_window_concept.csv" --format nagios
grep -q '^DRIFT WARNING - 0 of 5 features drifted; performance: accuracy low' "$TMP/out" || fail "nagios: $(cat "$TMP/out")"
check 1 --baseline "$TMP/cancer.json" --data "$D/cancer_window_concept.csv" --format prom --out "$TMP/perf.prom"
promtool check metrics <"$TMP/perf.prom" >"$TMP/promtool.out" 2>&1 || fail "promtool: $(cat "$TMP/promtool.out")"
grep -qx 'driftwatch_performance_alert{model="default",metric="accuracy"} 1' "$TMP/perf.prom" || fail "prom alert"
grep -qx 'driftwatch_performance_alert{model="default",metric="precision"} 0' "$TMP/perf.prom" || fail "prom no alert"
want=$("$PYTHON3" -c "import json; print(repr(json.load(open('$D/expected.json'))['cancer']['window_concept']['roc_auc']['value']))")
got=$(sed -n 's/^driftwatch_performance{model="default",metric="roc_auc"} //p' "$TMP/perf.prom")
"$PYTHON3" -c "assert abs($got - $want) <= 1e-12 * abs($want), ($got, $want)" || fail "prom roc_auc $got, sklearn $want"

# the same rows as JSON Lines (numbers as JSON numbers, labels as integers): the same metrics
"$PYTHON3" -c "
import csv, json
with open('$D/cancer_window_concept.csv') as f, open('$TMP/concept.jsonl', 'w') as out:
    for r in csv.DictReader(f):
        out.write(json.dumps({k: (int(v) if k in ('target', 'prediction') else float(v)) for k, v in r.items()}) + '\\n')"
check 1 --baseline "$TMP/cancer.json" --data "$TMP/concept.jsonl" --format json
$CMP "$D/expected.json" cancer.window_concept "$TMP/out" performance.realized || fail "JSON Lines metrics"

# multiclass with text labels; regression
"$DW_BIN" baseline --data "$D/wine_reference.csv" --out "$TMP/wine.json" --task multiclass --prediction prediction \
    --target target --chunks 5 2>/dev/null
set +e; "$DW_BIN" check --baseline "$TMP/wine.json" --data "$D/wine_window.csv" --format json >"$TMP/out" 2>"$TMP/err"; set -e
$CMP "$D/expected.json" wine.window "$TMP/out" performance.realized || fail "multiclass metrics"
"$DW_BIN" baseline --data "$D/diabetes_reference.csv" --out "$TMP/diabetes.json" --task regression \
    --prediction prediction --target target 2>/dev/null
set +e; "$DW_BIN" check --baseline "$TMP/diabetes.json" --data "$D/diabetes_window.csv" --format json >"$TMP/out" 2>"$TMP/err"; set -e
$CMP "$D/expected.json" diabetes.window "$TMP/out" performance.realized || fail "regression metrics"

# a file without the target column (labels not there yet): every metric null, no alert; the
# target is a role column, so its absence is no schema error
cut -d, -f1-5,7,8 "$D/cancer_window_ok.csv" >"$TMP/no_target.csv"
set +e; "$DW_BIN" check --baseline "$TMP/cancer.json" --data "$TMP/no_target.csv" --format json >"$TMP/out" 2>"$TMP/err"; rc=$?; set -e
[ "$rc" -le 1 ] || fail "check without the target column exited $rc: $(cat "$TMP/err")"
"$PYTHON3" -c "
import json; p = json.load(open('$TMP/out'))['performance']
assert p['rows'] == 0 and p['realized']['accuracy']['value'] is None and p['alerts'] == 0, p" ||
    fail "without the target column: $(head -c 600 "$TMP/out")"

# fairness: diabetes with its sex attribute (privileged 2, favorable 1)
"$DW_BIN" baseline --data "$D/diabetes_sex_reference.csv" --out "$TMP/fair.json" --task binary \
    --prediction prediction --score score --target target --protected sex=2 2>"$TMP/err" || fail "$(cat "$TMP/err")"
$CMP "$D/expected.json" diabetes_sex.reference "$TMP/fair.json" quality.fairness.sex || fail "baseline fairness"
check 1 --baseline "$TMP/fair.json" --data "$D/diabetes_sex_window.csv" --format json
$CMP "$D/expected.json" diabetes_sex.window "$TMP/out" fairness.sex || fail "window fairness"
check 1 --baseline "$TMP/fair.json" --data "$D/diabetes_sex_window.csv" --format prom --out "$TMP/fair.prom"
promtool check metrics <"$TMP/fair.prom" >"$TMP/promtool.out" 2>&1 || fail "promtool: $(cat "$TMP/promtool.out")"
grep -q '^driftwatch_fairness{model="default",attribute="sex",metric="dir"} 0.46024844720496' "$TMP/fair.prom" ||
    fail "prom fairness: $(grep fairness "$TMP/fair.prom")"
check 1 --baseline "$TMP/fair.json" --data "$D/diabetes_sex_window.csv"
grep -qE '^sex +-0\.3183 +0\.4602 +-0\.431 +-0\.3238  ALERT$' "$TMP/out" || fail "text fairness: $(tail -4 "$TMP/out")"
# the report: the performance section with the bias table, and the alert in the status line
"$DW_BIN" report --baseline "$TMP/fair.json" --data "$D/diabetes_sex_window.csv" --out "$TMP/r.html" 2>"$TMP/err" ||
    fail "report: $(cat "$TMP/err")"
expect_contains "$TMP/r.html" '<a href="#performance">model performance: 1 alert</a>'
expect_contains "$TMP/r.html" '<section class="feature drift" id="performance"><h2>Model performance</h2>'
expect_contains "$TMP/r.html" '<tr class="drift"><td>sex</td><td>2</td><td class="num alert">-0.3183</td><td class="num alert">0.4602</td>'
"$DW_BIN" report --baseline "$TMP/cancer.json" --data "$D/cancer_window_concept.csv" --out "$TMP/c.html" 2>/dev/null
expect_contains "$TMP/c.html" '<tr class="drift"><td>accuracy</td><td class="num alert">0.8579</td>'
# --protected on check replaces the profile's attributes: with privileged 1 the signs turn
check 1 --baseline "$TMP/fair.json" --data "$D/diabetes_sex_window.csv" --format json --protected sex=1
"$PYTHON3" -c "
import json
want = json.load(open('$D/expected.json'))['diabetes_sex']['window']
got = json.load(open('$TMP/out'))['fairness']['sex']
assert abs(got['spd'] + want['spd']) < 1e-12 and abs(got['eod'] + want['eod']) < 1e-12, (got, want)
assert abs(got['dir'] - 1 / want['dir']) < 1e-12, (got, want)" || fail "--protected sex=1"
check 3 --baseline "$TMP/fair.json" --data "$D/diabetes_sex_window.csv" --protected gender=2
grep -q -- "--protected gender=2: the baseline has no column 'gender'" "$TMP/err" || fail "unknown attribute: $(cat "$TMP/err")"
check 3 --baseline "$TMP/cancer.json" --data "$D/cancer_window_ok.csv" --protected sex
grep -q -- "--protected: expected ATTRIBUTE=PRIVILEGED" "$TMP/err" || fail "bad --protected: $(cat "$TMP/err")"
check 3 --baseline "$TMP/diabetes.json" --data "$D/diabetes_window.csv" --protected age=1
grep -q -- "--protected applies to binary tasks (the baseline's task is regression)" "$TMP/err" || fail "$(cat "$TMP/err")"
"$DW_BIN" baseline --data "$D/diabetes_sex_reference.csv" --out "$TMP/plain.json" 2>/dev/null
check 3 --baseline "$TMP/plain.json" --data "$D/diabetes_sex_window.csv" --protected sex=2
grep -q -- "--protected needs a baseline made with 'baseline --task binary'" "$TMP/err" || fail "no quality: $(cat "$TMP/err")"
echo "ok"
