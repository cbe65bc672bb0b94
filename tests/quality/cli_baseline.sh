#!/usr/bin/env bash
# baseline --task: the profile's quality section (reference metrics, per-chunk values, thresholds)
# equals what scikit-learn computes on the same rows (data/expected.json), for binary, multiclass
# with text labels and regression; the profile loads back (check runs on it); bad quality options
# fail with a message naming the option. Env: DW_BIN, DW_SRC, PYTHON3.
source "$DW_SRC/tests/lib.sh"
D="$DW_SRC/tests/quality/data"
CMP="$PYTHON3 $DW_SRC/tests/quality/compare.py"

"$DW_BIN" baseline --data "$D/cancer_reference.csv" --out "$TMP/cancer.json" --task binary --prediction prediction \
    --score score --target target --positive 1 2>"$TMP/err" || fail "baseline binary: $(cat "$TMP/err")"
$CMP "$D/expected.json" cancer.thresholds "$TMP/cancer.json" quality.thresholds || fail "binary thresholds"
$CMP "$D/expected.json" cancer.reference "$TMP/cancer.json" quality.reference || fail "binary reference"
"$PYTHON3" - "$TMP/cancer.json" <<'PY' || fail "binary section shape"
import json, sys
q = json.load(open(sys.argv[1]))["quality"]
assert q["task"] == "binary" and q["positive"] == "1", q
assert q["columns"] == {"prediction": "prediction", "score": "score", "target": "target"}, q["columns"]
assert all(len(v) == 10 for v in q["chunks"].values()), q["chunks"]
roles = {f["name"]: f.get("role") for f in json.load(open(sys.argv[1]))["features"]}
assert roles["score"] == "prediction" and roles["target"] == "target", roles
PY

# multiclass with text labels, 5 chunks
"$DW_BIN" baseline --data "$D/wine_reference.csv" --out "$TMP/wine.json" --task multiclass --prediction prediction \
    --target target --chunks 5 2>"$TMP/err" || fail "baseline multiclass: $(cat "$TMP/err")"
$CMP "$D/expected.json" wine.thresholds "$TMP/wine.json" quality.thresholds || fail "multiclass thresholds"

# regression
"$DW_BIN" baseline --data "$D/diabetes_reference.csv" --out "$TMP/diabetes.json" --task regression \
    --prediction prediction --target target 2>"$TMP/err" || fail "baseline regression: $(cat "$TMP/err")"
$CMP "$D/expected.json" diabetes.thresholds "$TMP/diabetes.json" quality.thresholds || fail "regression thresholds"

# the profiles load back: check runs on them (drift exit codes 0..2, not 3)
for m in cancer:cancer_window_ok wine:wine_window diabetes:diabetes_window; do
    set +e; "$DW_BIN" check --baseline "$TMP/${m%%:*}.json" --data "$D/${m#*:}.csv" >"$TMP/out" 2>"$TMP/err"; rc=$?; set -e
    [ "$rc" -le 2 ] || fail "check on the ${m%%:*} profile exited $rc: $(cat "$TMP/err")"
done
# a profile without the section (older ones) still loads and checks
"$DW_BIN" baseline --data "$D/cancer_reference.csv" --out "$TMP/plain.json" 2>/dev/null
grep -q '"quality"' "$TMP/plain.json" && fail "a baseline without --task has a quality section"
set +e; "$DW_BIN" check --baseline "$TMP/plain.json" --data "$D/cancer_window_ok.csv" >/dev/null 2>"$TMP/err"; rc=$?; set -e
[ "$rc" -le 2 ] || fail "check on a profile without quality exited $rc: $(cat "$TMP/err")"

# a bad section names its JSON path
"$PYTHON3" -c "
import json, sys
d = json.load(open('$TMP/cancer.json')); d['quality']['thresholds']['f1']['lower'] = 'x'
json.dump(d, open('$TMP/bad.json', 'w'))"
set +e; "$DW_BIN" check --baseline "$TMP/bad.json" --data "$D/cancer_window_ok.csv" >/dev/null 2>"$TMP/err"; rc=$?; set -e
[ "$rc" = 3 ] || fail "a bad quality section: exit $rc"
grep -q 'quality.thresholds.f1.lower: expected a number or null' "$TMP/err" || fail "bad section message: $(cat "$TMP/err")"

# bad options: each names what is wrong
bad() { # expected-message args...
    local want=$1; shift
    set +e; "$DW_BIN" baseline --data "$D/cancer_reference.csv" --out "$TMP/x.json" "$@" 2>"$TMP/err"; local rc=$?; set -e
    [ "$rc" != 0 ] || fail "baseline $* succeeded"
    grep -qF -- "$want" "$TMP/err" || fail "baseline $*: expected '$want' in: $(cat "$TMP/err")"
}
bad "--task: expected binary, multiclass or regression, got 'ranking'" --task ranking --prediction prediction --target target
bad "--task needs --prediction and --target" --task binary --target target
bad "--score needs --task" --score score
bad "--score: no column 'proba'" --task binary --prediction prediction --target target --score proba
bad "--positive yes: no value of the target column 'target' equals it" --task binary --prediction prediction \
    --target target --positive yes
bad "--score applies to --task binary only" --task regression --prediction prediction --target target --score score
bad "--chunks: expected an integer from 1 to 1000, got '0'" --task binary --prediction prediction --target target --chunks 0
bad "--protected: expected ATTRIBUTE=PRIVILEGED" --task binary --prediction prediction --target target --protected sex
bad "--exclude score: the column is needed for --task" --task binary --prediction prediction --target target \
    --score score --exclude score
echo "ok"
