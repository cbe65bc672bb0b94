# check -c / report -c as README and --help document them: the baseline and drift settings come
# from the model's config entry, the data from --data or, without it, from the agent's window in
# state_dir (read while the agent runs, and after it stopped); report -c with check's decision
# flags shows the verdict check gives with the same flags. Env: DW_BIN, DW_SRC, DW_PLUGIN_DIR.
source "$DW_SRC/tests/lib.sh"

EX="$DW_SRC/examples/data"
PORT=$(free_port)
# check -c copies the agent's state into TMPDIR: a private one, to see it cleaned up.
export TMPDIR="$TMP/tmpdir"
mkdir -p "$TMPDIR"

# cli EXIT ARGS...: runs driftwatch, output in $TMP/out and $TMP/err, and checks the exit code.
cli() {
    local want=$1 rc=0
    shift
    timeout 120 "$DW_BIN" "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
    [ "$rc" -eq "$want" ] || { cat "$TMP/err" >&2; fail "driftwatch $* exited $rc, expected $want"; }
}

"$DW_BIN" baseline --data "$EX/train.csv" --out "$TMP/baseline.json" --prediction prediction 2>/dev/null || fail "baseline"
# The model as the README configures it: relative baseline, a push probe without `model:`.
cat >"$TMP/dw.yaml" <<YAML
agent: {listen: 127.0.0.1:$PORT, state_dir: state, plugin_dir: $DW_PLUGIN_DIR}
models:
  - name: fraud
    baseline: baseline.json
    window: {size: 5000}
    drift: {methods: auto, features: {amount: {threshold: 0.3}}}
    probes:
      - {plugin: push}
YAML

# 1. Nothing in state_dir and no --data: a clear refusal (exit 3), naming both ways out.
cli 3 check -c "$TMP/dw.yaml"
expect_contains "$TMP/err" "driftwatch check: model 'fraud': no --data given, and state_dir $TMP/state holds no window of the model"
expect_contains "$TMP/err" "pass --data FILE"

# 2. -c with --data, no --baseline: the model's baseline and settings; the same verdict as the
# explicit command with the same settings, and stderr says which data was checked.
head -301 "$EX/serving_drifted.csv" >"$TMP/first300.csv"
cli 2 check -c "$TMP/dw.yaml" --data "$TMP/first300.csv" --format json
cp "$TMP/out" "$TMP/cfg_file.json"
expect_contains "$TMP/err" "driftwatch check: model 'fraud': data: $TMP/first300.csv"
cli 2 check --baseline "$TMP/baseline.json" --data "$TMP/first300.csv" --model fraud --threshold amount=0.3 --format json
cmp -s "$TMP/out" "$TMP/cfg_file.json" || fail "check -c --data differs from check --baseline with the model's settings"
grep -q '"threshold": 0.3' "$TMP/cfg_file.json" || fail "the config's amount threshold was not applied"

# 3. The agent's window: a short real run, the same 300 samples pushed (NDJSON).
"$PYTHON3" - "$TMP/first300.csv" "$TMP/push.ndjson" <<'PY'
import csv, json, sys
cat = {"country", "device", "merchant_category"}
with open(sys.argv[2], "w") as out:
    for r in csv.DictReader(open(sys.argv[1])):
        out.write(json.dumps({k: (None if v == "" else v if k in cat else float(v)) for k, v in r.items()}) + "\n")
PY
(cd "$TMP" && exec "$DW_BIN" run -c dw.yaml 2>"$TMP/agent.log") &
AGENT=$!
PIDS+=("$AGENT")
wait_http "http://127.0.0.1:$PORT/readyz" 30
# The first half as plain sample records, the second with an Idempotency-Key (journaled as one
# batch record with its cursor): the window holds both kinds.
head -150 "$TMP/push.ndjson" >"$TMP/push1.ndjson"
tail -n +151 "$TMP/push.ndjson" >"$TMP/push2.ndjson"
curl -fsS -X POST -H 'Content-Type: application/x-ndjson' --data-binary @"$TMP/push1.ndjson" \
    "http://127.0.0.1:$PORT/v1/models/fraud/samples" >"$TMP/push.out" || fail "push: $(cat "$TMP/agent.log")"
grep -q '"accepted":150' "$TMP/push.out" || fail "push answer: $(cat "$TMP/push.out")"
curl -fsS -X POST -H 'Content-Type: application/x-ndjson' -H 'Idempotency-Key: cli-check-config-2' \
    --data-binary @"$TMP/push2.ndjson" "http://127.0.0.1:$PORT/v1/models/fraud/samples" >"$TMP/push.out" ||
    fail "push: $(cat "$TMP/agent.log")"
