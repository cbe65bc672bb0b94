#!/usr/bin/env bash
# Bad-input catalogue, CLI and config doors: `baseline`, `check`, `report` on CSV / JSON Lines /
# JSON array files, baseline profiles, and configs (`validate`, `run`). Each row asserts the exit
# code and the exact message with its position (file:line[:column], or a JSON row's JSON path): JSON
# rows are read by the agent's sample reader (core/sample), whose column points at the problem.
source "$DW_SRC/tests/lib.sh"
source "$DW_SRC/tests/badinput/badinput_lib.sh"
: "${DW_BAD_PLUGIN_DIR:?DW_BAD_PLUGIN_DIR must point at the deliberately broken test plugins}"

B="$TMP/base.json"
"$DW_BIN" baseline --data "$EX/train.csv" --out "$B" --prediction prediction 2>/dev/null
# json_field FILE FEATURE KEY: a field of one feature of a `check --format json` verdict.
json_field() {
    "$PYTHON3" -c 'import json, sys
d = json.load(open(sys.argv[1]))
f = [f for f in d["features"] if f["name"] == sys.argv[2]][0]
print(json.dumps(f.get(sys.argv[3])))' "$@"
}
window_rows() { "$PYTHON3" -c 'import json, sys; print(json.load(open(sys.argv[1]))["window"]["rows"])' "$1"; }
# Most files below carry only a few of the baseline's columns. Since docs/statistics.md a baseline column
# missing from the data is a schema error (check: the verdict printed, exit 3); the rows about bad
# rows and values pass --quality missing_columns=warn, so their exit code stays the verdict's (the
# absent features drift on their missing share, as before), and missing columns have rows of their own.
PARTIAL=(--quality missing_columns=warn)

# --- truncated JSON -----------------------------------------------------------------------------
# JSON Lines: line 2 stops after `{"amount": 2` (12 bytes, so column 13): skipped and named, line 1 kept; fatal
# (exit 3 / 1) under --strict.
printf '{"amount": 22.5}\n{"amount": 2' >"$TMP/trunc.jsonl"
cli 2 check --baseline "$B" --data "$TMP/trunc.jsonl" "${PARTIAL[@]}" --format json
expect_line "$TMP/err" "driftwatch check: warning: $TMP/trunc.jsonl:2:13: invalid JSON: expected ',' or '}'; line skipped"
[ "$(window_rows "$TMP/out")" = 1 ] || fail "truncated JSONL: window rows $(window_rows "$TMP/out"), expected 1"
cli 3 check --baseline "$B" --data "$TMP/trunc.jsonl" --strict
expect_line "$TMP/err" "driftwatch check: $TMP/trunc.jsonl:2:13: invalid JSON: expected ',' or '}'; line skipped (fatal with --strict)"
cli 0 baseline --data "$TMP/trunc.jsonl" --out "$TMP/x.json"
expect_contains "$TMP/err" "$TMP/trunc.jsonl: 1 rows (1 bad), 1 features"
cli 1 baseline --data "$TMP/trunc.jsonl" --out "$TMP/x.json" --strict
expect_line "$TMP/err" "driftwatch baseline: $TMP/trunc.jsonl:2:13: invalid JSON: expected ',' or '}'; line skipped (fatal with --strict)"
cli 0 report --baseline "$B" --data "$TMP/trunc.jsonl" --out "$TMP/r.html"
expect_line "$TMP/err" "driftwatch report: warning: $TMP/trunc.jsonl:2:13: invalid JSON: expected ',' or '}'; line skipped"
# A JSON array file is one document: cut after `[{"amount": 1}, {"amount"` (25 bytes), nothing read.
printf '[{"amount": 1}, {"amount"' >"$TMP/trunc.json"
cli 3 check --baseline "$B" --data "$TMP/trunc.json"
expect_line "$TMP/err" "driftwatch check: $TMP/trunc.json:1:26: invalid JSON: expected ':' after an object key"
# CSV: a quoted field opened on line 3 and never closed.
printf 'amount,age\n1,2\n3,"4\n' >"$TMP/trunc.csv"
cli 0 baseline --data "$TMP/trunc.csv" --out "$TMP/x.json"
expect_line "$TMP/err" "driftwatch baseline: warning: $TMP/trunc.csv:3: unterminated quoted field (runs to the end of the file)"
expect_contains "$TMP/err" "$TMP/trunc.csv: 1 rows (1 bad), 2 features"
# A baseline profile cut after 300 bytes: named at its last line and last byte read.
head -c 300 "$B" >"$TMP/trunc_base.json"
pos=$("$PYTHON3" -c 'import sys; t = open(sys.argv[1]).read(); print("%d:%d" % (t.count("\n") + 1, len(t) - t.rfind("\n") - 1))' "$TMP/trunc_base.json")
cli 3 check --baseline "$TMP/trunc_base.json" --data "$EX/serving_ok.csv"
expect_contains "$TMP/err" "driftwatch check: $TMP/trunc_base.json:$pos: invalid JSON: "

