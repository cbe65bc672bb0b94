# A wide model through the mlflow plugin: 400 features, so the retrain run's 1205 metrics and 404
# params take several log-batch requests (the fake refuses more than 1000 metrics, 100 params or
# 1000 items in one), and feature names MLflow would refuse as keys are sanitised: ':' and ';'
# become '_' (the second of two equal results gets "_<position>"), a non-ASCII letter's bytes become
# '_', a 300-byte name is cut so "feature.<name>.p_value" stays within 250 bytes.
source "$DW_SRC/tests/lib.sh"
source "$DW_SRC/tests/mlflow/mlflow_lib.sh"

export DW_HTTP_BACKOFF_MS=20 DW_HTTP_BACKOFF_MAX_MS=100
"$PYTHON3" - "$TMP" <<'PY'
import csv, json, random, sys
tmp = sys.argv[1]
rnd = random.Random(11)
names = ["amount:usd", "amount;usd", "na\u00efve score", "l" * 300] + ["f%d" % i for i in range(396)]
with open(tmp + "/train.csv", "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    w.writerow(names)
    for _ in range(300):
        w.writerow(["%.4f" % rnd.gauss(0, 1) for _ in names])
with open(tmp + "/drifted.json", "w", encoding="utf-8") as f:
    json.dump([{n: rnd.gauss(3, 1) for n in names} for _ in range(300)], f)
json.dump(names, open(tmp + "/names.json", "w"))
PY
"$DW_BIN" baseline --data "$TMP/train.csv" --out "$TMP/B.json" 2>"$TMP/baseline.log" ||
    { cat "$TMP/baseline.log" >&2; fail "baseline"; }
start_fake_mlflow
PORT=$(free_port)
tracked_config "$PORT" wide >"$TMP/dw.yaml"
start_agent "$TMP/dw.yaml" "$TMP/log" "$PORT"
drift_check "$PORT" wide
wait_for_log "$TMP/log" "for retrain.triggered of model wide" 60
curl -fsS "$ML_URL/_fake/state" >"$TMP/state.json"
curl -fsS "$ML_URL/_fake/requests" >"$TMP/requests.json"
"$PYTHON3" - "$TMP/state.json" "$TMP/requests.json" "$TMP/check-wide.json" "$TMP/names.json" <<'PY' ||
import json, sys
state, requests, check, names = (json.load(open(p, encoding="utf-8")) for p in sys.argv[1:5])
runs = list(state["runs"].values())
assert len(runs) == 1, [r["tags"] for r in runs]
r = runs[0]
metrics = {m["key"]: m["value"] for m in r["metrics"]}
# 5 dataset metrics + score, p_value and drifted for each of the 400 features; params: trainer,
# job_state, episode_start (the samples carry no timestamps: no window_end) + a method per feature.
assert len(r["metrics"]) == len(metrics) == 5 + 3 * 400, len(r["metrics"])
assert len(r["params"]) == 3 + 400 and "window_end" not in r["params"], sorted(r["params"])[:5]
# The keys, as the plugin's README states the rule, written out by hand:
long_prefix = "feature." + "l" * (250 - len(".p_value") - len("feature."))
expected = {"amount:usd": "feature.amount_usd", "amount;usd": "feature.amount_usd_2",
            "na\u00efve score": "feature.na__ve score", "l" * 300: long_prefix}
by_name = {f["name"]: f for f in check["features"]}
for name in names:
    prefix = expected.get(name, "feature." + name)
    f = by_name[name]
    assert metrics[prefix + ".score"] == f["statistic"], (name, prefix)
    assert metrics[prefix + ".p_value"] == f["p_value"], (name, prefix)
    assert r["params"][prefix + ".method"] == f["method"], (name, prefix)
assert max(len(k) for k in metrics) == 250, max(len(k) for k in metrics)
batches = [q["body"] for q in requests if q["path"].endswith("runs/log-batch")]
assert len(batches) == 5, [(len(b.get("metrics", [])), len(b.get("params", []))) for b in batches]
for b in batches:
    nm, np_ = len(b.get("metrics", [])), len(b.get("params", []))
    assert nm <= 1000 and np_ <= 100 and nm + np_ <= 1000, (nm, np_)
assert r["status"] == "FINISHED", r["status"]
PY
    fail "the wide run is not as expected"
stop_agent
echo "ok"
