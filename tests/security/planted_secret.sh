# Every secret the agent can hold gets a distinctive planted value; the agent is driven through
# success and error paths (wrong and missing tokens, unreachable and failing sinks, failing and
# succeeding triggers, checks, reports, a reload, config errors, debug logging) and every output is
# searched for the planted values and their base64 forms. The receivers are also checked to have
# got them, so the test proves the secrets were in use, not merely absent.
source "$DW_SRC/tests/lib.sh"
cd "$TMP"
OUT=$TMP/out # every output of driftwatch goes under here; searched at the end
mkdir -p "$OUT" state

S="$$x$RANDOM"
P_AUTH_ENV=plantAuthEnv${S}Q       # agent.auth_token from ${ENV}
P_AUTH_FILE=plantAuthFile${S}Q     # agent.auth_token_file, after a SIGHUP reload
P_AM_BAD=plantAmBad${S}Q           # alertmanager bearer_token, sink unreachable
P_AM_OK=plantAmOk${S}Q             # alertmanager bearer_token_file, sink reachable
P_AM_URLPW=plantAmUrlPw${S}Q       # a password in alertmanager URLs (userinfo; one unreachable)
P_SLACK=plantSlack${S}Q            # the credential path of a Slack incoming-webhook URL
P_WH=plantWhHmac${S}Q              # webhook sink HMAC secret
P_WH_URL=plantWhQuery${S}Q         # a token in the webhook URL's query
P_WHT=plantWhTrigger${S}Q          # webhook retrain trigger HMAC secret (its receiver fails)
P_KFP=plantKfp${S}Q                # kfp bearer token
P_VX_AT=plantVertexAt${S}Q         # vertex access_token (a second model)
SECRETS=("$P_AUTH_ENV" "$P_AUTH_FILE" "$P_AM_BAD" "$P_AM_OK" "$P_AM_URLPW" "$P_SLACK" "$P_WH" "$P_WH_URL"
         "$P_WHT" "$P_KFP" "$P_VX_AT")

# A service-account key made for this run: its key body and the access tokens it is exchanged for
# (ya29.fake-sa-N from the fake token endpoint) are secrets too.
openssl genrsa -out sa.pem 2048 2>/dev/null || fail "openssl genrsa"
openssl rsa -in sa.pem -pubout -out sa.pub.pem 2>/dev/null || fail "openssl rsa -pubout"

"$PYTHON3" - <<'PY'
import json, random
rnd = random.Random(5)
with open("train.csv", "w") as f:
    f.write("x,y\n")
    for _ in range(400):
        f.write("%.4f,%.4f\n" % (rnd.gauss(0, 1), rnd.gauss(10, 2)))
json.dump([{"x": rnd.gauss(4, 1), "y": rnd.gauss(20, 2)} for _ in range(200)], open("drifted.json", "w"))
with open("drifted.csv", "w") as f:
    f.write("x,y\n")
    for _ in range(200):
        f.write("%.4f,%.4f\n" % (rnd.gauss(4, 1), rnd.gauss(20, 2)))
open("big.json", "w").write("[" + ",".join(['{"x": 1.0, "y": 2.0}'] * 5000) + "]")
PY
"$DW_BIN" baseline --data train.csv --out B.json 2>"$OUT/baseline.log" || { cat "$OUT/baseline.log" >&2; fail "baseline"; }

# Starts a fake server in the background (not in a $(...) subshell, so its pid reaches PIDS and
# the exit trap stops it); its port is left in FAKE_PORT.
start_fake() { # port-file command...
    local out=$1
    shift
    "$@" >"$out" 2>"$out.err" &
    PIDS+=("$!")
    for _ in $(seq 200); do grep -q 'PORT ' "$out" 2>/dev/null && break; sleep 0.05; done
    grep -q 'PORT ' "$out" || { cat "$out.err" >&2; fail "$2 did not start"; }
    FAKE_PORT=$(awk '/PORT/ {print $2}' "$out")
}
start_fake md.port "$PYTHON3" "$DW_SRC/tests/fakes/metadata/fake_metadata.py" --public-key sa.pub.pem \
    --private-key sa.pem --key-file-out sa.json