# --- wrong types --------------------------------------------------------------------------------
# Text and booleans where the baseline has a number: counted per feature as `invalid`, in the
# missing share (a signal, docs/statistics.md), never an error. 3 rows: amount 1 / "abc" / 3 →
# count 2, invalid 1, missing share 1/3; age true / false / 4 → count 1, invalid 2, share 2/3.
printf '{"amount": 1, "age": true}\n{"amount": "abc", "age": false}\n{"amount": 3, "age": 4}\n' >"$TMP/types.jsonl"
cli 2 check --baseline "$B" --data "$TMP/types.jsonl" "${PARTIAL[@]}" --format json
[ "$(json_field "$TMP/out" amount invalid) $(json_field "$TMP/out" amount count)" = "1 2" ] || fail "amount invalid/count"
[ "$(json_field "$TMP/out" age invalid) $(json_field "$TMP/out" age count)" = "2 1" ] || fail "age invalid/count"
"$PYTHON3" -c 'import json, sys
f = {f["name"]: f for f in json.load(open(sys.argv[1]))["features"]}
assert abs(f["amount"]["missing_share"] - 1 / 3) < 1e-12 and abs(f["age"]["missing_share"] - 2 / 3) < 1e-12, f
# docs/statistics.md: the same cells as type_mismatch = invalid / non-missing (1/3, 2/3); none is missing
qa, qg = f["amount"]["quality"], f["age"]["quality"]
assert abs(qa["type_mismatch"] - 1 / 3) < 1e-12 and abs(qg["type_mismatch"] - 2 / 3) < 1e-12, (qa, qg)
assert qa["missing_share"] == 0 and qg["missing_share"] == 0 and "type_mismatch" in qa["alerts"], (qa, qg)' "$TMP/out" ||
    fail "wrong types: missing shares and type_mismatch"
# An array is no feature value (docs/data-formats.md): the row is skipped, named by its JSON path.
printf '{"amount": 1, "age": [1]}\n{"amount": 3}\n' >"$TMP/array.jsonl"
cli 2 check --baseline "$B" --data "$TMP/array.jsonl" "${PARTIAL[@]}" --format json
expect_line "$TMP/err" "driftwatch check: warning: $TMP/array.jsonl:1: \$.age: a feature value must be a number, string, boolean or null (in a flat sample every key is a feature; use {\"features\": {...}, \"prediction\": ...} for more); line skipped"
[ "$(window_rows "$TMP/out")" = 1 ] || fail "array value JSONL: window rows"
# CSV: 49 rows whose amount is "abc": no usable value, the feature drifts by its missing share.
(head -1 "$EX/train.csv"; sed -n 2,50p "$EX/train.csv" | sed 's/^[^,]*,/abc,/') >"$TMP/types.csv"
cli 2 check --baseline "$B" --data "$TMP/types.csv" --format json
[ "$(json_field "$TMP/out" amount invalid)" = 49 ] || fail "CSV wrong type: invalid $(json_field "$TMP/out" amount invalid)"
[ "$(json_field "$TMP/out" amount note)" = '"no usable values in the window"' ] || fail "CSV wrong type: note"
[ "$(json_field "$TMP/out" amount drift_by)" = '["missing_share"]' ] || fail "CSV wrong type: drift_by"

