# Alertmanager, a webhook receiver and Vertex AI are down (nothing listens on their ports) while
# the drift stays, then come up. Retries stay bounded per notification, the check queue stays
# bounded (closed windows beyond it are skipped and counted), failures are logged at a decaying
# rate, each recovery is logged once, the alert arrives and exactly one pipeline job is created.
#
# Time is compressed: DW_HTTP_BACKOFF_MS=100 (production: 1 s, doubling to 60 s) and 3 attempts
# per call, and every push of 100 samples closes a window and runs a check. In production a check
# runs every few minutes (a schedule or a window's `every`): the ~20 failed checks here stand for a
# receiver down for one to two hours at a 5-minute schedule, each notification then retrying for up
# to its 60 s deadline.
source "$DW_SRC/tests/lib.sh"
export DW_HTTP_BACKOFF_MS=100 DW_HTTP_BACKOFF_MAX_MS=200

PORT=$(free_port)
AM_PORT=$(free_port)
WH_PORT=$(free_port)
VX_PORT=$(free_port)
URL="http://127.0.0.1:$PORT"
"$PYTHON3" - "$TMP" <<'PY'
import json, random, sys
tmp = sys.argv[1]
rnd = random.Random(11)
with open(tmp + "/train.csv", "w") as f:
    f.write("x,y\n")
    for _ in range(500):
        f.write("%.4f,%.4f\n" % (rnd.gauss(0, 1), rnd.gauss(10, 2)))
with open(tmp + "/drifted.json", "w") as f:  # x shifted by 4 sd, y by 5 sd: every check drifts
    json.dump([{"x": rnd.gauss(4, 1), "y": rnd.gauss(20, 2)} for _ in range(100)], f)
PY
"$DW_BIN" baseline --data "$TMP/train.csv" --out "$TMP/B.json" 2>/dev/null || fail "baseline"

LIMITS="max_attempts: 3, timeout: 2s, deadline: 10s"
cat >"$TMP/dw.yaml" <<YAML
agent: {listen: 127.0.0.1:$PORT, state_dir: $TMP/state}
models:
  - name: fraud
    baseline: $TMP/B.json
    window: {size: 100}
    probes: [{plugin: push, model: fraud}]
    on_drift:
      consecutive: 1
      alerts: [am, wh]
      retrain: {plugin: vertex, action: pipeline, project: p, location: l, api_endpoint: "http://127.0.0.1:$VX_PORT",
                access_token: tok-sink-down, template_uri: "https://europe-west4-kfp.pkg.dev/p/pipes/r/v1",
                gcs_output_directory: "gs://bucket/root", poll: false, cooldown: 1s, max_per_day: 10, $LIMITS}
alerts:
  - {name: am, plugin: alertmanager, url: "http://127.0.0.1:$AM_PORT", $LIMITS}
  - {name: wh, plugin: webhook, url: "http://127.0.0.1:$WH_PORT/hook", secret: s3cret, $LIMITS}
YAML
"$DW_BIN" run -c "$TMP/dw.yaml" 2>>"$TMP/log" &
PIDS+=($!)
wait_http "$URL/readyz" 30

push() {
    curl -fsS -H 'Content-Type: application/json' --data-binary @"$TMP/drifted.json" \
        "$URL/v1/models/fraud/samples" >/dev/null || fail "push"
}
# metric NAME_AND_LABELS: its value on /metrics (0 when absent).
metric() {
    curl -fsS "$URL/metrics" >"$TMP/metrics" || fail "/metrics"
    awk -v k="$1" '$1 == k {print $2; found=1} END {if (!found) print 0}' "$TMP/metrics"
}
checks_done() { # checks that ran or were skipped
    curl -fsS "$URL/metrics" >"$TMP/metrics" || fail "/metrics"
    awk '/^driftwatch_checks_total\{model="fraud"/ {n += $2} END {print n + 0}' "$TMP/metrics"
}
wait_checks() { # N: until N closed windows were checked or skipped
    for _ in $(seq 600); do
        [ "$(checks_done)" -ge "$1" ] && return 0
        sleep 0.1
    done
    fail "only $(checks_done) of $1 windows checked or skipped"
}

# Down: 20 drifted windows in a burst, while every notification and trigger fails.
for _ in $(seq 20); do push; done
wait_checks 20
ran=$(metric 'driftwatch_checks_total{model="fraud",result="dataset_drift"}')
skipped=$(metric 'driftwatch_checks_total{model="fraud",result="skipped"}')
echo "down: 20 windows closed, $ran checked, $skipped skipped"
[ $((ran + skipped)) -eq 20 ] || fail "checks: $ran ran + $skipped skipped != 20 windows"
# The worker runs one check and 4 wait (model.c MAX_PENDING_JOBS): a burst of 20 cannot all wait.
[ "$skipped" -ge 1 ] || fail "no window was skipped: the check queue did not bound the burst"
[ "$(metric 'driftwatch_alerts_sent_total{sink="am",result="error"}')" = "$ran" ] || fail "am errors != checks"
[ "$(metric 'driftwatch_alerts_sent_total{sink="wh",result="error"}')" = "$ran" ] || fail "wh errors != checks"
[ "$(metric 'driftwatch_retrain_triggers_total{model="fraud",trainer="vertex",result="error"}')" = "$ran" ] ||
    fail "trigger errors != checks"
