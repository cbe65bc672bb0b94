# `driftwatch vertex` against the fake Vertex AI: upload a model, deploy it with 100% traffic next to
# the running one, then roll back (the previous model gets 100% again, the new one is undeployed).
source "$DW_SRC/tests/lib.sh"

"$PYTHON3" "$DW_SRC/tests/fakes/vertex/fake_vertex.py" --token tok-cli >"$TMP/vx.port" &
PIDS+=($!)
for _ in $(seq 100); do grep -q '^PORT ' "$TMP/vx.port" 2>/dev/null && break; sleep 0.05; done
VX="http://127.0.0.1:$(awk '/^PORT/ {print $2}' "$TMP/vx.port")"
"$DW_BIN" baseline --data "$DW_SRC/examples/data/train.csv" --out "$TMP/B.json" 2>/dev/null
curl -fsS -X POST -H 'Content-Type: application/json' "$VX/_fake/endpoints" \
    -d '{"id": "ep1", "displayName": "fraud", "deployedModels": [{"id": "111", "model": "projects/p/locations/l/models/old"}], "trafficSplit": {"111": 100}}' >/dev/null

cat >"$TMP/dw.yaml" <<YAML
agent: {state_dir: $TMP/state}
models:
  - name: fraud
    baseline: $TMP/B.json
    on_drift:
      retrain: {plugin: vertex, project: p, location: l, api_endpoint: "$VX", access_token: tok-cli,
                template_uri: "https://europe-west4-kfp.pkg.dev/p/pipes/r/v1", gcs_output_directory: "gs://b/r",
                operation_poll_interval: 50ms, operation_poll_max_interval: 100ms}
YAML
dwv() { "$DW_BIN" vertex "$@" -c "$TMP/dw.yaml" 2>"$TMP/err"; }

dwv upload_model --param display_name=fraud-v2 --param image_uri=europe-docker.pkg.dev/p/r/serve:2 \
    --param artifact_uri=gs://b/model/v2 >"$TMP/upload.json" || fail "upload: $(cat "$TMP/err")"
MODEL=$("$PYTHON3" -c 'import json,sys; print(json.load(open(sys.argv[1]))["model"])' "$TMP/upload.json")
case "$MODEL" in projects/p/locations/l/models/*) ;; *) fail "upload answered $(cat "$TMP/upload.json")" ;; esac

dwv deploy --param endpoint=ep1 --param model="$MODEL" --param traffic_percent=100 >"$TMP/deploy.json" ||
    fail "deploy: $(cat "$TMP/err")"
"$PYTHON3" - "$TMP/deploy.json" <<'PY' || fail "deploy answered $(cat "$TMP/deploy.json")"
import json, sys
d = json.load(open(sys.argv[1]))
split = d["trafficSplit"]
assert split[d["deployedModelId"]] == 100 and split.get("111", 0) == 0, d
PY

dwv rollback --param endpoint=ep1 >"$TMP/rollback.json" || fail "rollback: $(cat "$TMP/err")"
"$PYTHON3" - "$TMP/rollback.json" <<'PY' || fail "rollback answered $(cat "$TMP/rollback.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["restoredModelId"] == "111" and r["trafficSplit"] == {"111": 100}, r
PY
curl -fsS "$VX/v1/projects/p/locations/l/endpoints/ep1" -H 'Authorization: Bearer tok-cli' >"$TMP/ep.json"
"$PYTHON3" -c 'import json,sys; e=json.load(open(sys.argv[1])); ids=[m["id"] for m in e["deployedModels"]]; assert ids == ["111"], e' \
    "$TMP/ep.json" || fail "the endpoint after rollback: $(cat "$TMP/ep.json")"

# Errors name what failed; usage errors exit 2.
rc=0; dwv deploy --param endpoint=nope --param model="$MODEL" >/dev/null || rc=$?
[ "$rc" -eq 1 ] && grep -q "NOT_FOUND" "$TMP/err" || fail "deploy to a missing endpoint: rc=$rc $(cat "$TMP/err")"
rc=0; "$DW_BIN" vertex deploy 2>"$TMP/err" || rc=$?
[ "$rc" -eq 2 ] || fail "missing -c: rc=$rc"
grep -q "tok-cli" "$TMP/err" && fail "the token appeared in an error"
echo "ok"