# --- NaN / Inf ----------------------------------------------------------------------------------
# JSON has no NaN or Infinity, and 1e999 overflows a double: the line is skipped, by position
# (column 12: the token).
printf '{"amount": NaN}\n{"amount": 1e999}\n{"amount": 2}\n' >"$TMP/nan.jsonl"
cli 2 check --baseline "$B" --data "$TMP/nan.jsonl" "${PARTIAL[@]}" --format json
expect_line "$TMP/err" "driftwatch check: warning: $TMP/nan.jsonl:1:12: invalid JSON: invalid token; line skipped"
expect_line "$TMP/err" "driftwatch check: warning: $TMP/nan.jsonl:2:12: invalid JSON: real number overflow; line skipped"
[ "$(window_rows "$TMP/out")" = 1 ] || fail "NaN JSONL: window rows"
# CSV: NaN is missing; inf and -Infinity are invalid for a numeric feature. amount NaN / inf /
# -Infinity / 5 → count 1, invalid 2, missing share 3/4.
printf 'amount,age\nNaN,1\ninf,2\n-Infinity,3\n5,4\n' >"$TMP/nan.csv"
cli 2 check --baseline "$B" --data "$TMP/nan.csv" "${PARTIAL[@]}" --format json
[ "$(json_field "$TMP/out" amount count) $(json_field "$TMP/out" amount invalid) $(json_field "$TMP/out" amount missing_share)" = "1 2 0.75" ] ||
    fail "NaN/Inf CSV: amount count/invalid/missing_share"
# In training data a column with an infinity is not numeric (docs/data-formats.md: every value finite).
cli 0 baseline --data "$TMP/nan.csv" --out "$TMP/x.json"
expect_contains "$TMP/err" "$TMP/nan.csv: 4 rows (0 bad), 2 features (1 numeric, 1 categorical)"

# --- a 10 MB line -------------------------------------------------------------------------------
# Files have no line limit: a 10 MiB value is read like any other (2 rows).
{ gen_long_line; echo '{"amount": 2}'; } >"$TMP/long.jsonl"
cli 2 check --baseline "$B" --data "$TMP/long.jsonl" "${PARTIAL[@]}" --format json
[ "$(window_rows "$TMP/out")" = 2 ] || fail "10 MB JSONL line: window rows"
[ ! -s "$TMP/err" ] || fail "10 MB JSONL line: unexpected stderr $(head -c 300 "$TMP/err")"
"$PYTHON3" -c 'print("amount,note"); print("1," + "x" * (10 * 1024 * 1024)); print("2,y")' >"$TMP/long.csv"
cli 2 check --baseline "$B" --data "$TMP/long.csv" "${PARTIAL[@]}" --format json
[ "$(window_rows "$TMP/out")" = 2 ] || fail "10 MB CSV line: window rows"

