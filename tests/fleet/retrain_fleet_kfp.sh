# docs/operations.md for a fleet on Kubeflow Pipelines: three replicas of one model, each a `driftwatch
# run` with its own state dir, see the same shift seconds apart; the first CreateRun gets a 429, one
# replica is SIGKILLed between its streak's first drifted check and the one that fires and is
# restarted. Exactly one run: the first replica creates driftwatch-<key>, the others find it by
# ListRuns (display name holding "driftwatch-fraud-", created within the cooldown, page by page)
# and join it; a run of model fraud-v2, whose name starts the same, is never adopted. A model whose
# previous-bucket run is still within the cooldown (the bucket edge) joins that run.
source "$DW_SRC/tests/lib.sh"
source "$DW_SRC/tests/fleet/fleet_lib.sh"

fleet_data
fleet_away_from_bucket_edge
start_fake "$TMP/kfp.port" "$DW_SRC/tests/triggers/fake_kfp.py" 0
KFP="http://127.0.0.1:$FAKE_PORT"
curl -fsS -XPOST "$KFP/_fake/config" -d '{"max_page_size": 1}' >/dev/null
curl -fsS -XPOST "$KFP/_fake/faults" \
    -d '{"faults": [{"method": "POST", "path": "^/apis/v2beta1/runs$", "status": 429, "times": 1}]}' >/dev/null
NOW=$(date +%s)
BUCKET=$((NOW / FLEET_COOLDOWN_S))
seed() { # DISPLAY-NAME SECONDS-AGO
    curl -fsS -XPOST "$KFP/_fake/runs" -d "{\"display_name\": \"$1\", \"state\": \"RUNNING\",
        \"created_at\": \"$(date -u -d "@$((NOW - $2))" +%Y-%m-%dT%H:%M:%SZ)\"}" >/dev/null
}
seed "driftwatch-fraud-v2-$DV12-$BUCKET" 5             # model fraud-v2: its name starts like fraud's
seed "driftwatch-fraud-$DV12-$((BUCKET - 2))" 7200    # this model's, before the cooldown
seed "driftwatch-edge-$DV12-$((BUCKET - 1))" 30       # the bucket before, 30 s ago: within the cooldown

RETRAIN="{plugin: kfp, host: \"$KFP\", pipeline_id: retrain-pipeline, poll: false, retry_delay: 50ms,
                timeout: 5s, deadline: 30s, cooldown: 1h, max_per_day: 10}"
fleet_config 1 "$RETRAIN" "$(fleet_edge_model "$RETRAIN")"
fleet_config 2 "$RETRAIN"
fleet_config 3 "$RETRAIN"
fleet_episode # replica 1: the CreateRun gets a 429, then a list, then a create
cat "$TMP"/r*/log >"$TMP/all.log"
[ "$(grep -c "model=fraud retrain triggered" "$TMP/all.log")" -eq 1 ] || fail "not exactly one replica triggered"
[ "$(grep -c "model=fraud retrain joined" "$TMP/all.log")" -eq 2 ] || fail "not two replicas joined"
RUN=$(grep -o "model=fraud retrain triggered:.* job=[^ ]*" "$TMP/all.log" | sed 's/.* job=//')
for i in 2 3; do
    grep -q "model=fraud retrain joined:.* job=$RUN " "$TMP/r$i/log" || fail "replica $i did not name run $RUN"
done
for i in 2 3; do
    # To a file first: `curl | grep -q` under pipefail fails when grep stops early (curl: SIGPIPE).
    curl -fsS "http://127.0.0.1:${PORT[$i]}/metrics" >"$TMP/metrics$i.txt"
    grep -qF 'driftwatch_retrain_triggers_total{model="fraud",trainer="kfp",result="joined"} 1' "$TMP/metrics$i.txt" ||
        fail "replica $i: no joined count"
done

curl -fsS "$KFP/_fake/runs" >"$TMP/runs.json"
curl -fsS "$KFP/_fake/requests" >"$TMP/requests.json"
"$PYTHON3" - "$TMP/runs.json" "$TMP/requests.json" "$RUN" "$(fleet_logged_key 1)" "$FLEET_KEYS" <<'PY' ||
import json, sys
runs, reqs, run_id, key, nkeys = (json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3],
                                  sys.argv[4], int(sys.argv[5]))
fraud = [r for r in runs if r["display_name"].startswith("driftwatch-fraud-") and
         not r["display_name"].startswith("driftwatch-fraud-v2-")]
assert len(runs) == 4 and len(fraud) == 2, [r["display_name"] for r in runs]
made = [r for r in fraud if r["run_id"] == run_id]
assert len(made) == 1, (run_id, fraud)
assert nkeys != 1 or made[0]["display_name"] == "driftwatch-" + key, (made, key)
creates = [r for r in reqs if r["method"] == "POST"]
assert len(creates) == 2 and {c["body"]["display_name"] for c in creates} == {made[0]["display_name"]}, creates
lists = [r["params"] for r in reqs if r["method"] == "GET" and r["path"] == "/apis/v2beta1/runs"]
flt = json.loads(lists[0]["filter"])["predicates"]
assert flt[0] == {"key": "display_name", "operation": "IS_SUBSTRING", "string_value": "driftwatch-fraud-"}, flt
assert flt[1]["key"] == "created_at" and flt[1]["operation"] == "GREATER_THAN", flt
assert any("page_token" in q for q in lists), "the lookup never followed next_page_token"
PY
    fail "KFP saw more than one run of the episode"

fleet_push 1 "$TMP/d1.json" 1 edge
fleet_push 1 "$TMP/d2.json" 2 edge
fleet_wait_retrain 1 edge
grep -q "model=edge retrain joined:" "$TMP/r1/log" || { cat "$TMP/r1/log" >&2; fail "model edge did not join"; }
expect_contains "$TMP/r1/log" "(driftwatch-edge-$DV12-$((BUCKET - 1))) of model edge was created at"
curl -fsS "$KFP/_fake/requests" | "$PYTHON3" -c '
import json, sys
posts = [r for r in json.load(sys.stdin) if r["method"] == "POST" and "edge" in r["body"]["display_name"]]
sys.exit(1 if posts else 0)' || fail "a run was created for model edge"
echo "ok"
