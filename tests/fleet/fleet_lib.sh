# shellcheck shell=bash
# Helpers for the fleet tests (sourced after tests/lib.sh): N `driftwatch run` agents on loopback,
# each with its own port, state dir and log, all replicas of one model with one baseline, and the
# docs/operations.md key each should derive, computed here from the agent's own policy state.

FLEET_N=3
FLEET_COOLDOWN_S=3600
export DW_HTTP_BACKOFF_MS=50 DW_HTTP_BACKOFF_MAX_MS=200

# Training data, its baseline, and drifted batches d1..d3 (one full window each).
fleet_data() {
    "$PYTHON3" - "$TMP" <<'PY'
import json, random, sys
tmp = sys.argv[1]
rnd = random.Random(7)
with open(tmp + "/train.csv", "w") as f:
    f.write("x,y\n")
    for _ in range(500):
        f.write("%.4f,%.4f\n" % (rnd.gauss(0, 1), rnd.gauss(10, 2)))
for name in ("d1", "d2", "d3"):
    with open(tmp + "/" + name + ".json", "w") as f:
        json.dump([{"x": rnd.gauss(4, 1), "y": rnd.gauss(20, 2)} for _ in range(200)], f)
PY
    "$DW_BIN" baseline --data "$TMP/train.csv" --out "$TMP/B.json" 2>"$TMP/baseline.log" ||
        { cat "$TMP/baseline.log" >&2; fail "baseline"; }
    # Without a versioning plugin the baseline's data version is the training file's md5.
    DV12=$("$PYTHON3" -c 'import json, sys; print(json.load(open(sys.argv[1]))["source"]["md5"][:12])' "$TMP/B.json")
}

# fleet_away_from_bucket_edge: waits out the last 30 s of a cooldown bucket, so the replicas'
# streaks, which start a few seconds apart, fall in one bucket and must derive one key. (Either
# side of an edge they derive two; README "MLOps hooks" says what the cooldown lookup does then.)
fleet_away_from_bucket_edge() {
    local left=$((FLEET_COOLDOWN_S - $(date +%s) % FLEET_COOLDOWN_S))
    [ "$left" -gt 30 ] || sleep $((left + 1))
}

# start_fake OUT-FILE SCRIPT ARGS...: a fake server that prints "PORT <n>"; sets FAKE_PORT.
start_fake() {
    local out=$1
    shift
    "$PYTHON3" "$@" >"$out" &
    PIDS+=("$!")
    for _ in $(seq 100); do grep -q '^PORT ' "$out" 2>/dev/null && break; sleep 0.05; done
    grep -q '^PORT ' "$out" || fail "fake $1 did not start"
    # shellcheck disable=SC2034 # read by the test that sources this file
    FAKE_PORT=$(awk '/^PORT/ {print $2}' "$out")
}

# fleet_config I RETRAIN [EXTRA-MODELS]: replica I's config; RETRAIN is the flow mapping of
# on_drift.retrain (cooldown included), EXTRA-MODELS more model entries (YAML list items).
fleet_config() {
    local i=$1 retrain=$2 extra=${3:-}
    mkdir -p "$TMP/r$i"
    PORT[i]=${PORT[i]:-$(free_port)}
    cat >"$TMP/r$i/dw.yaml" <<YAML
agent: {listen: 127.0.0.1:${PORT[$i]}, state_dir: $TMP/r$i/state}
models:
  - name: fraud
    baseline: $TMP/B.json
    window: {size: 200}
    probes: [{plugin: push, model: fraud}]
    on_drift:
      consecutive: 2
      retrain: $retrain
$extra
YAML
}

# fleet_start I: starts replica I (its log: $TMP/r$I/log, appended across restarts).
fleet_start() {
    local i=$1
    "$DW_BIN" run -c "$TMP/r$i/dw.yaml" 2>>"$TMP/r$i/log" &
    AGENT[i]=$!
    PIDS+=("${AGENT[$i]}")
    for _ in $(seq 100); do
        curl -fsS -o /dev/null "http://127.0.0.1:${PORT[$i]}/readyz" 2>/dev/null && return 0
        kill -0 "${AGENT[$i]}" 2>/dev/null || { cat "$TMP/r$i/log" >&2; fail "replica $i exited at start"; }
        sleep 0.1
    done
    fail "replica $i is not ready"
}

# fleet_kill I: SIGKILL, as a node loss or an OOM kill would.
fleet_kill() {
    kill -KILL "${AGENT[$1]}"
    wait "${AGENT[$1]}" 2>/dev/null || true
}

