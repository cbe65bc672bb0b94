#!/usr/bin/env bash
# Data quality and schema (docs/statistics.md) at every door, on one small fixture whose shares are
# counted by hand below: `check` on CSV and JSON Lines (json, text, prom through promtool, nagios),
# `report`, a renamed column (exit 3 with the suggestion in the JSON), the config's quality_checks
# (validate, check -c), and the agent: samples pushed with text in a numeric feature, values outside
# the reference range, unseen categories and a key the baseline lacks, read back from
# GET /v1/models/{m}/drift and /metrics (promtool), a model whose samples lack a column (a schema
# error: result="schema_error"), check -c on the agent's window, and the same rows as v1 predict
# calls through the proxy probe to a model server. Env: DW_BIN, DW_SRC, DW_PLUGIN_DIR.
source "$DW_SRC/tests/lib.sh"
need_tool promtool prometheus

# cli EXIT ARGS...: runs driftwatch, output in $TMP/out and $TMP/err, and checks the exit code.
cli() {
    local want=$1 rc=0
    shift
    timeout 120 "$DW_BIN" "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
    [ "$rc" -eq "$want" ] || { cat "$TMP/err" "$TMP/out" >&2; fail "driftwatch $* exited $rc, expected $want"; }
}

# The baseline: amount in [10, 50], kind in {a, b, c}, nothing missing.
printf 'amount,kind\n10,a\n20,b\n30,a\n40,b\n50,c\n' >"$TMP/ref.csv"
cli 0 baseline --data "$TMP/ref.csv" --out "$TMP/base.json"
# Ten serving rows, by hand (docs/statistics.md's definitions):
#   amount: numbers 5 10 25 50 55 60 30 (7); outside [10, 50]: 5 55 60       -> out_of_range 3/7
#           "abc" is not a number, of 8 non-missing cells                   -> type_mismatch 1/8
#           "" and NaN are missing, of 10 rows                              -> missing_share 2/10
#   kind:   a b a a d a b e a (9; row 9 is empty); not in {a, b, c}: d e     -> unseen_categories 2/9
#           one empty of 10 rows                                            -> missing_share 1/10
printf 'amount,kind\n5,a\n10,b\n25,a\n50,a\n55,d\nabc,a\n,b\n60,e\n30,\nNaN,a\n' >"$TMP/cur.csv"
# The same rows as samples (a null for an empty field), the first with a key the baseline lacks.
"$PYTHON3" - "$TMP/cur.csv" "$TMP/cur.jsonl" <<'PY'
import csv, json, sys
with open(sys.argv[2], "w") as out:
    for i, r in enumerate(csv.DictReader(open(sys.argv[1]))):
        a = r["amount"]
        feats = {"amount": None if a == "" else a if a in ("abc", "NaN") else float(a),
                 "kind": r["kind"] or None}
        if i == 0:
            feats["note"] = "first"
        out.write(json.dumps({"features": feats, "prediction": 1}) + "\n")
PY

# verify_quality FILE [unexpected]: the hand-counted shares and default thresholds in a verdict.
verify_quality() {
    "$PYTHON3" - "$@" <<'PY' || fail "quality shares in $1: $(head -c 3000 "$1")"
import json, sys
d = json.load(open(sys.argv[1]))
f = {x["name"]: x["quality"] for x in d["features"]}
def close(a, b):
    return a is not None and abs(a - b) <= 1e-12
a, k = f["amount"], f["kind"]
assert close(a["out_of_range"], 3 / 7) and close(a["type_mismatch"], 1 / 8) and close(a["missing_share"], 2 / 10), a
assert a["unseen_categories"] is None, a
assert close(k["unseen_categories"], 2 / 9) and close(k["missing_share"], 1 / 10), k
assert k["out_of_range"] is None and k["type_mismatch"] is None, k
# defaults: out_of_range 0.05, unseen_categories 0.05, type_mismatch 0, missing_share off
assert a["thresholds"] == {"out_of_range": 0.05, "unseen_categories": 0.05, "type_mismatch": 0, "missing_share": None}
assert a["alerts"] == ["out_of_range", "type_mismatch"] and k["alerts"] == ["unseen_categories"], (a, k)
assert d["quality_alerts"] == 3 and d["schema_error"] is False
want = [{"name": "note", "suggestion": None}] if len(sys.argv) > 2 else []
assert d["schema"] == {"missing_columns": [], "unexpected_columns": want}, d["schema"]
PY
}