chmod 600 sa.json
vx_tokens=(--token "$P_VX_AT")
for i in $(seq 20); do vx_tokens+=(--token "ya29.fake-sa-$i"); done
# The first create on each server fails with an error that echoes the caller's token, as careless
# servers do: the plugins report the server's message, and the logger must redact it.
start_fake vx.port "$PYTHON3" "$DW_SRC/tests/fakes/vertex/fake_vertex.py" "${vx_tokens[@]}" --fault \
    "{\"method\": \"POST\", \"path\": \"/pipelineJobs$\", \"status\": 503, \"message\": \"overloaded, token $P_VX_AT\"}"
VX_PORT=$FAKE_PORT
start_fake kfp.port "$PYTHON3" "$DW_SRC/tests/triggers/fake_kfp.py" 0
KFP_PORT=$FAKE_PORT
curl -fsS -X POST -d "{\"tokens\": [\"$P_KFP\"]}" "http://127.0.0.1:$KFP_PORT/_fake/config" >/dev/null
curl -fsS -X POST -d "{\"faults\": [{\"method\": \"POST\", \"path\": \"/runs$\", \"status\": 500,
    \"message\": \"backend down for Bearer $P_KFP\"}]}" "http://127.0.0.1:$KFP_PORT/_fake/faults" >/dev/null
"$PYTHON3" "$DW_SRC/tests/alerts/receiver.py" --port-file rx.port >rx.log 2>&1 &
PIDS+=("$!")
for _ in $(seq 200); do [ -s rx.port ] && break; sleep 0.05; done
RX_PORT=$(cat rx.port)
[ -n "$RX_PORT" ] || fail "receiver did not start"
CLOSED=$(free_port) # nothing listens there: the unreachable sink
PORT=$(free_port)
BASE=http://127.0.0.1:$PORT

printf '%s\n' "$P_AM_OK" >am_ok.token
printf '%s\n' "$P_AUTH_FILE" >auth.token
chmod 600 am_ok.token auth.token

write_config() { # auth-line
    cat >dw.yaml <<YAML
agent:
  listen: 127.0.0.1:$PORT
  state_dir: $TMP/state
  $1
  max_body: 64K
  log: {level: debug}
models:
  - name: mvx
    baseline: B.json
    window: {size: 1000}
    probes: [{plugin: push, model: mvx}]
    on_drift:
      consecutive: 1
      alerts: [am_bad, am_ok, am_pw, slack, wh]
      retrain: {plugin: vertex, action: pipeline, project: p, location: l, api_endpoint: "http://127.0.0.1:$VX_PORT",
                credentials_file: $TMP/sa.json, template_uri: "https://europe-west4-kfp.pkg.dev/p/pipes/retrain/v1",
                gcs_output_directory: "gs://bucket/root", poll_interval: 100ms, poll_max_interval: 200ms}
  - name: mvxat
    baseline: B.json
    window: {size: 1000}
    probes: [{plugin: push, name: push_at, model: mvxat}]
    on_drift:
      consecutive: 1
      retrain: {plugin: vertex, name: vertex_at, action: pipeline, project: p, location: l,
                api_endpoint: "http://127.0.0.1:$VX_PORT", access_token: $P_VX_AT,
                template_uri: "https://europe-west4-kfp.pkg.dev/p/pipes/retrain/v1",
                gcs_output_directory: "gs://bucket/root", poll_interval: 100ms, poll_max_interval: 200ms}
  - name: mkfp
    baseline: B.json
    window: {size: 1000}
    probes: [{plugin: push, name: push_kfp, model: mkfp}]
    on_drift:
      consecutive: 1
      retrain: {plugin: kfp, host: "http://127.0.0.1:$KFP_PORT", pipeline_id: p1, token: $P_KFP, poll_interval: 100ms}
  - name: mwht
    baseline: B.json
    window: {size: 1000}
    probes: [{plugin: push, name: push_wht, model: mwht}]
    on_drift:
      consecutive: 1
      retrain: {plugin: webhook, name: wh_trigger, url: "http://127.0.0.1:$RX_PORT/status/500/always/retrain",
                secret: $P_WHT, max_attempts: 2, deadline: 5s}
alerts:
  - {name: am_bad, plugin: alertmanager, url: "http://dw:$P_AM_URLPW@127.0.0.1:$CLOSED", bearer_token: $P_AM_BAD,
     max_attempts: 2, deadline: 3s, timeout: 1s}
  - {name: am_ok, plugin: alertmanager, url: "http://127.0.0.1:$RX_PORT/am", bearer_token_file: $TMP/am_ok.token}
  - {name: am_pw, plugin: alertmanager, url: "http://dw:$P_AM_URLPW@127.0.0.1:$RX_PORT/ampw"}
  - {name: slack, plugin: slack, url: "http://127.0.0.1:$RX_PORT/services/T000/B000/$P_SLACK"}
  - {name: wh, plugin: webhook, url: "http://127.0.0.1:$RX_PORT/hook?token=$P_WH_URL", secret: $P_WH}
YAML
}