# --- a million features -------------------------------------------------------------------------
# None of them is the baseline's: every feature column is missing, a schema error (docs/statistics.md):
# exit 3, the verdict printed with the 7 missing columns (the prediction is not a feature) and the
# first 100 unexpected ones; report writes the report and says so. With missing_columns: warn the
# check cannot run at all (no value of any baseline feature), with the reason.
gen_million_features >"$TMP/million.jsonl"
cli 3 check --baseline "$B" --data "$TMP/million.jsonl" --format json
expect_line "$TMP/err" "driftwatch check: schema error: 7 baseline columns missing from the data: 'amount', 'age', 'country', 'device', 'hour', ...; exit 3 (with --quality missing_columns=warn: reported, and checked anyway)"
"$PYTHON3" -c 'import json, sys
s = json.load(open(sys.argv[1]))["schema"]
assert [c["name"] for c in s["missing_columns"]] == ["amount", "age", "country", "device", "hour", "merchant_category", "account_age_days"], s["missing_columns"]
assert len(s["unexpected_columns"]) == 100 and s["unexpected_columns"][0]["name"] == "f0" and s["unexpected_truncated"] is True
' "$TMP/out" || fail "a million features: schema"
cli 0 report --baseline "$B" --data "$TMP/million.jsonl" --out "$TMP/r.html"
expect_line "$TMP/err" "driftwatch report: 0 of 0 features drifted; schema error: baseline columns missing from the data -> $TMP/r.html"
cli 3 check --baseline "$B" --data "$TMP/million.jsonl" "${PARTIAL[@]}"
expect_line "$TMP/err" "driftwatch check: $TMP/million.jsonl: none of the baseline's 8 features has a value in this file (first: 'amount'); is it the right data for this baseline?"
cli 1 report --baseline "$B" --data "$TMP/million.jsonl" --out "$TMP/r.html" "${PARTIAL[@]}"
expect_line "$TMP/err" "driftwatch report: $TMP/million.jsonl: none of the baseline's 8 features has a value in this file (first: 'amount'); is it the right data for this baseline?"

# --- a renamed column, an unexpected column -----------------------------------------------------
# The serving CSV's header says amount_usd (4 edits from amount: no suggestion) and agee (1 edit
# from age: suggested both ways): exit 3, the verdict printed with docs/statistics.md's schema. A column
# the baseline lacks, with every baseline column there, is reported and not an error.
sed '1s/^amount,age,/amount_usd,agee,/' "$EX/serving_ok.csv" >"$TMP/renamed.csv"
cli 3 check --baseline "$B" --data "$TMP/renamed.csv" --format json
expect_line "$TMP/err" "driftwatch check: schema error: 2 baseline columns missing from the data: 'amount', 'age' (did you mean 'agee'?); exit 3 (with --quality missing_columns=warn: reported, and checked anyway)"
"$PYTHON3" -c 'import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == {"missing_columns": [{"name": "amount", "suggestion": None}, {"name": "age", "suggestion": "agee"}],
                       "unexpected_columns": [{"name": "amount_usd", "suggestion": None}, {"name": "agee", "suggestion": "age"}]}, d["schema"]
assert d["schema_error"] is True and d["n_features"] == 5' "$TMP/out" || fail "renamed columns: schema"
sed '1s/$/,extra/; 2,$s/$/,1/' "$EX/serving_ok.csv" >"$TMP/extra.csv"
cli 0 check --baseline "$B" --data "$TMP/extra.csv" --format json
"$PYTHON3" -c 'import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == {"missing_columns": [], "unexpected_columns": [{"name": "extra", "suggestion": None}]} and not d["schema_error"]
' "$TMP/out" || fail "unexpected column: schema"

# --- deeply nested JSON -------------------------------------------------------------------------
# 100,000 nested arrays: refused at the depth limit (2048, as jansson's), column 11 + 2048 = 2059.
{ gen_deep 100000; echo '{"amount": 2}'; } >"$TMP/deep.jsonl"
cli 2 check --baseline "$B" --data "$TMP/deep.jsonl" "${PARTIAL[@]}" --format json
expect_line "$TMP/err" "driftwatch check: warning: $TMP/deep.jsonl:1:2059: invalid JSON: nested too deep; line skipped"
[ "$(window_rows "$TMP/out")" = 1 ] || fail "deep JSONL: window rows"

