# The fleet metrics of one agent (docs/metrics.md, "Fleet-wide drift"): after a check,
# driftwatch_window_bin_count equals the counts Python computes from the pushed samples and the
# baseline's own sample (numpy quantile edges, top 50 categories, __other__, __unseen__, missing), and
# driftwatch_baseline_bin_share the baseline's shares; the scrape passes promtool; a model with
# metrics: {bins: false} exports neither family, and a SIGHUP that turns them off drops them.
source "$DW_SRC/tests/lib.sh"
need_tool promtool prometheus
need_tool curl curl

PORT=$(free_port)
# Training data: a skewed numeric feature with an awkward name, a numeric one with 4 distinct values
# (duplicate quantile edges, so fewer than 10 bins), and a categorical one with 54 categories: ties at
# the 50th place, a category named "missing" (a bin's own label), and texts that need escaping.
"$PYTHON3" - "$TMP" <<'PY'
import json, sys
import numpy as np
tmp = sys.argv[1]
rng = np.random.default_rng(7)
# exact category counts: 45 decreasing ones, four special texts, four tied at the 50th place (one
# keeps its own bin, in the profile's order), "missing" (a reserved text: folded into __other__) and
# the empty text (a missing value)
counts = {f"c{i:02d}": 100 - 2 * i for i in range(45)}
counts.update({'quo"te': 60, "back\\slash": 50, "new\nline": 45, "é-ü": 40})
counts.update({f"t{i}": 10 for i in range(4)})
counts.update({"missing": 40, "": 30})
names = list(counts)
country = [c for c, n in counts.items() for _ in range(n)] + [None] * 60
rng.shuffle(country)
with open(f"{tmp}/train.jsonl", "w") as f:
    for i, c in enumerate(country):
        row = {'price "usd"\\x': None if i % 37 == 0 else round(float(rng.lognormal(3, 1)), 3),
               "tenure": int(rng.choice([0, 1, 1, 1, 2, 2, 3])), "country": c}
        f.write(json.dumps(row) + "\n")
with open(f"{tmp}/window.jsonl", "w") as f:
    for i in range(700):
        price = round(float(rng.lognormal(3.3, 1)), 3)
        row = {'price "usd"\\x': None if i % 11 == 0 else "n/a" if i % 29 == 0 else price,
               "tenure": int(rng.choice([0, 2, 3, 3])),
               "country": None if i % 13 == 0 else ["XX", "YY", "missing"][i % 3] if i % 7 == 0
                          else names[rng.integers(len(names))]}
        f.write(json.dumps({"features": row}) + "\n")
PY
"$DW_BIN" baseline --data "$TMP/train.jsonl" --categorical country --out "$TMP/baseline.json" 2>"$TMP/baseline.log" ||
    fail "baseline: $(cat "$TMP/baseline.log")"

write_config() { # write_config SHOP_BINS
    cat >"$TMP/dw.yaml" <<YAML
agent: {listen: 127.0.0.1:$PORT, state_dir: $TMP/state}
models:
  - name: shop
    baseline: $TMP/baseline.json
    window: {size: 100000}
    probes: [{plugin: push}]
    metrics: {bins: $1}
  - name: quiet
    baseline: $TMP/baseline.json
    window: {size: 100000}
    probes: [{plugin: push}]
    metrics: {bins: false}
YAML
}
write_config true
"$DW_BIN" run -c "$TMP/dw.yaml" 2>"$TMP/agent.log" &
AGENT=$!
PIDS+=("$AGENT")
wait_http "http://127.0.0.1:$PORT/readyz"

for model in shop quiet; do
    code=$(curl -s -o "$TMP/push.out" -w '%{http_code}' -X POST -H 'Content-Type: application/x-ndjson' \
        --data-binary @"$TMP/window.jsonl" "http://127.0.0.1:$PORT/v1/models/$model/samples")
    [ "$code" = 202 ] || fail "push to $model: $code $(cat "$TMP/push.out")"
    code=$(curl -s -o "$TMP/verdict-$model.json" -w '%{http_code}' -X POST "http://127.0.0.1:$PORT/v1/models/$model/check")
    [ "$code" = 200 ] || fail "check of $model: $code $(cat "$TMP/verdict-$model.json")"
done

curl -fsS "http://127.0.0.1:$PORT/metrics" >"$TMP/metrics.txt"
promtool check metrics <"$TMP/metrics.txt" >"$TMP/promtool.out" 2>&1 ||
    fail "promtool check metrics: $(cat "$TMP/promtool.out")"

"$PYTHON3" - "$TMP" <<'PY' || fail "bin metrics differ from Python's counts (above)"
import json, re, sys
import numpy as np
tmp = sys.argv[1]
B, TOP = 10, 50

def unescape(v):
    return re.sub(r'\\(.)', lambda m: {"n": "\n", "\\": "\\", '"': '"'}[m.group(1)], v)