# --- CLI: plugins, validate (ok and with errors next to the secrets) -------------------------------
"$DW_BIN" plugins >"$OUT/plugins.out" 2>&1 || fail "plugins"
write_config 'auth_token: ${DW_PLANT_TOKEN}'
DW_PLANT_TOKEN=$P_AUTH_ENV "$DW_BIN" validate -c "$TMP/dw.yaml" >"$OUT/validate-ok.out" 2>&1 ||
    { cat "$OUT/validate-ok.out" >&2; fail "validate of the full config"; }
cp dw.yaml good.yaml
bad_validate() { # name sed-expression
    sed "$2" good.yaml >"bad-$1.yaml"
    local rc=0
    DW_PLANT_TOKEN=$P_AUTH_ENV "$DW_BIN" validate -c "$TMP/bad-$1.yaml" >"$OUT/validate-$1.out" 2>&1 || rc=$?
    [ "$rc" = 1 ] || { cat "$OUT/validate-$1.out" >&2; fail "validate bad-$1: exit $rc, expected 1"; }
}
bad_validate unknown_option "s/bearer_token: $P_AM_BAD,/bearer_token: $P_AM_BAD, bogus: 1,/"
bad_validate secret_as_list "s/bearer_token: $P_AM_BAD,/bearer_token: [$P_AM_BAD],/"
bad_validate yaml_syntax "s/bearer_token: $P_AM_BAD,/bearer_token: \"$P_AM_BAD,/"
bad_validate bad_listen "s/listen: 127.0.0.1:$PORT/listen: nowhere/; s/auth_token: .*/auth_token: $P_AUTH_ENV/"
bad_validate kfp_bad_option "s/token: $P_KFP,/token: $P_KFP, timeout: never,/"
bad_validate missing_key_file "s#credentials_file: $TMP/sa.json#credentials_file: $TMP/none.json#"
bad_validate vertex_bad_option "s/access_token: $P_VX_AT,/access_token: $P_VX_AT, acces_token: x,/"
bad_validate secret_file_missing "s#bearer_token_file: $TMP/am_ok.token#bearer_token_file: $TMP/none.token#"
expect_contains "$OUT/validate-unknown_option.out" "unknown option 'bogus'"

# --- the agent, auth_token from the environment ------------------------------------------------
DW_PLANT_TOKEN=$P_AUTH_ENV "$DW_BIN" run -c "$TMP/dw.yaml" 2>"$OUT/run.log" &
PID=$!
PIDS+=("$PID")
for _ in $(seq 150); do
    curl -fsS -o /dev/null "$BASE/healthz" 2>/dev/null && break
    kill -0 "$PID" 2>/dev/null || { cat "$OUT/run.log" >&2; fail "the agent exited at start"; }
    sleep 0.1
done

