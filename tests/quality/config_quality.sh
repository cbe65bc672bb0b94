#!/usr/bin/env bash
# models[].quality in the config: parsed and validated with file:line:col errors (driftwatch
# validate), used by baseline -c (task, positive, fairness from the config) and check -c (metrics
# reported, protected attributes), and checked against the baseline's quality section.
# Env: DW_BIN, DW_SRC, DW_PLUGIN_DIR, PYTHON3.
source "$DW_SRC/tests/lib.sh"
D="$DW_SRC/tests/quality/data"
CMP="$PYTHON3 $DW_SRC/tests/quality/compare.py"
cp "$D/diabetes_sex_reference.csv" "$D/diabetes_sex_window.csv" "$TMP/"

config() { # QUALITY-YAML (indented under the model)
    cat >"$TMP/dw.yaml" <<YAML
agent: {listen: 127.0.0.1:0, state_dir: state, plugin_dir: $DW_PLUGIN_DIR}
models:
  - name: diabetes
    baseline: baseline.json
    window: {size: 1000}
$1
YAML
}
run() { # expected-exit args...
    local want=$1; shift
    set +e; "$DW_BIN" "$@" >"$TMP/out" 2>"$TMP/err"; local rc=$?; set -e
    [ "$rc" = "$want" ] || fail "driftwatch $* exited $rc, expected $want: $(cat "$TMP/err") $(head -c 600 "$TMP/out")"
}

config '    quality:
      task: binary
      positive: 1
      label_ttl: 2d
      max_pending: 5000
      window: {size: 500, every: 1h}
      metrics: [accuracy, f1, roc_auc]
      detectors: [ddm]
      fairness:
        - {attribute: sex, privileged: [2], favorable: 1}'
# baseline -c takes task, positive and the protected attribute from the config
run 0 baseline -c "$TMP/dw.yaml" --data "$TMP/diabetes_sex_reference.csv" --prediction prediction --score score \
    --target target
$CMP "$D/expected.json" diabetes_sex.reference "$TMP/baseline.json" quality.fairness.sex || fail "baseline -c fairness"
"$PYTHON3" -c "
import json; q = json.load(open('$TMP/baseline.json'))['quality']
assert q['task'] == 'binary' and q['positive'] == '1' and q['fairness']['sex']['favorable'] == '1', q" ||
    fail "baseline -c quality section"
run 0 validate -c "$TMP/dw.yaml"
# check -c: only the configured metrics, the configured attribute
run 1 check -c "$TMP/dw.yaml" --data "$TMP/diabetes_sex_window.csv" --format json
"$PYTHON3" -c "
import json; d = json.load(open('$TMP/out'))
assert sorted(d['performance']['realized']) == ['accuracy', 'f1', 'roc_auc'], d['performance']['realized']
assert list(d['fairness']) == ['sex'], d['fairness']" || fail "check -c metrics/fairness"
$CMP "$D/expected.json" diabetes_sex.window "$TMP/out" fairness.sex || fail "check -c fairness values"

# a config that disagrees with the baseline: the position of the config's key
config '    quality: {task: regression}'
run 3 check -c "$TMP/dw.yaml" --data "$TMP/diabetes_sex_window.csv"
expect_contains "$TMP/err" "dw.yaml:6:21: model 'diabetes': quality: task regression, but the baseline was built with --task binary"
config '    quality:
      task: binary
      fairness: [{attribute: gender, privileged: [2]}]'
run 3 check -c "$TMP/dw.yaml" --data "$TMP/diabetes_sex_window.csv"
expect_contains "$TMP/err" "model 'diabetes': quality.fairness: the baseline has no column 'gender'"

# bad values: file:line:col and what is wrong
bad() { # expected-message quality-yaml
    config "$2"
    run 1 validate -c "$TMP/dw.yaml"
    expect_contains "$TMP/err" "$1"
}
bad "dw.yaml:6:21: model 'diabetes': quality: task must be binary, multiclass or regression, not 'ranking'" \
    '    quality: {task: ranking}'
bad "dw.yaml:6:14: model 'diabetes': quality: quality needs 'task'" '    quality: {positive: 1}'
bad "model 'diabetes': quality: unknown key 'labels_ttl' in quality" '    quality: {task: binary, labels_ttl: 1d}'
bad "quality: label_ttl must be a duration like 7d or 24h, not 'soon'" '    quality: {task: binary, label_ttl: soon}'
bad "quality: max_pending must be an integer in [1, 1000000000], not '0'" '    quality: {task: binary, max_pending: 0}'
bad "quality: 'mae' is not a metric of task binary (known: accuracy, precision, recall, f1, roc_auc, log_loss, brier)" \
    '    quality: {task: binary, metrics: [accuracy, mae]}'
bad "quality: page_hinkley watches regression errors: use ddm for task binary" \
    '    quality: {task: binary, detectors: [page_hinkley]}'
bad "quality: unknown detector 'adwin' (known: ddm, page_hinkley)" '    quality: {task: regression, detectors: [adwin]}'
bad "quality: positive applies to task binary only" '    quality: {task: regression, positive: 1}'
bad "quality: window needs a size (joined pairs) or every (duration), or both" \
    '    quality: {task: binary, window: {mode: sliding}}'
bad "quality: fairness applies to task binary only" \
    '    quality: {task: multiclass, fairness: [{attribute: sex, privileged: [2]}]}'
bad "quality: fairness 'sex': privileged must be a non-empty list of values" \
    '    quality: {task: binary, fairness: [{attribute: sex, privileged: []}]}'
bad "quality: fairness: attribute 'sex' is listed twice" \
    '    quality: {task: binary, fairness: [{attribute: sex, privileged: [2]}, {attribute: sex, privileged: [1]}]}'
echo "ok"