# The text format: name{k="v",...} value; label values escaped with \\, \" and \n.
series = {}
line_re = re.compile(r'^(\w+)\{((?:\w+="(?:[^"\\]|\\.)*",?)*)\} (\S+)$')
for line in open(f"{tmp}/metrics.txt", encoding="utf-8"):
    m = line_re.match(line.rstrip("\n"))
    if not m or m.group(1) not in ("driftwatch_window_bin_count", "driftwatch_baseline_bin_share"):
        continue
    labels = {k: unescape(v) for k, v in re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2))}
    key = (m.group(1), labels["model"], labels["feature"], labels["bin"])
    assert key not in series, f"duplicate series {key}"
    series[key] = float(m.group(3))

assert not any(k[1] == "quiet" for k in series), "metrics: {bins: false} still exports bins"

profile = json.load(open(f"{tmp}/baseline.json"))
window = [json.loads(l)["features"] for l in open(f"{tmp}/window.jsonl")]
expected = {}
for feat in profile["features"]:
    name = feat["name"]
    values = [row.get(name) for row in window]
    rows = feat["count"] + feat["missing"]
    base_missing = feat["missing"] / rows
    if feat["type"] == "numeric":
        r = np.array(feat["sample"], float)
        assert len(r) == feat["count"], "the baseline's sample should hold every value here"
        edges = np.unique(np.quantile(r, np.arange(1, B) / B))
        usable = np.array([v for v in values if isinstance(v, (int, float))], float)
        counts = np.bincount(np.searchsorted(edges, usable, side="right"), minlength=len(edges) + 1)
        shares = np.bincount(np.searchsorted(edges, r, side="right"), minlength=len(edges) + 1) / len(r)
        bins = {str(i): (counts[i], shares[i]) for i in range(len(edges) + 1)}
        missing = len(values) - len(usable)
    else:
        cats = list(feat["categories"].items())  # the profile's order
        reserved = {"", "missing", "__other__", "__unseen__"}
        ranked = sorted(range(len(cats)), key=lambda i: (-cats[i][1], i))
        own = [cats[i][0] for i in ranked if cats[i][0] not in reserved][:TOP]
        total = feat["count"]
        bins = {c: [0, feat["categories"][c] / total] for c in own}
        folded = total - sum(feat["categories"][c] for c in own)
        if folded:
            bins["__other__"] = [0, folded / total]
        bins["__unseen__"] = [0, 0.0]
        missing = 0
        for v in values:
            if v is None or v == "":  # an empty text is missing, as in the baseline
                missing += 1
            elif v in bins and v not in reserved:
                bins[v][0] += 1
            elif v in feat["categories"]:
                bins["__other__"][0] += 1
            else:
                bins["__unseen__"][0] += 1
    bins["missing"] = (missing, base_missing)
    for b, (count, share) in bins.items():
        expected[("driftwatch_window_bin_count", "shop", name, b)] = float(count)
        expected[("driftwatch_baseline_bin_share", "shop", name, b)] = float(share)

# what the data is meant to exercise
assert sum(1 for k in expected if k[0] == "driftwatch_window_bin_count" and k[2] == "tenure") < B + 1
assert expected[("driftwatch_window_bin_count", "shop", "country", "__other__")] > 0
assert expected[("driftwatch_window_bin_count", "shop", "country", "__unseen__")] > 0
for c in ('quo"te', "back\\slash", "new\nline", "é-ü", "t0"):
    assert ("driftwatch_window_bin_count", "shop", "country", c) in expected, c
assert ("driftwatch_window_bin_count", "shop", "country", "t1") not in expected
assert expected[("driftwatch_window_bin_count", "shop", 'price "usd"\\x', "missing")] > 70

bad = 0
for k in sorted(set(expected) | set(series)):
    e, g = expected.get(k), series.get(k)
    if e is None or g is None or abs(e - g) > 1e-12 * max(1.0, abs(e)):
        print(f"{k}: expected {e}, got {g}", file=sys.stderr)
        bad += 1
if bad:
    sys.exit(1)
print(f"{len(series)} bin series match")
PY
# SIGHUP with metrics: {bins: false} on shop too: the reloaded model drops its old bins at once
# (no check has run under the new config, so nothing else would replace them).
write_config false
kill -HUP "$AGENT"
for _ in $(seq 1 100); do
    # the agent restarts its listener on a reload: a refused connection is retried
    curl -fsS "http://127.0.0.1:$PORT/metrics" >"$TMP/metrics2.txt" 2>/dev/null || { sleep 0.1; continue; }
    grep -q 'driftwatch_config_last_reload_successful 1' "$TMP/metrics2.txt" &&
        grep -q 'msg="config reloaded' "$TMP/agent.log" && break
    sleep 0.1
done
expect_contains "$TMP/agent.log" "config reloaded"
grep -q 'driftwatch_window_bin_count\|driftwatch_baseline_bin_share' "$TMP/metrics2.txt" &&
    fail "bins still exported after a reload turned them off"
expect_contains "$TMP/metrics2.txt" 'driftwatch_feature_drifted{model="shop",feature="tenure"}'

# A clean stop (under ASan: no leak of the bins' layout or series).
kill -TERM "$AGENT"
wait "$AGENT" || { cat "$TMP/agent.log" >&2; fail "agent exit status on SIGTERM"; }
echo ok