# --- CLI check: CSV and JSON Lines, every format ------------------------------------------------
# Both features also drift on their missing share (+0.3 counting "abc", +0.1): exit 2; quality
# alerts do not change the exit code.
cli 2 check --baseline "$TMP/base.json" --data "$TMP/cur.csv" --format json
verify_quality "$TMP/out"
cli 2 check --baseline "$TMP/base.json" --data "$TMP/cur.jsonl" --format json
verify_quality "$TMP/out" unexpected
cli 2 check --baseline "$TMP/base.json" --data "$TMP/cur.csv"
"$PYTHON3" - "$TMP/out" <<'PY' || fail "text: $(cat "$TMP/out")"
import sys
lines = open(sys.argv[1]).read().split("\n")
# first: the status, the baseline and window, then DATA QUALITY before the drift table
assert lines[0].startswith("DATASET DRIFT") and lines[3] == "DATA QUALITY", lines[:4]
assert lines[4:7] == ["  out_of_range       amount  42.9% > threshold 5.0%",
                      "  type_mismatch      amount  12.5% > threshold 0.0%",
                      "  unseen_categories  kind    22.2% > threshold 5.0%"], lines[4:7]
assert lines[8].startswith("FEATURE "), lines[8]
PY
cli 2 check --baseline "$TMP/base.json" --data "$TMP/cur.csv" --format prom --model 'q'
promtool check metrics <"$TMP/out" >"$TMP/promtool.out" 2>&1 || fail "promtool: $(cat "$TMP/promtool.out")"
for line in 'driftwatch_feature_quality_ratio{model="q",feature="amount",problem="out_of_range"} 0.42857142857142855' \
    'driftwatch_feature_quality_ratio{model="q",feature="amount",problem="type_mismatch"} 0.125' \
    'driftwatch_feature_quality_ratio{model="q",feature="amount",problem="missing_share"} 0.2' \
    'driftwatch_feature_quality_ratio{model="q",feature="kind",problem="unseen_categories"} 0.2222222222222222' \
    'driftwatch_feature_quality_threshold{model="q",feature="amount",problem="type_mismatch"} 0' \
    'driftwatch_schema_missing_columns{model="q"} 0'; do
    grep -qxF "$line" "$TMP/out" || fail "prom: no line $line"
done
cli 2 check --baseline "$TMP/base.json" --data "$TMP/cur.csv" --format nagios
expect_contains "$TMP/out" "; data quality: amount out_of_range 42.9%, amount type_mismatch 12.5%, kind unseen_categories 22.2% [model default]"
# thresholds from the command line: no alert left, the same shares
cli 2 check --baseline "$TMP/base.json" --data "$TMP/cur.csv" --format json --quality out_of_range=0.5 \
    --quality type_mismatch=off --quality unseen_categories=0.25
"$PYTHON3" -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d["quality_alerts"] == 0, d' "$TMP/out" ||
    fail "--quality thresholds"
cli 3 check --baseline "$TMP/base.json" --data "$TMP/cur.csv" --quality out_of_rang=0.5
expect_contains "$TMP/err" "--quality out_of_rang=0.5: unknown quality check 'out_of_rang' (did you mean 'out_of_range'?)"

# --- report: the data quality section comes first -----------------------------------------------
cli 0 report --baseline "$TMP/base.json" --data "$TMP/cur.csv" --out "$TMP/r.html"
"$PYTHON3" - "$TMP/r.html" <<'PY' || fail "report: data quality section"
import re, sys
html = open(sys.argv[1]).read()
heads = re.findall(r"<h2>([^<]*)", html)
assert heads[0] == "Data quality" and heads[1] == "Features", heads
section = html[html.index('id="quality"'):html.index("<h2>Features")]
assert '<td class="num alert" title="threshold 5%">42.86%</td>' in section, section
assert '<td class="num alert" title="threshold 0%">12.50%</td>' in section, section
PY

