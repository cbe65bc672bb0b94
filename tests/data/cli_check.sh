#!/usr/bin/env bash
# driftwatch check through the CLI: exit codes 0/1/2/3, every format (json against scipy,
# prom through promtool, nagios, text), --out atomicity, JSON Lines input, and error messages.
# Env: DW_BIN, DW_SRC, PYTHON3.
set -euo pipefail
: "${DW_BIN:?}" "${DW_SRC:?}"
PY=${PYTHON3:-/usr/bin/python3}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
EX="$DW_SRC/examples/data"
FX="$DW_SRC/tests/fixtures/data"
REF="$DW_SRC/tests/data/scipy_reference.py"

check() { # expected-exit args...
    local want=$1; shift
    set +e; "$DW_BIN" check "$@" >"$T/out" 2>"$T/err"; local rc=$?; set -e
    [ "$rc" = "$want" ] || fail "check $* exited $rc, expected $want; stderr: $(cat "$T/err"); stdout: $(head -c 600 "$T/out")"
}

"$DW_BIN" check --help >"$T/help.txt" && grep -q '^usage: driftwatch check' "$T/help.txt" || fail "--help"
"$DW_BIN" report --help >"$T/help.txt" && grep -q '^usage: driftwatch report' "$T/help.txt" || fail "report --help"

"$DW_BIN" baseline --data "$EX/train.csv" --out "$T/demo.json" --prediction prediction 2>/dev/null
"$DW_BIN" baseline --data "$FX/small_train.csv" --out "$T/small.json" 2>/dev/null

# exit codes: demo (wasserstein_normed / jensenshannon) and small fixtures (ks / chisquare)
check 0 --baseline "$T/demo.json" --data "$EX/serving_ok.csv"
grep -q '^NO DRIFT: 0 of 7 features drifted' "$T/out" || fail "text status line: $(head -1 "$T/out")"
check 2 --baseline "$T/demo.json" --data "$EX/serving_drifted.csv"
grep -q '^DATASET DRIFT' "$T/out" || fail "text status line"
check 2 --baseline "$T/demo.json" --data "$EX/serving_drifted.jsonl" --format json
"$PY" -c "
import json; d = json.load(open('$T/out'))
assert d['window']['rows'] == 2000 and d['window']['from'] and d['window']['to'] > d['window']['from'], d['window']
assert d['dataset_drift'] is True
" || fail "jsonl window"
check 0 --baseline "$T/small.json" --data "$FX/small_same.csv"
# the same rows as one JSON array (a batch)
"$PY" -c "
import csv, json
rows = [{k: (v if k == 'c' else float(v)) for k, v in r.items()} for r in csv.DictReader(open('$FX/small_same.csv'))]
json.dump(rows, open('$T/batch.json', 'w'))"
check 0 --baseline "$T/small.json" --data "$T/batch.json"
check 1 --baseline "$T/small.json" --data "$FX/small_one.csv"
grep -q '^FEATURE DRIFT: 1 of 4' "$T/out" || fail "exit-1 text"

# json vs scipy, on both paths of the auto rule and with --methods all
for pair in "demo.json $EX/train.csv $EX/serving_ok.csv" "demo.json $EX/train.csv $EX/serving_drifted.csv" \
            "small.json $FX/small_train.csv $FX/small_same.csv" "small.json $FX/small_train.csv $FX/small_one.csv"; do
    set -- $pair
    for methods in auto all; do
        set +e; "$DW_BIN" check --baseline "$T/$1" --data "$3" --format json --methods $methods >"$T/c.json"; set -e
        "$PY" "$REF" "$2" "$3" "$T/c.json" >"$T/ref.out" || fail "scipy mismatch ($methods, $3): $(cat "$T/ref.out")"
    done
done

# prom: written atomically to --out, accepted by promtool
check 2 --baseline "$T/demo.json" --data "$EX/serving_drifted.csv" --format prom --out "$T/drift.prom" --model 'fraud "eu"'
[ ! -s "$T/out" ] || fail "--out still printed to stdout"
ls -A "$T" | grep -q '\.tmp\.' && fail "temp file left behind"
promtool check metrics <"$T/drift.prom" >"$T/promtool.out" 2>&1 || fail "promtool: $(cat "$T/promtool.out")"
grep -q '^driftwatch_dataset_drifted{model="fraud \\"eu\\""} 1$' "$T/drift.prom" || fail "dataset_drifted sample"
for m in feature_drift_score feature_drifted feature_missing_ratio dataset_drift_share dataset_drifted; do
    grep -q "^# TYPE driftwatch_$m gauge$" "$T/drift.prom" || fail "TYPE line for $m"
done
check 1 --baseline "$T/small.json" --data "$FX/small_one.csv" --format prom --methods all --out "$T/small.prom"
promtool check metrics <"$T/small.prom" >"$T/promtool.out" 2>&1 || fail "promtool (all): $(cat "$T/promtool.out")"
grep -q '^driftwatch_feature_drift_p_value{model="default",feature="x",method="ks"} ' "$T/small.prom" || fail "p-value series"

