#!/usr/bin/env bash
# Integration: the alertmanager sink against a real Alertmanager on loopback. Sends a firing
# event, checks GET /api/v2/alerts shows it active with our labels and annotations, re-sends it as a
# repeat, resolves it, and checks it is no longer active.
set -euo pipefail

PY=${PYTHON3:-/usr/bin/python3}
AM_BIN=${DW_ALERTMANAGER:-$(command -v prometheus-alertmanager || command -v alertmanager || true)}
SEND=${DW_ALERT_SEND:?DW_ALERT_SEND must point at the dw_alert_send test tool}
PLUGIN=${DW_PLUGIN_DIR:?}/alertmanager.so

if [[ -z "$AM_BIN" ]]; then
    echo "FAIL: no Alertmanager binary: install the Debian package prometheus-alertmanager (bash scripts/setup-debian.sh)" >&2
    exit 1
fi

work=$(mktemp -d /tmp/dw-am-it-XXXXXX)
am_pid=""
cleanup() {
    if [[ -n "$am_pid" ]]; then
        kill "$am_pid" 2>/dev/null || true
        wait "$am_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

fail() {
    echo "FAIL: $*" >&2
    if [[ -f "$work/am.log" ]]; then
        echo "--- alertmanager log (tail) ---" >&2
        tail -n 30 "$work/am.log" >&2
    fi
    exit 1
}

# A free loopback port: bind port 0 and report what the kernel chose. Another process could take it
# before Alertmanager binds, so the start is retried on a fresh port.
free_port() {
    "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

cat >"$work/am.yml" <<'EOF'
route:
  receiver: blackhole
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: blackhole
EOF

started=0
for try in 1 2 3; do
    port=$(free_port)
    mkdir -p "$work/data$try"
    "$AM_BIN" --config.file="$work/am.yml" --storage.path="$work/data$try" \
        --web.listen-address="127.0.0.1:$port" --cluster.listen-address= \
        --log.level=warn >"$work/am.log" 2>&1 &
    am_pid=$!
    for _ in $(seq 1 100); do
        if ! kill -0 "$am_pid" 2>/dev/null; then
            break
        fi
        if "$PY" -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$port/-/ready', timeout=1)" \
            2>/dev/null; then
            started=1
            break
        fi
        sleep 0.1
    done
    [[ $started == 1 ]] && break
    kill "$am_pid" 2>/dev/null || true
    wait "$am_pid" 2>/dev/null || true
    am_pid=""
done
[[ $started == 1 ]] || fail "Alertmanager did not start"
AM="http://127.0.0.1:$port"
echo "Alertmanager $("$AM_BIN" --version 2>&1 | head -n1) on $AM"

starts=$(($(date +%s) - 120))
report="http://127.0.0.1:9464/v1/models/fraud/report"
mkdir -p "$work/state"
send() {
    "$SEND" "$PLUGIN" am --state-dir "$work/state" --set "url=$AM" --set labels=team=ml --set labels=env=it \
        --set max_attempts=3 --set timeout=5s --model fraud --severity critical \
        --starts-at "$starts" --report-url "$report" "$@"
}

# Checks the alerts Alertmanager holds for model=fraud; $1 is "active" or "gone".
check_alerts() {
    "$PY" - "$AM" "$1" "$starts" "$report" <<'EOF'
import json, sys, urllib.request
from datetime import datetime, timezone
am, want, starts, report = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
alerts = json.load(urllib.request.urlopen(am + "/api/v2/alerts?filter=model%3D%22fraud%22", timeout=5))
active = [a for a in alerts if a["status"]["state"] == "active"]
if want == "gone":
    if active:
        sys.exit("still active after the resolve: %s" % json.dumps(active))
    sys.exit(0)
if len(active) != 1:
    sys.exit("expected one active alert, got %s" % json.dumps(alerts))
a = active[0]
want_labels = {"alertname": "DriftDetected", "model": "fraud", "severity": "critical", "team": "ml", "env": "it"}
if a["labels"] != want_labels:
    sys.exit("labels %s != %s" % (a["labels"], want_labels))
ann = a["annotations"]
desc = ann.get("description", "")
for part in ("amount: psi = 0.31", "country: chisquare = 12.5 (p = 0.0004)"):
    if part not in desc:
        sys.exit("description %r lacks %r" % (desc, part))
if ann.get("drift_share") != "0.5" or ann.get("report_url") != report or "fraud" not in ann.get("summary", ""):
    sys.exit("annotations %s" % ann)
if a.get("generatorURL") != report:
    sys.exit("generatorURL %r" % a.get("generatorURL"))
got_start = datetime.fromisoformat(a["startsAt"].replace("Z", "+00:00"))
if int(got_start.timestamp()) != starts:
    sys.exit("startsAt %s != %d" % (a["startsAt"], starts))
# Firing without endsAt: Alertmanager sets endsAt = now + resolve_timeout, so it is in the future.
ends = datetime.fromisoformat(a["endsAt"].replace("Z", "+00:00"))
if ends <= datetime.now(timezone.utc):
    sys.exit("endsAt %s is not in the future for a firing alert" % a["endsAt"])
print("active alert ok:", json.dumps(a["labels"]))
EOF
}

out=$(send --firing --share 0.5 --feature amount:psi:0.31 --feature country:chisquare:12.5:0.0004 --metrics) \
    || fail "firing send failed"
grep -q 'driftwatch_alerts_sent_total{sink="am",result="ok"} 1' <<<"$out" || fail "ok counter not 1: $out"
check_alerts active || fail "firing alert not visible in Alertmanager"

# A repeat keeps the same alert (one alert, same startsAt).
send --firing --repeat --share 0.5 --feature amount:psi:0.31 --feature country:chisquare:12.5:0.0004 \
    >/dev/null || fail "repeat send failed"
check_alerts active || fail "after the repeat"

send --resolved --ends-at "$(date +%s)" >/dev/null || fail "resolve send failed"
ok=0
for _ in $(seq 1 30); do
    if check_alerts gone 2>/dev/null; then
        ok=1
        break
    fi
    sleep 0.2
done
[[ $ok == 1 ]] || { check_alerts gone || true; fail "alert still active after resolve"; }
echo "resolved alert no longer active"

# Severity is part of an alert's identity. The agent fires "warning", escalates to "critical", and
# resolves with whatever severity the last verdict had: each run of dw_alert_send is a fresh process
# (like a restart), so the sink's state file is what lets the resolve find the alert that fires.
active_severities() {
    "$PY" - "$AM" "$1" <<'EOF'
import json, sys, urllib.request
am, model = sys.argv[1], sys.argv[2]
alerts = json.load(urllib.request.urlopen(am + "/api/v2/alerts?filter=model%3D%22" + model + "%22", timeout=5))
print(",".join(sorted(a["labels"]["severity"] for a in alerts if a["status"]["state"] == "active")))
EOF
}
esc() {
    "$SEND" "$PLUGIN" am --state-dir "$work/state" --set "url=$AM" --model credit --starts-at "$starts" "$@"
}
esc --firing --severity warning --share 0.3 --feature age:ks:0.2:0.01 >/dev/null || fail "escalation: first send"
[[ $(active_severities credit) == warning ]] || fail "escalation: expected warning, got '$(active_severities credit)'"
esc --firing --repeat --severity critical --share 0.6 --feature age:ks:0.4:0.0001 >/dev/null \
    || fail "escalation: second send"
[[ $(active_severities credit) == critical ]] || fail "escalation: expected only critical, got '$(active_severities credit)'"
esc --resolved --severity warning >/dev/null || fail "escalation: resolve"
[[ -z $(active_severities credit) ]] || fail "escalation: still active after resolve: '$(active_severities credit)'"
echo "escalated alert replaced, then resolved under the severity that fired"

# What a 4xx looks like end to end: a path Alertmanager does not serve gives a clear, non-retried
# error.
if err=$("$SEND" "$PLUGIN" am-bad --state-dir "$work/state" --set "url=$AM/nothing-here" --set max_attempts=3 --model fraud --firing 2>&1); then
    fail "expected an error for a wrong URL path"
fi
grep -q 'alertmanager am-bad: POST .*/nothing-here/api/v2/alerts' <<<"$err" || fail "unclear error: $err"
grep -q 'HTTP 404 after 1 attempt (not retried)' <<<"$err" || fail "404 retried or unnamed: $err"
echo "PASS"