# --- a renamed column: a schema error, exit 3, the verdict printed with the suggestion ------------
# amuont is 2 edits from amount (o and u swapped): suggested both ways.
sed '1s/^amount,/amuont,/' "$TMP/cur.csv" >"$TMP/renamed.csv"
cli 3 check --baseline "$TMP/base.json" --data "$TMP/renamed.csv" --format json
expect_contains "$TMP/err" "driftwatch check: schema error: 1 baseline column missing from the data: 'amount' (did you mean 'amuont'?)"
"$PYTHON3" - "$TMP/out" <<'PY' || fail "renamed column JSON: $(head -c 2000 "$TMP/out")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == {"missing_columns": [{"name": "amount", "suggestion": "amuont"}],
                       "unexpected_columns": [{"name": "amuont", "suggestion": "amount"}]}, d["schema"]
assert d["schema_error"] is True and d["n_features"] == 1
a = [f for f in d["features"] if f["name"] == "amount"][0]
assert a["drift"] is False and a["missing_column"] is True and a["quality"]["missing_share"] == 1
PY
cli 3 check --baseline "$TMP/base.json" --data "$TMP/renamed.csv"
grep -q '^SCHEMA ERROR: 1 column of the baseline missing from the data' "$TMP/out" || fail "text status: $(head -3 "$TMP/out")"
expect_contains "$TMP/out" "  missing column     amount  (did you mean 'amuont'?)"
cli 3 check --baseline "$TMP/base.json" --data "$TMP/renamed.csv" --format nagios
grep -q "^DRIFT UNKNOWN - schema error: missing column 'amount' (did you mean 'amuont'?)" "$TMP/out" || fail "nagios: $(cat "$TMP/out")"
# missing_columns=warn: reported, and the old rule (100% missing drifts)
cli 2 check --baseline "$TMP/base.json" --data "$TMP/renamed.csv" --format json --quality missing_columns=warn
"$PYTHON3" -c 'import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema_error"] is False and d["schema"]["missing_columns"] == [{"name": "amount", "suggestion": "amuont"}]
assert [f["drift_by"] for f in d["features"] if f["name"] == "amount"] == [["missing_share"]]' "$TMP/out" ||
    fail "missing_columns=warn"

# --- the config: quality_checks -----------------------------------------------------------------
PORT=$(free_port)
PROXY_PORT=$(free_port)
MODEL_PORT=$(free_port)
write_config() { # write_config QUALITY_CHECKS_YAML
    cat >"$TMP/dw.yaml" <<YAML
agent: {listen: 127.0.0.1:$PORT, state_dir: state, plugin_dir: $DW_PLUGIN_DIR}
models:
  - name: q
    baseline: base.json
    window: {size: 1000}
    quality_checks: $1
    probes:
      - {plugin: push}
  - name: r
    baseline: base.json
    window: {size: 1000}
    probes:
      - {plugin: push}
  - name: s
    baseline: base.json
    window: {size: 1000}
    probes:
      - {plugin: proxy, listen: "127.0.0.1:$PROXY_PORT", upstream: "http://127.0.0.1:$MODEL_PORT",
         protocol: v1, tap_interval: 10ms}
YAML
}
write_config '{out_of_rang: 0.1}'
cli 1 validate -c "$TMP/dw.yaml"
expect_contains "$TMP/err" "$TMP/dw.yaml:6:22: model 'q': quality_checks: unknown quality check 'out_of_rang' (did you mean 'out_of_range'?)"
write_config '{type_mismatch: 2}'
cli 1 validate -c "$TMP/dw.yaml"
expect_contains "$TMP/err" "$TMP/dw.yaml:6:37: model 'q': quality_checks: type_mismatch must be a share in [0, 1] or off, not '2'"
write_config '{features: {amout: {out_of_range: 0.2}}}'
cli 1 validate -c "$TMP/dw.yaml"
expect_contains "$TMP/err" "model 'q': quality_checks.features: the baseline has no feature 'amout' (did you mean 'amount'?)"
write_config '{out_of_range: 0.5, type_mismatch: off, missing_columns: error, features: {kind: {unseen_categories: 0.25}}}'
cli 0 validate -c "$TMP/dw.yaml"
cli 2 check -c "$TMP/dw.yaml" --model q --data "$TMP/cur.csv" --format json
"$PYTHON3" - "$TMP/out" <<'PY' || fail "check -c quality_checks: $(head -c 3000 "$TMP/out")"
import json, sys
d = json.load(open(sys.argv[1]))
f = {x["name"]: x["quality"] for x in d["features"]}
assert f["amount"]["thresholds"] == {"out_of_range": 0.5, "unseen_categories": 0.05, "type_mismatch": None, "missing_share": None}
assert f["kind"]["thresholds"]["unseen_categories"] == 0.25 and d["quality_alerts"] == 0, d
PY

