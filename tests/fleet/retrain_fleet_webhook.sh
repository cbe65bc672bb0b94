# docs/operations.md for a fleet with the webhook trigger: three replicas of one model, each a
# `driftwatch run` with its own state dir, see the same shift seconds apart; the first POST gets a
# 429, one replica is SIGKILLed between its streak's first drifted check and the one that fires and
# is restarted. The webhook cannot list jobs, so every replica sends its request, and all of them
# carry one Idempotency-Key: the receiver, deduplicating on it, starts one job for the episode.
source "$DW_SRC/tests/lib.sh"
source "$DW_SRC/tests/fleet/fleet_lib.sh"

fleet_data
fleet_away_from_bucket_edge
"$PYTHON3" "$DW_SRC/tests/alerts/receiver.py" --port-file "$TMP/rx.port" --secret s3cr3t-fleet &
PIDS+=("$!")
for _ in $(seq 100); do [ -s "$TMP/rx.port" ] && break; sleep 0.05; done
RX="http://127.0.0.1:$(cat "$TMP/rx.port")"
# /status/429/1/...: the first request is answered 429 (retried by the agent's HTTP client), then 200.
RETRAIN="{plugin: webhook, url: \"$RX/status/429/1/retrain\", secret: s3cr3t-fleet, cooldown: 1h, max_per_day: 10}"
for i in 1 2 3; do fleet_config "$i" "$RETRAIN"; done
fleet_episode
KEY=$(fleet_logged_key 1)
curl -fsS "$RX/_requests?prefix=/status/429/1/retrain" >"$TMP/received.json"
"$PYTHON3" - "$TMP/received.json" "$KEY" <<'PY' || fail "the receiver did not see one Idempotency-Key for the episode"
import json, sys
reqs, key = json.load(open(sys.argv[1])), sys.argv[2]
keys = [r["headers"].get("idempotency-key") for r in reqs]
# The 429 and its retry, then one request from each of the two other replicas.
assert [r["status"] for r in reqs] == [429, 200, 200, 200], [r["status"] for r in reqs]
assert set(keys) == {key}, keys
assert all(r["signature_valid"] for r in reqs), "a request's signature did not verify"
bodies = [json.loads(r["body"]) for r in reqs]
assert {b["key"] for b in bodies} == {key} and {b["model"] for b in bodies} == {"fraud"}, bodies
assert {b["cooldown_seconds"] for b in bodies} == {3600}, bodies
PY
grep -q "s3cr3t-fleet" "$TMP"/r*/log && fail "the webhook secret appeared in a log"
echo "ok"
