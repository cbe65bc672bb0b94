#!/usr/bin/env bash
# The example configs do what their comments say when the agent runs them (ports moved to free
# loopback ones, paths into a temp dir):
#  - examples/k8s/sidecar.yaml's ConfigMap: predict calls through the proxy on the listen port
#    reach the model server (examples/model_server.py) and come back unchanged, and are tapped;
#    /healthz and /readyz (the pod's probes) answer.
#  - examples/systemd/driftwatch.yaml: secrets come from $CREDENTIALS_DIRECTORY (LoadCredential=),
#    the push route wants that token, the tailed prediction log is followed, SIGHUP (ExecReload)
#    reloads, SIGTERM stops with status 0.
#  - examples/vertex/driftwatch.yaml: the canary's payload and expected answer check out against a
#    server answering like the caller's predict route, and the vertex trainer starts.
source "$DW_SRC/tests/lib.sh"
source "$DW_SRC/tests/examples/examples_lib.sh"
make_root

start_agent() { # start_agent NAME CONFIG PORT -> $AGENT
    "$DW_BIN" run -c "$2" 2>"$TMP/$1.log" &
    AGENT=$!
    PIDS+=("$AGENT")
    wait_http "http://127.0.0.1:$3/readyz" 20
}
metric() { # metric PORT SERIES -> its value, or nothing (also while a reload restarts the server)
    { curl -fsS "http://127.0.0.1:$1/metrics" 2>/dev/null || true; } | awk -v s="$2" 'index($0, s " ") == 1 { print $2 }'
}
wait_metric() { # wait_metric PORT SERIES VALUE
    local v=""
    for _ in $(seq 1 100); do
        v=$(metric "$1" "$2")
        [ "$v" = "$3" ] && return 0
        sleep 0.1
    done
    curl -fsS "http://127.0.0.1:$1/metrics" >"$TMP/metrics-$1.txt" || true
    fail "$2 is '$v', expected $3 (metrics in $TMP/metrics-$1.txt)"
}
wait_metric_at_least() { # wait_metric_at_least PORT SERIES MIN
    local v=""
    for _ in $(seq 1 100); do
        v=$(metric "$1" "$2")
        [ -n "$v" ] && awk -v v="$v" -v m="$3" 'BEGIN { exit !(v >= m) }' && return 0
        sleep 0.1
    done
    fail "$2 is '$v', expected at least $3"
}
stop_agent() { # SIGTERM, as kubelet and systemd stop it: a clean exit
    kill -TERM "$AGENT"
    wait "$AGENT" || fail "agent exited with status $? on SIGTERM"
}

# ---- k8s sidecar: proxy in front of the model server ----
MODEL_PORT=$(free_port)
"$PYTHON3" "$EX/model_server.py" "$MODEL_PORT" &
PIDS+=($!)
wait_http "http://127.0.0.1:$MODEL_PORT/health"
API=$(free_port)
PROXY=$(free_port)
k8s_config >"$TMP/k8s-configmap.yaml"
localize "$TMP/k8s-configmap.yaml" "$TMP/k8s.yaml"
sed -i -e "s#listen: 0.0.0.0:9464#listen: 127.0.0.1:$API#" -e "s#listen: 0.0.0.0:8081#listen: 127.0.0.1:$PROXY#" \
    -e "s#upstream: http://127.0.0.1:8080#upstream: http://127.0.0.1:$MODEL_PORT#" "$TMP/k8s.yaml"