req() { # name expected-status curl-args...: the body goes to $OUT/name.body
    local name=$1 want=$2
    shift 2
    local code
    code=$(curl -sS -o "$OUT/$name.body" -w '%{http_code}' "$@") || fail "$name: curl failed"
    [ "$code" = "$want" ] || { cat "$OUT/$name.body" >&2; fail "$name: HTTP $code, expected $want"; }
}
J=(-H 'Content-Type: application/json')
req no_token 401 "${J[@]}" --data-binary @drifted.json "$BASE/v1/models/mvx/samples"
req wrong_token 403 "${J[@]}" -H "Authorization: Bearer ${P_AUTH_ENV}x" --data-binary @drifted.json "$BASE/v1/models/mvx/samples"
req wrong_scheme 401 "${J[@]}" -H "Authorization: Basic $P_AUTH_ENV" --data-binary @drifted.json "$BASE/v1/models/mvx/samples"
AUTH=(-H "Authorization: Bearer $P_AUTH_ENV")
req too_large 413 "${J[@]}" "${AUTH[@]}" --data-binary @big.json "$BASE/v1/models/mvx/samples"
req bad_json 400 "${J[@]}" "${AUTH[@]}" --data-binary '{"x": ' "$BASE/v1/models/mvx/samples"
req unknown_model 404 "${J[@]}" "${AUTH[@]}" --data-binary @drifted.json "$BASE/v1/models/nope/samples"
req bad_type 415 -H 'Content-Type: text/plain' "${AUTH[@]}" --data-binary @drifted.json "$BASE/v1/models/mvx/samples"
req not_allowed 405 -X POST "${AUTH[@]}" "$BASE/metrics"
req no_verdict_yet 404 "$BASE/v1/models/mkfp/drift"
for m in mvx mvxat mkfp mwht; do
    req "push-$m" 202 "${J[@]}" "${AUTH[@]}" --data-binary @drifted.json "$BASE/v1/models/$m/samples"
    for _ in $(seq 100); do
        curl -fsS "$BASE/metrics" >"$OUT/metrics-wait" && grep -q "driftwatch_window_samples{model=\"$m\"} 200" "$OUT/metrics-wait" && break
        sleep 0.1
    done
    req "check-$m" 200 -X POST "${AUTH[@]}" "$BASE/v1/models/$m/check"
    expect_contains "$OUT/check-$m.body" '"dataset_drift": true'
done

# Wait for every outcome: the unreachable sink gives up, the others deliver, the triggers finish.
wait_metric() { # regex
    for _ in $(seq 300); do
        curl -fsS "$BASE/metrics" >"$OUT/metrics-poll" && grep -qE "$1" "$OUT/metrics-poll" && return 0
        sleep 0.1
    done
    grep -E 'alerts_sent|retrain_triggers|trainer_job' "$OUT/metrics-poll" >&2
    fail "timed out waiting for a metric matching $1"
}
wait_metric 'driftwatch_alerts_sent_total\{sink="am_bad",result="error"\} 1'
wait_metric 'driftwatch_alerts_sent_total\{sink="am_ok",result="ok"\} 1'
wait_metric 'driftwatch_alerts_sent_total\{sink="am_pw",result="ok"\} 1'
wait_metric 'driftwatch_alerts_sent_total\{sink="slack",result="ok"\} 1'
wait_metric 'driftwatch_alerts_sent_total\{sink="wh",result="ok"\} 1'
wait_metric 'driftwatch_retrain_triggers_total\{model="mwht",[^}]*result="error"\} 1'
wait_metric 'driftwatch_trainer_job_state\{plugin="kfp",job="[^"]*",state="SUCCEEDED"\} 1'
wait_metric 'driftwatch_trainer_jobs_finished_total\{plugin="vertex",state="PIPELINE_STATE_SUCCEEDED"\} 1'
wait_metric 'driftwatch_trainer_jobs_finished_total\{plugin="vertex_at",state="PIPELINE_STATE_SUCCEEDED"\} 1'
curl -fsS "$BASE/metrics" >"$OUT/metrics-after-actions"
for m in mvx mkfp; do
    req "drift-$m" 200 "$BASE/v1/models/$m/drift"
    req "report-$m" 200 "$BASE/v1/models/$m/report"
done

