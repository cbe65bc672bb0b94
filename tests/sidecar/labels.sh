# Delayed labels in the agent (POST /v1/models/{m}/labels): predictions pushed with a request_id,
# labels joined whichever side comes first, the answers' counts and errors, the bearer token, and
# SIGKILL at random moments while labels are posted: after the restarts every acknowledged label
# and waiting prediction is still there, so the 1000th join closes the quality window once, and
# its realized metrics equal those Python computes from the same pairs.
source "$DW_SRC/tests/lib.sh"

PORT=$(free_port)
TOKEN=labels-test-token
# training data: x, prediction, score, label (a seeded generator; the metrics are recomputed below)
"$PYTHON3" - "$TMP" <<'PY'
import json, random, sys
d = sys.argv[1]
rnd = random.Random(7)
def row(i):
    x = rnd.gauss(0, 1)
    score = min(max(0.5 + 0.3 * x + rnd.gauss(0, 0.15), 0.0), 1.0)
    label = 1 if rnd.random() < score else 0
    return x, int(score >= 0.5), round(score, 6), label
with open(f"{d}/train.csv", "w") as f:
    f.write("x,prediction,score,label\n")
    for i in range(2000):
        f.write("%.6f,%d,%.6f,%d\n" % row(i))
serving = [row(i) for i in range(1000)]
with open(f"{d}/predictions.ndjson", "w") as f:
    for i, (x, p, s, _) in enumerate(serving):
        f.write(json.dumps({"features": {"x": x}, "prediction": p, "score": s, "request_id": f"r-{i}"}) + "\n")
with open(f"{d}/labels.ndjson", "w") as f:
    for i, (_, _, _, y) in enumerate(serving):
        f.write(json.dumps({"request_id": f"r-{i}", "label": y}) + "\n")
# realized metrics by hand: y = label, ŷ = prediction
tp = sum(1 for _, p, _, y in serving if p == 1 and y == 1)
fp = sum(1 for _, p, _, y in serving if p == 1 and y == 0)
fn = sum(1 for _, p, _, y in serving if p == 0 and y == 1)
tn = len(serving) - tp - fp - fn
acc = (tp + tn) / len(serving)
prec = tp / (tp + fp)
rec = tp / (tp + fn)
brier = sum((s - y) ** 2 for _, _, s, y in serving) / len(serving)
json.dump({"accuracy": acc, "precision": prec, "recall": rec, "f1": 2 * prec * rec / (prec + rec),
           "brier": brier}, open(f"{d}/expected.json", "w"))
PY
"$DW_BIN" baseline --data "$TMP/train.csv" --out "$TMP/baseline.json" --task binary --prediction prediction \
    --score score --target label 2>/dev/null || fail "baseline --task binary"
cat >"$TMP/dw.yaml" <<YAML
agent: {listen: 127.0.0.1:$PORT, state_dir: $TMP/state, durability: sync, auth_token: $TOKEN}
models:
  - name: fraud
    baseline: $TMP/baseline.json
    window: {size: 1000000}
    probes:
      - {plugin: push}