grep -q "127.0.0.1:$PROXY" "$TMP/k8s.yaml" || fail "the proxy's listen address was not found in the ConfigMap"
start_agent k8s "$TMP/k8s.yaml" "$API"
[ "$(curl -fsS "http://127.0.0.1:$API/healthz")" = ok ] || fail "/healthz"
body='{"instances": [{"amount": 12.5, "age": 40, "country": "US", "device": "mobile", "hour": 14, "merchant_category": "grocery", "account_age_days": 400}, {"amount": 900, "age": 22, "country": "NG", "device": "mobile", "hour": 3, "merchant_category": "gaming", "account_age_days": 3}]}'
direct=$(curl -fsS -X POST -H 'Content-Type: application/json' -d "$body" "http://127.0.0.1:$MODEL_PORT/v1/models/fraud:predict")
proxied=$(curl -fsS -X POST -H 'Content-Type: application/json' -d "$body" "http://127.0.0.1:$PROXY/v1/models/fraud:predict")
[ "$proxied" = "$direct" ] || fail "the proxy changed the answer: '$proxied' vs '$direct'"
# At least: both the probe and the core's ingest count samples_received_total today.
wait_metric_at_least "$API" 'driftwatch_samples_received_total{model="fraud",probe="proxy"}' 2
# Samples are taken at the configured rate (sampling rate 0.2), so kept may be 0, 1 or 2.
[ -n "$(metric "$API" 'driftwatch_samples_kept_total{model="fraud"}')" ] || fail "no kept-samples counter"
# Write routes want the Secret's token.
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$API/v1/models/fraud/check")
[ "$code" = 401 ] || fail "POST without the token answered $code, expected 401"
stop_agent
echo "ok: examples/k8s/sidecar.yaml proxies and taps"

# ---- systemd: credentials, push with the token, tail, reload, stop ----
API=$(free_port)
localize "$EX/systemd/driftwatch.yaml" "$TMP/systemd.yaml"
sed -i "s#listen: 127.0.0.1:9464#listen: 127.0.0.1:$API#" "$TMP/systemd.yaml"
start_agent systemd "$TMP/systemd.yaml" "$API"
log="$TMP/root/var/log/fraud-model/predictions.jsonl"
touch "$log"
sample=$(head -n 1 "$EX/data/serving_drifted.jsonl")
code=$(curl -s -o "$TMP/push.out" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    -d "$sample" "http://127.0.0.1:$API/v1/models/fraud/samples")
[ "$code" = 401 ] || fail "push without the token answered $code, expected 401"
code=$(curl -s -o "$TMP/push.out" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    -H "Authorization: Bearer $(cat "$CREDENTIALS_DIRECTORY/token")" -d "$sample" \
    "http://127.0.0.1:$API/v1/models/fraud/samples")
[ "$code" = 202 ] || fail "push with the credential's token answered $code: $(cat "$TMP/push.out")"
wait_metric_at_least "$API" 'driftwatch_samples_received_total{model="fraud",probe="push"}' 1
sleep 1 # the tail probe has seen the (empty) log and follows it from its end
head -n 5 "$EX/data/serving_drifted.jsonl" >>"$log"
wait_metric_at_least "$API" 'driftwatch_samples_received_total{model="fraud",probe="tail"}' 5
kill -HUP "$AGENT"
for _ in $(seq 1 100); do
    grep -q 'msg="config reloaded from ' "$TMP/systemd.log" && break
    sleep 0.1
done
expect_contains "$TMP/systemd.log" 'msg="config reloaded from '
wait_http "http://127.0.0.1:$API/readyz"
wait_metric "$API" 'driftwatch_config_last_reload_successful' 1
kill -0 "$AGENT" || fail "the agent died on SIGHUP"
stop_agent
echo "ok: examples/systemd/driftwatch.yaml runs with systemd credentials, push, tail, reload"

# ---- Vertex AI: the canary against a server answering like the caller's predict route ----
UP=$(free_port)
"$PYTHON3" - "$UP" "$TMP/root/etc/driftwatch/canary/expected.json" <<'PY' &
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
answer = open(sys.argv[2], "rb").read()
class H(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200 if self.path == "/v1/models/fraud:predict" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)
    def do_GET(self):
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a):
        pass
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
PIDS+=($!)
wait_http "http://127.0.0.1:$UP/"
API=$(free_port)
localize "$EX/vertex/driftwatch.yaml" "$TMP/vertex.yaml"
sed -i -e "s#listen: 0.0.0.0:9464#listen: 127.0.0.1:$API#" \
    -e "s#url: http://127.0.0.1:8080/#url: http://127.0.0.1:$UP/#" "$TMP/vertex.yaml"
grep -q "127.0.0.1:$UP/v1/models/fraud:predict" "$TMP/vertex.yaml" || fail "the canary's url was not found"
start_agent vertex "$TMP/vertex.yaml" "$API"
wait_metric "$API" 'driftwatch_probe_success{probe="canary"}' 1
wait_metric "$API" 'driftwatch_plugin_up{plugin="vertex",kind="trainer"}' 1
stop_agent
echo "PASS: the k8s, systemd and Vertex AI example configs run"
