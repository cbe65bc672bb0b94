# docs/operations.md for a fleet on Vertex AI: three replicas of one model, each a `driftwatch run` with
# its own state dir, see the same shift seconds apart; the first create gets a 429, one replica is
# SIGKILLed between its streak's first drifted check and the one that fires and is restarted.
# Exactly one pipeline job: the first replica creates it, the others find it by pipelineJobs.list
# (label driftwatch-model and create_time within the cooldown, page by page) and join it. A model
# whose previous-bucket job is still within the cooldown (the bucket edge) joins that job.
source "$DW_SRC/tests/lib.sh"
source "$DW_SRC/tests/fleet/fleet_lib.sh"

fleet_data
fleet_away_from_bucket_edge
start_fake "$TMP/vx.port" "$DW_SRC/tests/fakes/vertex/fake_vertex.py" --token tok-fleet \
    --fault '{"method":"POST","path":"/pipelineJobs$","status":429,"times":1}'
VX="http://127.0.0.1:$FAKE_PORT"
# One job per page, and create_time left unapplied (a lax server): the plugin follows
# nextPageToken and checks each job's createTime itself.
curl -fsS -XPOST "$VX/_fake/config" -d '{"max_page_size": 1, "filter_ignores": ["create_time"]}' >/dev/null
NOW=$(date +%s)
BUCKET=$((NOW / FLEET_COOLDOWN_S))
seed() { # ID MODEL SECONDS-AGO
    curl -fsS -XPOST "$VX/_fake/pipeline_jobs" -d "{\"id\": \"$1\", \"labels\": {\"driftwatch-model\": \"$2\",
        \"driftwatch-key\": \"$1\"}, \"createTime\": \"$(date -u -d "@$((NOW - $3))" +%Y-%m-%dT%H:%M:%SZ)\"}" >/dev/null
}
seed "fraud-$DV12-$((BUCKET - 2))" fraud 7200 # this model's, before the cooldown: not this episode's
seed "other-$DV12-$BUCKET" other 5            # another model's
seed "edge-$DV12-$((BUCKET - 1))" edge 30     # the bucket before, 30 s ago: within the cooldown

RETRAIN="{plugin: vertex, action: pipeline, project: p, location: l, api_endpoint: \"$VX\",
                access_token: tok-fleet, template_uri: \"https://europe-west4-kfp.pkg.dev/p/pipes/r/v1\",
                gcs_output_directory: \"gs://bucket/root\", poll: false, cooldown: 1h, max_per_day: 10}"
fleet_config 1 "$RETRAIN" "$(fleet_edge_model "$RETRAIN")"
fleet_config 2 "$RETRAIN"
fleet_config 3 "$RETRAIN"
fleet_episode
cat "$TMP"/r*/log >"$TMP/all.log"
[ "$(grep -c "model=fraud retrain triggered" "$TMP/all.log")" -eq 1 ] || fail "not exactly one replica triggered"
[ "$(grep -c "model=fraud retrain joined" "$TMP/all.log")" -eq 2 ] || fail "not two replicas joined"
JOB=$(grep -o "model=fraud retrain triggered:.* job=[^ ]*" "$TMP/all.log" | sed 's/.* job=//')
case "$JOB" in projects/p/locations/l/pipelineJobs/fraud-*) ;; *) fail "triggered job '$JOB'";; esac
for i in 2 3; do
    grep -q "model=fraud retrain joined:.* job=$JOB " "$TMP/r$i/log" || fail "replica $i did not name job $JOB"
    expect_contains "$TMP/r$i/log" "vertex: pipeline job $JOB of model fraud was created at"
done
[ "$JOB" = "projects/p/locations/l/pipelineJobs/$(fleet_logged_key 1)" ] ||
    fail "job $JOB is not named for the fleet's key $(fleet_logged_key 1)"

metric() { curl -fsS "http://127.0.0.1:${PORT[$1]}/metrics" | grep -F "$2" || true; }
[ -n "$(metric 1 'driftwatch_retrain_triggers_total{model="fraud",trainer="vertex",result="triggered"} 1')" ] ||
    fail "replica 1: no triggered count"
for i in 2 3; do
    [ -n "$(metric "$i" 'driftwatch_retrain_triggers_total{model="fraud",trainer="vertex",result="joined"} 1')" ] ||
        fail "replica $i: no joined count"
done

curl -fsS "$VX/_fake/state" >"$TMP/state.json"
curl -fsS "$VX/_fake/requests" >"$TMP/requests.json"
"$PYTHON3" - "$TMP/state.json" "$TMP/requests.json" "$JOB" <<'PY' || fail "Vertex saw more than one job of the episode"
import json, sys, urllib.parse
state, reqs, job = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
jobs = state["pipeline_jobs"]
fraud = [n for n, j in jobs.items() if j["labels"]["driftwatch-model"] == "fraud"]
assert len(jobs) == 4 and len(fraud) == 2 and job in fraud, sorted(jobs)
creates = [r for r in reqs if r["method"] == "POST" and r["path"].endswith("/pipelineJobs")]
ids = {urllib.parse.parse_qs(r["query"])["pipelineJobId"][0] for r in creates}
assert len(creates) == 2 and ids == {job.rsplit("/", 1)[1]}, (len(creates), ids)  # the 429, then the job
lists = [urllib.parse.parse_qs(r["query"]) for r in reqs if r["method"] == "GET" and r["path"].endswith("/pipelineJobs")]
flt = lists[0]["filter"][0]
assert flt.startswith('labels.driftwatch-model="fraud" AND create_time>"') and flt.endswith('Z"'), flt
assert any("pageToken" in q for q in lists), "the lookup never followed nextPageToken"
PY

# The bucket edge: model edge's episode starts in this bucket, but the job of the bucket before is
# 30 s old, within the cooldown: replica 1 joins it rather than starting a second one.
fleet_push 1 "$TMP/d1.json" 1 edge
fleet_push 1 "$TMP/d2.json" 2 edge
fleet_wait_retrain 1 edge
grep -q "model=edge retrain joined:.* job=projects/p/locations/l/pipelineJobs/edge-$DV12-$((BUCKET - 1)) " \
    "$TMP/r1/log" || { cat "$TMP/r1/log" >&2; fail "model edge did not join the job of the bucket before"; }
curl -fsS "$VX/_fake/requests" | "$PYTHON3" -c '
import json, sys
posts = [r for r in json.load(sys.stdin) if r["method"] == "POST" and "pipelineJobId=edge" in r["query"]]
sys.exit(1 if posts else 0)' || fail "a job was created for model edge"

grep -q "tok-fleet" "$TMP"/r*/log && fail "the access token appeared in a log"
echo "ok"