# --- invalid UTF-8 ------------------------------------------------------------------------------
# JSON Lines: not JSON (RFC 8259 text is UTF-8), skipped by position. CSV: each bad byte becomes
# U+FFFD, so the value stays a category of its own and the profile stays valid JSON.
printf '{"country": "\xff\xfe"}\n{"amount": 2}\n' >"$TMP/utf8.jsonl"
cli 2 check --baseline "$B" --data "$TMP/utf8.jsonl" "${PARTIAL[@]}"
expect_line "$TMP/err" "driftwatch check: warning: $TMP/utf8.jsonl:1:14: invalid JSON: invalid UTF-8 in a string; line skipped"
printf 'amount,country\n1,\xff\xfe\n2,US\n' >"$TMP/utf8.csv"
cli 0 baseline --data "$TMP/utf8.csv" --out "$TMP/utf8_base.json"
"$PYTHON3" -c 'import json, sys
f = [f for f in json.load(open(sys.argv[1]))["features"] if f["name"] == "country"][0]
assert f["categories"] == {"\ufffd\ufffd": 1, "US": 1}, f' "$TMP/utf8_base.json" || fail "invalid UTF-8 CSV: categories"

# --- empty or header-only CSV -------------------------------------------------------------------
: >"$TMP/empty.csv"
printf 'amount,age\n' >"$TMP/header.csv"
rm -f "$TMP/r.html"
cli 1 baseline --data "$TMP/empty.csv" --out "$TMP/x.json"
expect_line "$TMP/err" "driftwatch baseline: $TMP/empty.csv: empty file (expected a header row)"
cli 3 check --baseline "$B" --data "$TMP/empty.csv"
expect_line "$TMP/err" "driftwatch check: $TMP/empty.csv: empty file (expected a header row)"
cli 1 report --baseline "$B" --data "$TMP/empty.csv" --out "$TMP/r.html"
expect_line "$TMP/err" "driftwatch report: $TMP/empty.csv: empty file (expected a header row)"
cli 1 baseline --data "$TMP/header.csv" --out "$TMP/x.json"
expect_line "$TMP/err" "driftwatch baseline: $TMP/header.csv: no data rows (header only?)"
cli 3 check --baseline "$B" --data "$TMP/header.csv"
expect_line "$TMP/err" "driftwatch check: $TMP/header.csv: no data rows (header only?)"
cli 1 report --baseline "$B" --data "$TMP/header.csv" --out "$TMP/r.html"
expect_line "$TMP/err" "driftwatch report: $TMP/header.csv: no data rows (header only?)"
[ ! -e "$TMP/r.html" ] || fail "a report was written for unusable data"

# --- duplicate column names ---------------------------------------------------------------------
printf 'amount,age,amount\n1,2,3\n' >"$TMP/dup.csv"
cli 1 baseline --data "$TMP/dup.csv" --out "$TMP/x.json"
expect_line "$TMP/err" "driftwatch baseline: $TMP/dup.csv:1: duplicate column name 'amount' (columns 1 and 3)"
cli 3 check --baseline "$B" --data "$TMP/dup.csv"
expect_line "$TMP/err" "driftwatch check: $TMP/dup.csv:1: duplicate column name 'amount' (columns 1 and 3)"

# JSON Lines / JSON array: a key twice in one object is refused as ingest and profiles refuse it
# (jansson stops past the second key: column 11 + 11 = 22 on the line, 12 + 11 = 23 in the array).
printf '{"amount": 1, "amount": 2}\n{"amount": 2}\n' >"$TMP/dup.jsonl"
cli 2 check --baseline "$B" --data "$TMP/dup.jsonl" "${PARTIAL[@]}" --format json
expect_line "$TMP/err" "driftwatch check: warning: $TMP/dup.jsonl:1:15: invalid JSON: duplicate object key \"amount\"; line skipped"
[ "$(window_rows "$TMP/out")" = 1 ] || fail "duplicate keys JSONL: window rows"
printf '[{"amount": 1, "amount": 2}, {"amount": 2}]' >"$TMP/dup.json"
cli 3 check --baseline "$B" --data "$TMP/dup.json"
expect_line "$TMP/err" "driftwatch check: $TMP/dup.json:1:16: invalid JSON: duplicate object key \"amount\""