YAML
start_agent() {
    "$DW_BIN" run -c "$TMP/dw.yaml" 2>>"$TMP/agent.log" &
    AGENT=$!
    PIDS+=("$AGENT")
    wait_http "http://127.0.0.1:$PORT/readyz"
}
post() { # post ROUTE FILE -> status in $code, body in $TMP/answer.json
    code=$(curl -s -o "$TMP/answer.json" -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" \
        -H 'Content-Type: application/x-ndjson' --data-binary "@$2" "http://127.0.0.1:$PORT/v1/models/fraud/$1" || true)
}
field() { "$PYTHON3" -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$TMP/answer.json" "$1"; }
metric() { # metric 'NAME{LABELS}' -> value or "" (scraped once into $TMP/metrics)
    curl -fsS "http://127.0.0.1:$PORT/metrics" >"$TMP/metrics"
    awk -v k="$1" '$1 == k {print $2}' "$TMP/metrics"
}

start_agent
# labels first for r-0..r-9: they wait
head -n 10 "$TMP/labels.ndjson" >"$TMP/early.ndjson"
post labels "$TMP/early.ndjson"
[ "$code" = 202 ] || fail "early labels: HTTP $code $(cat "$TMP/answer.json")"
[ "$(field pending)" = 10 ] && [ "$(field joined)" = 0 ] || fail "early labels: $(cat "$TMP/answer.json")"
# all predictions: r-0..r-9 join their waiting labels
post samples "$TMP/predictions.ndjson"
[ "$code" = 202 ] || fail "predictions: HTTP $code"
[ "$(metric 'driftwatch_labels_pending{model="fraud"}')" = 990 ] || fail "990 predictions should wait: $(grep labels_ "$TMP/metrics")"

# bad labels: named by line and path, the good one in the body still taken
{ sed -n 11p "$TMP/labels.ndjson"; printf '{"request_id": "r-11"}\nnot json\n'; } >"$TMP/bad.ndjson" # r-10's own label
post labels "$TMP/bad.ndjson"
[ "$code" = 202 ] || fail "a body with one good label: HTTP $code"
[ "$(field joined)" = 1 ] && [ "$(field rejected)" = 2 ] || fail "counts: $(cat "$TMP/answer.json")"
[ "$(field error)" = 'line 2: $.label: missing' ] || fail "error: $(cat "$TMP/answer.json")"
printf '[{"request_id": 5}]' >"$TMP/none.json"
post labels "$TMP/none.json"
[ "$code" = 400 ] || fail "no usable label: HTTP $code"
expect_contains "$TMP/answer.json" '$[0].label: missing'
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary @"$TMP/early.ndjson" \
    "http://127.0.0.1:$PORT/v1/models/fraud/labels")
[ "$code" = 401 ] || fail "labels without the token: HTTP $code, want 401"

# r-11..r-899 under SIGKILL at random moments; a batch whose answer never came is sent again
sed -n '12,900p' "$TMP/labels.ndjson" >"$TMP/middle.ndjson"
sent=0 total=$(wc -l <"$TMP/middle.ndjson")
for round in 1 2 3; do
    [ "$round" = 1 ] || start_agent
    ( sleep "0.$(( RANDOM % 4 + 1 ))"; kill -KILL "$AGENT" ) &
    while [ "$sent" -lt "$total" ]; do
        sed -n "$((sent + 1)),$((sent + 20))p" "$TMP/middle.ndjson" >"$TMP/batch.ndjson"
        post labels "$TMP/batch.ndjson"
        [ "$code" = 202 ] || break
        sent=$((sent + $(wc -l <"$TMP/batch.ndjson")))
    done
    wait "$AGENT" 2>/dev/null || true
    wait
done
start_agent
while [ "$sent" -lt "$total" ]; do
    sed -n "$((sent + 1)),$((sent + 20))p" "$TMP/middle.ndjson" >"$TMP/batch.ndjson"
    post labels "$TMP/batch.ndjson"
    [ "$code" = 202 ] || fail "labels after the restarts: HTTP $code"
    sent=$((sent + $(wc -l <"$TMP/batch.ndjson")))
done
[ -z "$(metric 'driftwatch_performance{model="fraud",metric="accuracy"}')" ] ||
    fail "the quality window closed before its 1000th pair: a label was counted twice"
# the last 100 labels: the 1000th pair closes the window
sed -n '901,1000p' "$TMP/labels.ndjson" >"$TMP/last.ndjson"
post labels "$TMP/last.ndjson"
[ "$code" = 202 ] && [ "$(field joined)" = 100 ] || fail "last labels: HTTP $code $(cat "$TMP/answer.json")"
metric 'driftwatch_performance{model="fraud",metric="accuracy"}' >/dev/null
"$PYTHON3" - "$TMP/metrics" "$TMP/expected.json" <<'PY' || fail "realized metrics differ from Python's"
import json, re, sys
got = {}
for line in open(sys.argv[1]):
    m = re.match(r'driftwatch_performance\{model="fraud",metric="(\w+)"\} (\S+)', line)
    if m:
        got[m.group(1)] = float(m.group(2))
want = json.load(open(sys.argv[2]))
for k, v in want.items():
    if k not in got or abs(got[k] - v) > 1e-9 * max(1, abs(v)):
        sys.exit(f"{k}: agent {got.get(k)}, Python {v}")
print("realized metrics equal Python's:", {k: round(v, 6) for k, v in want.items()})
PY
# the reference bands next to the realized values: the baseline's own thresholds
"$PYTHON3" - "$TMP/metrics" "$TMP/baseline.json" <<'PY' || fail "driftwatch_performance_threshold differs from the baseline"
import json, re, sys
text = open(sys.argv[1]).read()
th = json.load(open(sys.argv[2]))["quality"]["thresholds"]
for metric, band in th.items():
    for bound in ("lower", "upper"):
        m = re.search(r'driftwatch_performance_threshold\{model="fraud",metric="%s",bound="%s"\} (\S+)' % (metric, bound), text)
        if band[bound] is None:
            assert not m, (metric, bound)
        else:
            assert m and abs(float(m.group(1)) - band[bound]) <= 1e-12 * max(1, abs(band[bound])), (metric, bound)
PY
# a re-sent batch whose first answer was lost is taken twice: those labels wait (their
# predictions are joined), at most one batch of 20 per killed round
pending=$(metric 'driftwatch_labels_pending{model="fraud"}')
[ "${pending%.*}" -le 60 ] || fail "$pending entries still wait"
need_tool promtool prometheus
promtool check metrics <"$TMP/metrics" || fail "promtool rejected the agent's metrics"
echo "labels: 1000 joined across 3 SIGKILLs; $pending re-sent label(s) waiting"