# --- the agent: pushed samples, /drift, /metrics ------------------------------------------------
write_config '{out_of_range: 0.05, type_mismatch: 0, missing_columns: error}'
(cd "$TMP" && exec "$DW_BIN" run -c dw.yaml 2>"$TMP/agent.log") &
AGENT=$!
PIDS+=("$AGENT")
wait_http "http://127.0.0.1:$PORT/readyz" 30
URL="http://127.0.0.1:$PORT/v1/models"
curl -fsS -X POST -H 'Content-Type: application/x-ndjson' --data-binary @"$TMP/cur.jsonl" "$URL/q/samples" \
    >"$TMP/push.out" || fail "push: $(cat "$TMP/agent.log")"
grep -q '"accepted":10' "$TMP/push.out" || fail "push answer: $(cat "$TMP/push.out")"
curl -fsS -X POST "$URL/q/check" >"$TMP/check.json" || fail "POST check: $(cat "$TMP/agent.log")"
curl -fsS "$URL/q/drift" >"$TMP/drift.json" || fail "GET drift"
verify_quality "$TMP/drift.json" unexpected
cmp -s "$TMP/check.json" "$TMP/drift.json" || fail "the check's answer and GET drift differ"
# The agent's JSON door prints numbers as the CLI does, shortest round-trip (Python's repr digits:
# json_dumps printed 0.05 as 0.050000000000000003), and its check log line names the drifted features.
"$PYTHON3" - "$TMP/drift.json" "$TMP/agent.log" <<'PY' || fail "agent drift JSON numbers / log names"
import json, re, sys
text = open(sys.argv[1]).read()
def digits(t):
    m = t.lower().split("e")[0].replace("-", "").replace(".", "").lstrip("0").rstrip("0")
    return m
bad = [t for t in re.findall(r'(?<=[:\[, ])-?\d+\.\d+(?:[eE][-+]?\d+)?|(?<=[:\[, ])-?\d+[eE][-+]?\d+', text)
       if digits(t) != digits(repr(float(t)))]
assert not bad, bad[:5]
d = json.loads(text)
drifted = [f["name"] for f in d["features"] if f["drift"]]
log = open(sys.argv[2]).read()
lines = [l for l in log.splitlines() if "model=q check rows=" in l]
assert lines, "no check line"
if drifted:
    want = "drifted_features=" + ",".join(drifted[:8])
    assert want in lines[-1], (want, lines[-1])
else:
    assert "drifted_features=" not in lines[-1], lines[-1]
PY
# model r: samples without kind at all: a schema error, reported, counted as such
"$PYTHON3" -c 'import json
for x in (5, 10, 25, 50): print(json.dumps({"features": {"amount": x, "knid": "a"}}))' >"$TMP/nokind.jsonl"
curl -fsS -X POST -H 'Content-Type: application/x-ndjson' --data-binary @"$TMP/nokind.jsonl" "$URL/r/samples" \
    >"$TMP/push.out" || fail "push r"