# --- a baseline of another profile version ------------------------------------------------------
sed -E 's/"driftwatch_profile": [0-9]+/"driftwatch_profile": 3/' "$B" >"$TMP/v2.json"
grep -q '"driftwatch_profile": 3' "$TMP/v2.json" || fail "could not make a version 3 profile from $B"
V2_WHY="$TMP/v2.json: driftwatch_profile: unsupported version 3 (this driftwatch reads versions 1 to 2; rebuild the baseline with 'driftwatch baseline')"
cli 3 check --baseline "$TMP/v2.json" --data "$EX/serving_ok.csv"
expect_line "$TMP/err" "driftwatch check: $V2_WHY"
cli 1 report --baseline "$TMP/v2.json" --data "$EX/serving_ok.csv" --out "$TMP/r.html"
expect_line "$TMP/err" "driftwatch report: $V2_WHY"

# --- configs: an unknown model, a baseline of another version, a missing plugin, another ABI ------
PORT=$(free_port)
config() { # config FILE PLUGIN_DIR BASELINE PROBE_PLUGIN
    cat >"$1" <<YAML
agent: {listen: 127.0.0.1:$PORT, state_dir: $TMP/state, plugin_dir: $2}
models:
  - name: fraud
    baseline: $3
    probes:
      - {plugin: $4, model: fraud}
YAML
}
config "$TMP/ok.yaml" "$DW_PLUGIN_DIR" "$B" push
cli 3 check -c "$TMP/ok.yaml" --model nope
expect_line "$TMP/err" "driftwatch check: $TMP/ok.yaml: no model named 'nope'"

# `baseline:` is at line 4, column 15 of these configs.
config "$TMP/v2.yaml" "$DW_PLUGIN_DIR" "$TMP/v2.json" push
cli 1 validate -c "$TMP/v2.yaml"
expect_line "$TMP/err" "$TMP/v2.yaml:4:15: model 'fraud': baseline: $V2_WHY"
cli 1 run -c "$TMP/v2.yaml"
expect_contains "$TMP/err" "msg=\"cannot start: model 'fraud': baseline: $V2_WHY\""
config "$TMP/nobase.yaml" "$DW_PLUGIN_DIR" "$TMP/no-such-baseline.json" push
cli 1 validate -c "$TMP/nobase.yaml"
expect_line "$TMP/err" "$TMP/nobase.yaml:4:15: model 'fraud': baseline: $TMP/no-such-baseline.json: No such file or directory"

# A plugin that does not exist: the `plugin:` entry is at line 6, column 9.
config "$TMP/noplugin.yaml" "$DW_PLUGIN_DIR" "$B" pusher
NOPLUGIN="$TMP/noplugin.yaml:6:9: plugin 'pusher': $DW_PLUGIN_DIR/pusher.so: No such file or directory (plugin directory: $DW_PLUGIN_DIR)"
cli 1 validate -c "$TMP/noplugin.yaml"
expect_line "$TMP/err" "$NOPLUGIN"
cli 1 run -c "$TMP/noplugin.yaml"
expect_contains "$TMP/err" "msg=\"cannot start: $NOPLUGIN\""

# A plugin built against plugin ABI 1 (tests/core/plugins/abi1sink.c, compiled with the frozen ABI 1
# header), in a plugin directory of its own (0755, as the loader requires).
mkdir -m 0755 "$TMP/plugins"
cp "$DW_BAD_PLUGIN_DIR/abi1sink.so" "$TMP/plugins/"
config "$TMP/abi.yaml" "$TMP/plugins" "$B" abi1sink
ABI="$TMP/abi.yaml:6:9: plugin 'abi1sink': $TMP/plugins/abi1sink.so was built for plugin ABI 1, this driftwatch speaks ABI 2: rebuild it against this driftwatch's driftwatch/plugin.h (docs/plugins.md)"
cli 1 validate -c "$TMP/abi.yaml"
expect_line "$TMP/err" "$ABI"
cli 1 run -c "$TMP/abi.yaml"
expect_contains "$TMP/err" "msg=\"cannot start: $ABI\""
cli 0 validate -c "$TMP/ok.yaml"
echo "PASS: bad input at the CLI and config doors"
