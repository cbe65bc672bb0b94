# Performance without labels in the agent: a window of pushed samples with a score (top-level, or
# inside a prediction object) gets performance.estimated at its check and
# driftwatch_performance_estimated on /metrics, equal to what `check` computes on the same rows
# from a file (itself compared with scikit-learn in quality_cli_cbpe); and the bias of the
# configured protected attribute, driftwatch_fairness and driftwatch_fairness_alert, equal to the
# statistical parity difference and disparate impact computed here by hand from the same rows.
source "$DW_SRC/tests/lib.sh"

PORT=$(free_port)
"$PYTHON3" - "$TMP" <<'PY'
import json, random, sys
d = sys.argv[1]
rnd = random.Random(3)
def row(shift):
    sex = "M" if rnd.random() < 0.5 else "F"
    x = rnd.gauss(shift + (2.0 if sex == "M" else -0.5), 1)
    s = min(max(0.5 + 0.3 * x + rnd.gauss(0, 0.15), 0.0), 1.0)
    return round(x, 6), sex, int(s >= 0.5), round(s, 6), 1 if rnd.random() < s else 0
with open(f"{d}/train.csv", "w") as f:
    f.write("x,sex,prediction,score,label\n")
    for _ in range(2000):
        f.write("%s,%s,%d,%s,%d\n" % row(0))
serving = [row(1) for _ in range(500)]
with open(f"{d}/serve.csv", "w") as f:
    f.write("x,sex,prediction,score\n")
    for x, sex, p, s, _ in serving:
        f.write("%s,%s,%d,%s\n" % (x, sex, p, s))
with open(f"{d}/serve.ndjson", "w") as f:
    for i, (x, sex, p, s, _) in enumerate(serving):
        # both places a score can be: at the top level, and in a prediction object
        if i % 2:
            f.write(json.dumps({"features": {"x": x, "sex": sex}, "prediction": p, "score": s}) + "\n")
        else:
            f.write(json.dumps({"features": {"x": x, "sex": sex}, "prediction": {"label": p, "score": s}}) + "\n")
# bias of the predictions by hand: u = F (unprivileged), p = M; favorable outcome 1
fav = lambda g: sum(1 for _, sex, p, _, _ in serving if sex == g and p == 1) / sum(1 for r in serving if r[1] == g)
json.dump({"spd": fav("F") - fav("M"), "dir": fav("F") / fav("M")}, open(f"{d}/bias.json", "w"))
PY
"$DW_BIN" baseline --data "$TMP/train.csv" --out "$TMP/b.json" --task binary --prediction prediction \
    --score score --target label 2>/dev/null || fail "baseline --task binary --score"
cat >"$TMP/dw.yaml" <<YAML
agent: {listen: 127.0.0.1:$PORT, state_dir: $TMP/state}
models:
  - name: m
    baseline: $TMP/b.json
    window: {size: 100000}
    probes: [{plugin: push}]
    quality: {task: binary, fairness: [{attribute: sex, privileged: [M], favorable: 1}]}
YAML
"$DW_BIN" run -c "$TMP/dw.yaml" 2>"$TMP/agent.log" &
PIDS+=($!)
wait_http "http://127.0.0.1:$PORT/readyz"
curl -fsS -X POST -H 'Content-Type: application/x-ndjson' --data-binary @"$TMP/serve.ndjson" \
    "http://127.0.0.1:$PORT/v1/models/m/samples" >/dev/null || fail "push"
curl -fsS -X POST "http://127.0.0.1:$PORT/v1/models/m/check" >"$TMP/agent.json" || fail "check"
curl -fsS "http://127.0.0.1:$PORT/metrics" >"$TMP/metrics"
set +e
"$DW_BIN" check --baseline "$TMP/b.json" --data "$TMP/serve.csv" --format json >"$TMP/cli.json" 2>/dev/null
set -e
"$PYTHON3" - "$TMP/agent.json" "$TMP/cli.json" "$TMP/metrics" <<'PY' || fail "the agent's estimate differs from check's"
import json, re, sys
agent = json.load(open(sys.argv[1]))["performance"]["estimated"]
cli = json.load(open(sys.argv[2]))["performance"]["estimated"]
scraped = {m.group(1): float(m.group(2)) for m in
           re.finditer(r'driftwatch_performance_estimated\{model="m",metric="(\w+)"\} (\S+)', open(sys.argv[3]).read())}
assert set(agent) == set(cli) == {"accuracy", "precision", "recall", "f1"}, (agent, cli)
for k in cli:
    a, c = agent[k]["value"], cli[k]["value"]
    assert abs(a - c) <= 1e-12, f"{k}: agent {a}, check {c}"
    assert abs(scraped[k] - c) <= 1e-12, f"{k}: /metrics {scraped[k]}, check {c}"
    assert agent[k]["alert"] == cli[k]["alert"] and agent[k]["lower"] == cli[k]["lower"], k
print("agent estimate equals check's:", {k: round(v["value"], 6) for k, v in cli.items()})
PY
"$PYTHON3" - "$TMP/metrics" "$TMP/bias.json" <<'PY' || fail "the agent's bias metrics differ from the hand computation"
import json, re, sys
text = open(sys.argv[1]).read()
want = json.load(open(sys.argv[2]))
for k, v in want.items():
    m = re.search(r'driftwatch_fairness\{model="m",attribute="sex",metric="%s"\} (\S+)' % k, text)
    assert m and abs(float(m.group(1)) - v) <= 1e-12, (k, m and m.group(1), v)
m = re.search(r'driftwatch_fairness_alert\{model="m",attribute="sex"\} (\S+)', text)
alert = abs(want["spd"]) > 0.1 or not 0.8 <= want["dir"] <= 1.2
assert m and float(m.group(1)) == (1.0 if alert else 0.0), (m and m.group(1), alert)
print("bias equals the hand computation:", want, "alert:", alert)
PY