# --- reload: auth_token_file instead -------------------------------------------------------------
write_config "auth_token_file: $TMP/auth.token"
kill -HUP "$PID"
for _ in $(seq 100); do grep -q "config reloaded" "$OUT/run.log" && break; sleep 0.1; done
expect_contains "$OUT/run.log" "config reloaded"
req old_token 403 "${J[@]}" "${AUTH[@]}" --data-binary @drifted.json "$BASE/v1/models/mkfp/samples"
req new_token 202 "${J[@]}" -H "Authorization: Bearer $P_AUTH_FILE" --data-binary @drifted.json "$BASE/v1/models/mkfp/samples"
req check-after-reload 200 -X POST -H "Authorization: Bearer $P_AUTH_FILE" "$BASE/v1/models/mkfp/check"
curl -fsS "$BASE/metrics" >"$OUT/metrics-after-reload"
# A reload that fails (the token file is gone) keeps the running config and says why.
rm auth.token
kill -HUP "$PID"
for _ in $(seq 100); do grep -q "reload rejected" "$OUT/run.log" && break; sleep 0.1; done
expect_contains "$OUT/run.log" "reload rejected"
kill -TERM "$PID"
rc=0
wait "$PID" || rc=$?
[ "$rc" -eq 0 ] || fail "SIGTERM exit code $rc"

# --- one-shot commands with the same config ------------------------------------------------------
printf '%s\n' "$P_AUTH_FILE" >auth.token
for fmt in text json prom nagios; do
    "$DW_BIN" check -c "$TMP/dw.yaml" --model mvx --data drifted.csv --format "$fmt" >"$OUT/check-cli.$fmt" 2>&1 || true
done
"$DW_BIN" report --baseline B.json --data drifted.csv --out "$OUT/report.html" 2>"$OUT/report.log" ||
    fail "report"
cp -r state "$OUT/state"

# --- the secrets were in use: each receiver got its own ------------------------------------------
curl -fsS "http://127.0.0.1:$KFP_PORT/_fake/requests" >kfp.requests
curl -fsS "http://127.0.0.1:$VX_PORT/_fake/requests" >vx.requests
curl -fsS "http://127.0.0.1:$RX_PORT/_requests" >rx.requests
expect_contains kfp.requests "Bearer $P_KFP"
expect_contains vx.requests "Bearer $P_VX_AT"
expect_contains vx.requests "Bearer ya29.fake-sa-"
expect_contains rx.requests "Bearer $P_AM_OK"
expect_contains rx.requests "/services/T000/B000/$P_SLACK"
expect_contains rx.requests "token=$P_WH_URL"
"$PYTHON3" - "$P_AM_URLPW" <<'PY' || fail "the alertmanager URL's password was not sent as basic auth"
import base64, json, sys
reqs = json.load(open("rx.requests"))
want = "Basic " + base64.b64encode(("dw:" + sys.argv[1]).encode()).decode()
assert any(r["headers"].get("authorization") == want for r in reqs if r["path"].startswith("/ampw/")), reqs
PY

# --- the search ----------------------------------------------------------------------------------
"$PYTHON3" "$DW_SRC/tests/security/secret_forms.py" "${SECRETS[@]}" >forms.txt
grep -v -- '-----' sa.pem >>forms.txt              # the service-account key's body, line by line
echo "ya29.fake-sa-" >>forms.txt                   # access tokens obtained with that key
[ "$(ls "$OUT" | wc -l)" -gt 40 ] || fail "fewer outputs than expected: $(ls "$OUT")"
if grep -rnFf forms.txt "$OUT" >leaks.txt; then
    cat leaks.txt >&2
    fail "planted secrets in driftwatch's outputs (above)"
fi
# The servers' echoes did reach the logger, which hid them.
expect_contains "$OUT/run.log" '[REDACTED]'
[ "$(cat "$OUT"/validate-*.out | grep -c ':[0-9]*:[0-9]*: ')" -ge 8 ] || fail "fewer positioned validate errors than expected"
echo "ok: $(wc -l <forms.txt) forms of $((${#SECRETS[@]} + 2)) secrets searched in $(find "$OUT" -type f | wc -l) files"