# fleet_push I FILE N [MODEL]: pushes a full window to replica I and waits until its log shows N
# checks of MODEL (default fraud) in all.
fleet_push() {
    local i=$1 file=$2 n=$3 model=${4:-fraud}
    curl -fsS -H 'Content-Type: application/json' --data-binary @"$file" \
        "http://127.0.0.1:${PORT[$i]}/v1/models/$model/samples" >/dev/null || fail "push $file to replica $i"
    for _ in $(seq 200); do
        [ "$(grep -c "model=$model check rows=200" "$TMP/r$i/log")" -ge "$n" ] && return 0
        sleep 0.05
    done
    cat "$TMP/r$i/log" >&2
    fail "replica $i: check $n of $model did not run"
}

# fleet_wait_retrain I [MODEL]: until replica I logged its retrain outcome for MODEL.
fleet_wait_retrain() {
    local i=$1 model=${2:-fraud}
    for _ in $(seq 200); do
        grep -q "model=$model retrain \(triggered\|joined\)" "$TMP/r$i/log" && return 0
        sleep 0.05
    done
    cat "$TMP/r$i/log" >&2
    fail "replica $i logged no retrain of $model"
}

# fleet_expected_key I [MODEL]: the key docs/operations.md gives for replica I's episode: model, the
# baseline md5's first 12 hex digits, floor(streak_start / cooldown) from the replica's own state.
fleet_expected_key() {
    local i=$1 model=${2:-fraud}
    "$PYTHON3" -c '
import json, sys
st = json.load(open(sys.argv[1]))
print("%s-%s-%d" % (sys.argv[2], sys.argv[3], st["streak_start"] // int(sys.argv[4])))' \
        "$TMP/r$i/state/$model.policy.json" "$model" "$DV12" "$FLEET_COOLDOWN_S"
}

# fleet_logged_key I [MODEL]: the key replica I's retrain line names.
fleet_logged_key() {
    local i=$1 model=${2:-fraud}
    grep -o "model=$model retrain \(triggered\|joined\):.* key=[^ ]*" "$TMP/r$i/log" | tail -n 1 | sed 's/.* key=//'
}

# fleet_check_keys: every replica logged the key its own state gives; when all three streaks began
# in one cooldown bucket (nearly always), that is one key for the fleet. Sets FLEET_KEYS (distinct).
fleet_check_keys() {
    local i keys=()
    for i in $(seq "$FLEET_N"); do
        local want got
        want=$(fleet_expected_key "$i")
        got=$(fleet_logged_key "$i")
        [ "$got" = "$want" ] || { cat "$TMP/r$i/log" >&2; fail "replica $i used key '$got', want '$want'"; }
        keys+=("$got")
    done
    # shellcheck disable=SC2034 # read by the test that sources this file
    FLEET_KEYS=$(printf '%s\n' "${keys[@]}" | sort -u | wc -l)
}

# fleet_edge_model RETRAIN: the config entry of model `edge` (replica 1 only), for the bucket-edge case.
fleet_edge_model() {
    printf '%s\n' "  - name: edge
    baseline: $TMP/B.json
    window: {size: 200}
    probes: [{plugin: push, name: push-edge, model: edge}]
    on_drift: {consecutive: 2, retrain: $1}"
}

# fleet_episode: the scenario every trainer must survive, with the replicas already configured. The
# shift reaches the replicas seconds apart (their streaks' first drifted checks); replica 3 is
# SIGKILLed in its streak; replica 1 fires first (nothing to join; its first create is answered 429
# by the test's fake and retried), then replica 2; replica 3 comes back with its streak (and its
# start) from the state dir and fires; drift goes on. Then every replica must have logged the key
# its own state gives, and one key for the fleet.
fleet_episode() {
    local i
    for i in 1 2 3; do fleet_start "$i"; done
    fleet_push 1 "$TMP/d1.json" 1
    sleep 1
    fleet_push 2 "$TMP/d1.json" 1
    sleep 1
    fleet_push 3 "$TMP/d1.json" 1
    fleet_kill 3
    fleet_push 1 "$TMP/d2.json" 2
    fleet_wait_retrain 1
    sleep 1
    fleet_push 2 "$TMP/d2.json" 2
    fleet_wait_retrain 2
    fleet_start 3
    expect_contains "$TMP/r3/log" "restored policy state: consecutive=1 firing=false"
    fleet_push 3 "$TMP/d2.json" 2
    fleet_wait_retrain 3
    for i in 1 2 3; do fleet_push "$i" "$TMP/d3.json" 3; done
    fleet_check_keys
    [ "$FLEET_KEYS" -eq 1 ] || fail "the replicas derived $FLEET_KEYS keys for one episode"
}
