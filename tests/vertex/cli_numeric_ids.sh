# `driftwatch vertex` with the ids Vertex gives (19-digit numbers, one beyond INT64_MAX) passed as
# the README writes them (--param endpoint=DIGITS), a config without a vertex retrain entry
# (--option), a 503 on deployModel retried, and an unknown param refused by name before any request.
source "$DW_SRC/tests/lib.sh"

"$PYTHON3" "$DW_SRC/tests/fakes/vertex/fake_vertex.py" --token tok-num >"$TMP/vx.port" &
PIDS+=($!)
for _ in $(seq 100); do grep -q '^PORT ' "$TMP/vx.port" 2>/dev/null && break; sleep 0.05; done
VX="http://127.0.0.1:$(awk '/^PORT/ {print $2}' "$TMP/vx.port")"
EP=9223372036854775808
MODEL=4242424242424242424
curl -fsS -X POST "$VX/_fake/models" -d "{\"id\": \"$MODEL\", \"displayName\": \"fraud-v2\"}" >/dev/null
curl -fsS -X POST "$VX/_fake/models" -d '{"id": "1000000000000000111", "displayName": "fraud-v1"}' >/dev/null
curl -fsS -X POST "$VX/_fake/endpoints" -d "{\"id\": \"$EP\", \"deployedModels\": [{\"id\": \"111\",
    \"model\": \"projects/p/locations/l/models/1000000000000000111\", \"createTime\": \"2024-04-01T10:00:00Z\"}],
    \"trafficSplit\": {\"111\": 100}}" >/dev/null
curl -fsS -X POST "$VX/_fake/faults" -d '{"faults": [{"method": "POST", "path": ":deployModel$", "status": 503}]}' >/dev/null
"$DW_BIN" baseline --data "$DW_SRC/examples/data/train.csv" --out "$TMP/B.json" 2>/dev/null

# No retrain entry at all: the plugin's options come from --option.
cat >"$TMP/dw.yaml" <<YAML
agent: {state_dir: $TMP/state}
models:
  - {name: fraud, baseline: $TMP/B.json}
YAML
dwv() {
    "$DW_BIN" vertex "$@" -c "$TMP/dw.yaml" --option project=p --option location=l --option "api_endpoint=$VX" \
        --option access_token=tok-num --option retry_delay=10ms --option operation_poll_interval=20ms 2>"$TMP/err"
}

dwv deploy --param endpoint=$EP --param model=$MODEL --param traffic_percent=10 >"$TMP/deploy.json" ||
    fail "deploy: $(cat "$TMP/err")"
"$PYTHON3" - "$TMP/deploy.json" "$EP" <<'PY' || fail "deploy answered $(cat "$TMP/deploy.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["endpoint"] == "projects/p/locations/l/endpoints/" + sys.argv[2], d
assert len(d["deployedModelId"]) == 19 and int(d["deployedModelId"]) > 2**63 - 1, d
assert d["trafficSplit"] == {d["deployedModelId"]: 10, "111": 90}, d
PY
NEW=$("$PYTHON3" -c 'import json,sys; print(json.load(open(sys.argv[1]))["deployedModelId"])' "$TMP/deploy.json")
curl -fsS "$VX/_fake/requests" >"$TMP/reqs.json"
"$PYTHON3" - "$TMP/reqs.json" <<'PY' || fail "deployModel requests: $(cat "$TMP/reqs.json")"
import json, sys
posts = [r for r in json.load(open(sys.argv[1])) if r["method"] == "POST" and r["path"].endswith(":deployModel")]
assert len(posts) == 2, posts                       # the 503, then the one that deployed
assert posts[1]["body"]["deployedModel"]["displayName"] == "fraud-v2", posts[1]
PY

# rollback with a numeric deployed_model_id and to: the named model goes, 111 gets 100 %.
dwv rollback --param endpoint=$EP --param deployed_model_id=$NEW --param to=111 >"$TMP/rollback.json" ||
    fail "rollback: $(cat "$TMP/err")"
"$PYTHON3" - "$TMP/rollback.json" "$NEW" <<'PY' || fail "rollback answered $(cat "$TMP/rollback.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["undeployedModelId"] == sys.argv[2] and r["restoredModelId"] == "111", r
assert r["trafficSplit"] == {"111": 100}, r
PY

# get_job with a numeric id is a custom job (404 here, but looked up, not "params need job").
rc=0; dwv get_job --param job=1000000000000000077 >/dev/null || rc=$?
[ "$rc" -eq 1 ] && grep -q "customJobs.get projects/p/locations/l/customJobs/1000000000000000077" "$TMP/err" ||
    fail "get_job: rc=$rc $(cat "$TMP/err")"

# An unknown param is named, and nothing is sent.
n0=$(curl -fsS "$VX/_fake/requests" | "$PYTHON3" -c 'import json,sys; print(len(json.load(sys.stdin)))')
rc=0; dwv rollback --param endpoint=$EP --param deployed_model=$NEW >/dev/null || rc=$?
[ "$rc" -eq 1 ] && grep -q 'unknown param "deployed_model"' "$TMP/err" || fail "unknown param: rc=$rc $(cat "$TMP/err")"
n1=$(curl -fsS "$VX/_fake/requests" | "$PYTHON3" -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$n0" = "$n1" ] || fail "a refused action still sent $((n1 - n0)) request(s)"
grep -q "tok-num" "$TMP/err" && fail "the token appeared in an error"
echo "ok"
