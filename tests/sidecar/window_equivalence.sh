# The agent's verdict on its columnar window equals `driftwatch check` on the same samples read
# from a file (the independent path: the data loader and columns_add_row_json), for samples with
# every kind of value (numbers as text, unparsable text, NaN, null, absent keys, integers in a
# categorical column, flat samples, escapes, timestamps) — before and after a restart that
# rebuilds the window from the journal, and after a second one that reads the snapshot.
source "$DW_SRC/tests/lib.sh"

"$PYTHON3" - "$TMP" <<'PY'
import json, random, sys
tmp = sys.argv[1]
rnd = random.Random(3)
cats = ["US", "DE", "FR", "caf\u00e9", "x\"y"]
with open(tmp + "/train.jsonl", "w") as f:
    for i in range(3000):
        f.write(json.dumps({"features": {"amount": rnd.gauss(50, 10), "age": rnd.randint(18, 90),
                 "country": rnd.choice(cats[:3]), "flag": rnd.choice([True, False])},
                 "prediction": rnd.random()}) + "\n")
with open(tmp + "/serve.jsonl", "w") as f:
    for i in range(1500):
        feats = {"amount": rnd.gauss(55, 12), "age": rnd.randint(18, 90), "country": rnd.choice(cats),
                 "flag": rnd.choice([True, False])}
        r = rnd.random()
        if r < 0.05: feats["amount"] = None
        elif r < 0.08: feats["amount"] = "abc"
        elif r < 0.1: feats["amount"] = str(round(rnd.gauss(50, 10), 3))
        elif r < 0.12: del feats["country"]
        elif r < 0.14: feats["country"] = 7
        elif r < 0.15: feats["age"] = "NaN"
        s = {"features": feats, "prediction": rnd.random(),
             "timestamp": "2024-05-%02dT%02d:00:00Z" % (1 + i % 28, i % 24)}
        if i % 50 == 0:
            s = dict(feats, prediction=rnd.random())
        f.write(json.dumps(s) + "\n")
PY
"$DW_BIN" baseline --data "$TMP/train.jsonl" --out "$TMP/B.json" --prediction prediction 2>/dev/null ||
    fail "baseline"
rc=0
"$DW_BIN" check --baseline "$TMP/B.json" --data "$TMP/serve.jsonl" --methods all --format json \
    >"$TMP/cli.json" 2>/dev/null || rc=$?
[ "$rc" -le 2 ] || fail "check on the file: exit $rc"

PORT=$(free_port)
cat >"$TMP/dw.yaml" <<YAML
agent: {listen: 127.0.0.1:$PORT, state_dir: $TMP/state}
models:
  - name: m
    baseline: $TMP/B.json
    window: {size: 5000}
    drift: {methods: all}
    probes: [{plugin: push, model: m}]
YAML
start_agent() {
    "$DW_BIN" run -c "$TMP/dw.yaml" 2>>"$TMP/agent.log" &
    AGENT=$!
    PIDS+=("$AGENT")
    wait_http "http://127.0.0.1:$PORT/readyz"
}
same_as_cli() { # $1: what
    curl -s -X POST "http://127.0.0.1:$PORT/v1/models/m/check" >"$TMP/agent.json"
    "$PYTHON3" - "$TMP/cli.json" "$TMP/agent.json" "$1" <<'PY' || fail "$1: the agent's verdict differs from check's"
import json, sys
cli, agent = (json.load(open(p)) for p in sys.argv[1:3])
agent.pop("model")
cli.pop("model", None)
assert agent["window"]["rows"] == 1500, agent["window"]
if cli != agent:
    for k in cli:
        if cli[k] != agent.get(k):
            print(sys.argv[3], "differs in", k, json.dumps(cli[k])[:300], json.dumps(agent.get(k))[:300])
    sys.exit(1)
PY
}

start_agent
code=$(curl -s -o "$TMP/push.out" -w '%{http_code}' -H 'Content-Type: application/x-ndjson' \
    --data-binary @"$TMP/serve.jsonl" "http://127.0.0.1:$PORT/v1/models/m/samples")
[ "$code" = 202 ] || fail "push: $code $(cat "$TMP/push.out")"
same_as_cli "live window"
for round in journal snapshot; do
    kill -TERM "$AGENT"; wait "$AGENT" || fail "agent exit code"
    start_agent
    same_as_cli "after a restart from the $round"
done
expect_contains "$TMP/agent.log" "recovered 1500 sample(s) in the window from 0 snapshot + 1500 journal"
expect_contains "$TMP/agent.log" "recovered 1500 sample(s) in the window from 1500 snapshot + 0 journal"