# Each failure gave up after its 3 attempts, and failures in a row are logged the 1st, 2nd, 4th,
# 8th ... time: floor(log2(ran)) + 1 lines per sink, not one per check.
want_lines=$("$PYTHON3" -c "import sys; print(int(sys.argv[1]).bit_length())" "$ran")
for s in am wh; do
    grep "alert sink $s failed" "$TMP/log" >"$TMP/fail.$s" || true
    [ "$(wc -l <"$TMP/fail.$s")" -eq "$want_lines" ] || { cat "$TMP/fail.$s"; fail "sink $s: want $want_lines failure lines"; }
    [ "$(grep -c 'after 3 attempts' "$TMP/fail.$s")" -eq "$want_lines" ] || { cat "$TMP/fail.$s"; fail "sink $s: not 3 attempts"; }
done
grep "retrain trigger failed" "$TMP/log" >"$TMP/fail.vx" || true
[ "$(wc -l <"$TMP/fail.vx")" -eq "$want_lines" ] || { cat "$TMP/fail.vx"; fail "vertex: want $want_lines failure lines"; }

# Up: the receivers and Vertex start on the ports the agent was given.
"$PYTHON3" "$DW_SRC/tests/alerts/receiver.py" --port "$AM_PORT" --port-file "$TMP/am.port" &
PIDS+=($!)
"$PYTHON3" "$DW_SRC/tests/alerts/receiver.py" --port "$WH_PORT" --port-file "$TMP/wh.port" &
PIDS+=($!)
"$PYTHON3" "$DW_SRC/tests/fakes/vertex/fake_vertex.py" --port "$VX_PORT" --token tok-sink-down >"$TMP/vx.port" &
PIDS+=($!)
for f in am.port wh.port; do
    for _ in $(seq 100); do [ -s "$TMP/$f" ] && break; sleep 0.05; done
done
for _ in $(seq 100); do grep -q '^PORT ' "$TMP/vx.port" 2>/dev/null && break; sleep 0.05; done
wait_http "http://127.0.0.1:$AM_PORT/_requests"
wait_http "http://127.0.0.1:$VX_PORT/_fake/requests"

# The drift stays: three more windows, each checked (pushed one at a time).
for n in 21 22 23; do
    push
    wait_checks "$n"
done
for s in am wh; do
    [ "$(grep -c "alert sink $s delivered again after $ran failed notification(s)" "$TMP/log")" -eq 1 ] ||
        { grep "sink $s" "$TMP/log"; fail "sink $s: recovery not logged exactly once"; }
done
[ "$(grep -c "retrain trigger succeeded again after $ran failure(s)" "$TMP/log")" -eq 1 ] ||
    fail "vertex: recovery not logged exactly once"
[ "$(metric 'driftwatch_alerts_sent_total{sink="am",result="ok"}')" = 3 ] || fail "am: not 3 deliveries"
curl -fsS "http://127.0.0.1:$AM_PORT/_requests?prefix=/api/v2/alerts" >"$TMP/am.json"
curl -fsS "http://127.0.0.1:$WH_PORT/_requests?prefix=/hook" >"$TMP/wh.json"
"$PYTHON3" - "$TMP" <<'PY' || fail "alerts received"
import json, sys
tmp = sys.argv[1]
am = json.load(open(tmp + "/am.json"))
assert len(am) == 3, "alertmanager got %d requests, want 3 (one per check once up)" % len(am)
alerts = json.loads(am[0]["body"])
assert any(a["labels"]["model"] == "fraud" and "endsAt" not in a for a in alerts), alerts
wh = json.load(open(tmp + "/wh.json"))
# The webhook sink delivers once per transition (repeats are skipped by design): the firing alert
# that failed 'ran' times, once.
assert len(wh) == 1, "webhook got %d requests, want 1" % len(wh)
assert json.loads(wh[0]["body"])["model"] == "fraud", wh[0]["body"]
PY
curl -fsS "http://127.0.0.1:$VX_PORT/_fake/requests" | "$PYTHON3" -c '
import json, sys
reqs = [r for r in json.load(sys.stdin) if r["method"] == "POST" and r["path"].endswith("/pipelineJobs")]
ids = {r["query"].split("pipelineJobId=", 1)[1] for r in reqs}
print(len(reqs), len(ids))' >"$TMP/creates"
read -r posts ids <"$TMP/creates"
[ "$posts" -eq 1 ] && [ "$ids" -eq 1 ] || fail "vertex: $posts creates of $ids job ids (want exactly 1 job)"
[ "$(grep -c "retrain triggered: trainer=vertex" "$TMP/log")" -eq 1 ] || fail "not exactly one retrain triggered"
echo "ok"