# nagios
check 2 --baseline "$T/demo.json" --data "$EX/serving_drifted.csv" --format nagios
grep -qE '^DRIFT CRITICAL - dataset drift: 5 of 7 features drifted .* \| share=0.714286;;0.5;0;1 drifted=5;;;0;7 ' "$T/out" \
    || fail "nagios line: $(cat "$T/out")"
[ "$(wc -l <"$T/out")" = 1 ] || fail "nagios output is not one line"
check 0 --baseline "$T/small.json" --data "$FX/small_same.csv" --format nagios
grep -q '^DRIFT OK - 0 of 4 features drifted' "$T/out" || fail "nagios OK"

# corrections and overrides through the CLI
check 1 --baseline "$T/small.json" --data "$FX/small_one.csv" --correction bonferroni --format json
"$PY" -c "
import json; d = json.load(open('$T/out'))
f = {x['name']: x for x in d['features']}
assert d['correction'] == 'bonferroni'
assert abs(f['x']['p_value_adjusted'] - min(1, 4 * f['x']['p_value'])) <= 1e-15 + 1e-12 * f['x']['p_value_adjusted']
" || fail "bonferroni through the CLI"
check 0 --baseline "$T/small.json" --data "$FX/small_one.csv" --threshold x=5 --feature-method x=wasserstein_normed
check 2 --baseline "$T/small.json" --data "$FX/small_one.csv" --dataset-share 0.25

# exit 3: could not run
check 3 --baseline "$T/demo.json" --data "$T/nope.csv"
grep -qF "nope.csv: No such file" "$T/err" || fail "missing data message"
check 3 --baseline "$T/nope.json" --data "$EX/serving_ok.csv"
"$PY" -c "
import json; p = json.load(open('$T/demo.json')); p['driftwatch_profile'] = 3
json.dump(p, open('$T/v3.json', 'w'))"
check 3 --baseline "$T/v3.json" --data "$EX/serving_ok.csv"
grep -qF "v3.json: driftwatch_profile: unsupported version 3" "$T/err" || fail "version message: $(cat "$T/err")"
# the wrong file: none of the baseline's columns is there. docs/statistics.md: a schema error (exit 3)
# with the verdict printed (the 7 missing features listed); with missing_columns=warn the check
# cannot run at all, and says why
check 3 --baseline "$T/demo.json" --data "$FX/small_same.csv"
grep -q '^SCHEMA ERROR: 7 columns of the baseline missing from the data' "$T/out" || fail "wrong-file status: $(head -2 "$T/out")"
grep -qF "schema error: 7 baseline columns missing from the data: 'amount', 'age'" "$T/err" || fail "wrong-file stderr: $(cat "$T/err")"
check 3 --baseline "$T/demo.json" --data "$FX/small_same.csv" --quality missing_columns=warn
grep -qF "none of the baseline's 8 features has a value" "$T/err" || fail "wrong-file message: $(cat "$T/err")"
printf 'amount,age\n' >"$T/header.csv"
check 3 --baseline "$T/demo.json" --data "$T/header.csv"
grep -qF "header.csv: no data rows" "$T/err" || fail "header-only message"
check 3 --baseline "$T/demo.json"
check 3 --baseline "$T/demo.json" --data "$EX/serving_ok.csv" --methods ks,bogus
grep -qF "unknown method 'bogus'" "$T/err" || fail "methods message"
check 3 --baseline "$T/demo.json" --data "$EX/serving_ok.csv" --format xml
check 3 --baseline "$T/demo.json" --data "$EX/serving_ok.csv" --format nagios --out /nonexistent/dir/x
# bad rows: named with file:line, skipped; fatal with --strict
check 0 --baseline "$T/small.json" --data "$FX/bad_rows.csv" --threshold x=0 --threshold c=0 --threshold flag=0 --threshold y=0
grep -qF "bad_rows.csv:4: expected 4 fields (as in the header), found 2; row skipped" "$T/err" || fail "bad row line 4"
grep -qF "bad_rows.csv:7: expected 4 fields (as in the header), found 5; row skipped" "$T/err" || fail "bad row line 7"
check 3 --baseline "$T/small.json" --data "$FX/bad_rows.csv" --strict
grep -qF "bad_rows.csv:4: expected 4 fields" "$T/err" || fail "strict message"
printf '{"x": 1, "c": "a"}\n{"x": 2,, }\n' >"$T/bad.jsonl"
check 3 --baseline "$T/small.json" --data "$T/bad.jsonl" --strict
grep -qE "bad.jsonl:2:[0-9]+: invalid JSON" "$T/err" || fail "jsonl line:col: $(cat "$T/err")"
echo "ok"