grep -q '"accepted":150' "$TMP/push.out" || fail "push answer: $(cat "$TMP/push.out")"
# grep reads the files itself: `cat ... | grep -q` fails under pipefail whenever grep stops early and
# cat dies of SIGPIPE (1 run in ~20).
grep -aqs 'cli-check-config-2' "$TMP/state/fraud.journal" "$TMP/state/fraud.snapshot" ||
    fail "no batch record with the Idempotency-Key in the state files"

# While the agent runs (it holds the journal's lock): the window is read from a copy.
cli 2 check -c "$TMP/dw.yaml" --format json
cmp -s "$TMP/out" "$TMP/cfg_file.json" || fail "check -c on the agent's window differs from the same samples read from the file"
expect_contains "$TMP/err" "driftwatch check: model 'fraud': data: the agent's current window in $TMP/state, 300 sample(s)"
kill -0 "$AGENT" || fail "the agent stopped while check read its state"

# 4. report -c --model with check's decision flags: the same verdict as check with those flags,
# from the agent's window and from a file. The flags change the default verdict (exit 2 -> 1).
FLAGS=(--threshold amount=0.9 --threshold hour=2 --feature-method age=psi --threshold age=5 --dataset-share 0.6)
for src in window file; do
    data=()
    [ "$src" = file ] && data=(--data "$TMP/first300.csv")
    cli 1 check -c "$TMP/dw.yaml" --model fraud "${data[@]}" "${FLAGS[@]}" --format json
    cp "$TMP/out" "$TMP/check_$src.json"
    cli 0 report -c "$TMP/dw.yaml" --model fraud "${data[@]}" "${FLAGS[@]}" --out "$TMP/report_$src.html"
    "$PYTHON3" - "$TMP/check_$src.json" "$TMP/report_$src.html" <<'PY' || fail "report -c ($src) shows another verdict than check"
import json, re, sys
from html.parser import HTMLParser
check = json.load(open(sys.argv[1]))

class Overview(HTMLParser):
    """Rows of the report's overview tables (the features, then the target/prediction apart, which
    has a "why" column second): feature, type, method, statistic, p, threshold, missing, baseline →
    current, drift."""
    def __init__(self):
        super().__init__()
        self.rows, self.row, self.cell, self.inside, self.apart = [], None, None, False, False
    def handle_starttag(self, tag, attrs):
        cls = dict(attrs).get("class", "").split()
        if tag == "table" and "overview" in cls:
            self.inside, self.apart = True, "apart" in cls
        elif self.inside and tag == "tr":
            self.row = []
        elif self.inside and tag == "td":
            self.cell = ""
    def handle_endtag(self, tag):
        if tag == "table":
            self.inside = False
        elif self.inside and tag == "td" and self.row is not None:
            self.row.append(self.cell.strip())
            self.cell = None
        elif self.inside and tag == "tr" and self.row:
            self.rows.append(self.row[:1] + self.row[2:] if self.apart else self.row)
            self.row = None
    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data

html = open(sys.argv[2]).read()
p = Overview()
p.feed(html)
rows = {r[0]: r for r in p.rows}
assert len(rows) == len(check["features"]), (len(rows), len(check["features"]))
for f in check["features"]:
    r = rows[f["name"]]
    assert r[2] == f["method"], (f["name"], r[2], f["method"])
    assert float(r[5]) == f["threshold"], (f["name"], r[5], f["threshold"])
    assert (r[8] != "ok") == f["drift"], (f["name"], r[8], f["drift"])
assert ("Dataset drift:" in html) == check["dataset_drift"], check["dataset_drift"]
assert check["dataset_drift"] is False and check["drifted_features"] >= 1
assert any(f["name"] == "age" and f["method"] == "psi" and f["threshold"] == 5 for f in check["features"])
PY
    drifted=$("$PYTHON3" -c 'import json,sys; print(json.load(open(sys.argv[1]))["drifted_features"])' "$TMP/check_$src.json")
    expect_contains "$TMP/err" "driftwatch report: $drifted of"
done
expect_contains "$TMP/err" "driftwatch report: model 'fraud': data: $TMP/first300.csv"

# 5. After the agent stopped: the same window, the same verdict.
kill -TERM "$AGENT"
wait "$AGENT" || fail "agent exit: $(tail -5 "$TMP/agent.log")"
cli 2 check -c "$TMP/dw.yaml" --format json
cmp -s "$TMP/out" "$TMP/cfg_file.json" || fail "check -c on the stopped agent's window differs"
[ -z "$(ls -A "$TMPDIR")" ] || fail "check -c left its temporary copy behind: $(ls -A "$TMPDIR")"
echo "ok"