curl -fsS -X POST "$URL/r/check" >/dev/null || fail "POST check r: $(cat "$TMP/agent.log")"
curl -fsS "$URL/r/drift" >"$TMP/drift_r.json" || fail "GET drift r"
"$PYTHON3" - "$TMP/drift_r.json" <<'PY' || fail "model r schema error: $(head -c 2000 "$TMP/drift_r.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema_error"] is True, d
assert d["schema"] == {"missing_columns": [{"name": "kind", "suggestion": "knid"}],
                       "unexpected_columns": [{"name": "knid", "suggestion": "kind"}]}, d["schema"]
PY
curl -fsS "http://127.0.0.1:$PORT/metrics" >"$TMP/metrics.txt" || fail "GET /metrics"
promtool check metrics <"$TMP/metrics.txt" >"$TMP/promtool.out" 2>&1 || fail "promtool on /metrics: $(cat "$TMP/promtool.out")"
for line in 'driftwatch_feature_quality_ratio{model="q",feature="amount",problem="out_of_range"} 0.428571' \
    'driftwatch_feature_quality_ratio{model="q",feature="amount",problem="type_mismatch"} 0.125' \
    'driftwatch_feature_quality_ratio{model="q",feature="kind",problem="unseen_categories"} 0.222222' \
    'driftwatch_feature_quality_threshold{model="q",feature="amount",problem="out_of_range"} 0.05' \
    'driftwatch_schema_unexpected_columns{model="q"} 1' \
    'driftwatch_schema_missing_columns{model="r"} 1' \
    'driftwatch_checks_total{model="r",result="schema_error"} 1'; do
    grep -qF "$line" "$TMP/metrics.txt" || fail "/metrics: no line $line: $(grep -E 'quality|schema|checks_total' "$TMP/metrics.txt")"
done
expect_contains "$TMP/agent.log" "model=r schema error: 1 baseline column(s) missing from the window, first 'kind' (did you mean 'knid'?)"
# check -c on the agent's window (read from the state files while it runs): the same shares
cli 2 check -c "$TMP/dw.yaml" --model q --format json
verify_quality "$TMP/out" unexpected

# --- the proxy door: the same ten rows as v1 predict calls to a model server behind the proxy ----
start_model "$MODEL_PORT"
# One call per row (the instances are the rows' feature objects), as a client of the model would.
"$PYTHON3" - "$TMP/cur.jsonl" "$TMP/calls" <<'PY'
import json, os, sys
os.makedirs(sys.argv[2])
for i, line in enumerate(open(sys.argv[1])):
    json.dump({"instances": [json.loads(line)["features"]]}, open(f"{sys.argv[2]}/{i}.json", "w"))
PY
for i in $(seq 0 9); do
    code=$(curl -s -o "$TMP/resp" -w '%{http_code}' -H 'Content-Type: application/json'         --data-binary @"$TMP/calls/$i.json" "http://127.0.0.1:$PROXY_PORT/v1/models/s:predict")
    [ "$code" = 200 ] || fail "proxy call $i answered $code: $(cat "$TMP/resp")"
done
# The tap runs on its own idle-priority thread: wait until the window holds all ten.
for _ in $(seq 1 600); do
    curl -fsS "http://127.0.0.1:$PORT/metrics" >"$TMP/metrics.txt"
    grep -qF 'driftwatch_window_samples{model="s"} 10' "$TMP/metrics.txt" && break
    sleep 0.1
done
grep -qF 'driftwatch_window_samples{model="s"} 10' "$TMP/metrics.txt" ||
    fail "the proxy's taps did not reach the window: $(grep -E 'model="s"' "$TMP/metrics.txt")"
curl -fsS -X POST "$URL/s/check" >/dev/null || fail "POST check s: $(cat "$TMP/agent.log")"
curl -fsS "$URL/s/drift" >"$TMP/drift_s.json" || fail "GET drift s"
verify_quality "$TMP/drift_s.json" unexpected
kill -TERM "$AGENT"
wait "$AGENT" || true
echo "PASS: data quality and schema at the CLI, report, config and agent (push and proxy) doors"
