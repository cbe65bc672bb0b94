# The disk under the journal fills up: pushes get 503 with a JSON error naming the full state
# directory, /healthz and /metrics still answer, and once space returns pushes are accepted again
# and a restart recovers every acknowledged sample. The state dir is a real 4 MB tmpfs.
if [ "$(id -u)" != 0 ] && [ -z "${DW_FAULTS_USERNS:-}" ]; then
    # Not root: a private user + mount namespace lets us mount a tmpfs anyway.
    if unshare -rm true 2>/dev/null; then
        DW_FAULTS_USERNS=1 exec unshare -rm bash "$0" "$@"
    fi
    echo "FAIL: disk_full.sh needs root or unprivileged user namespaces (unshare -rm) to mount a tmpfs" >&2
    exit 1
fi
source "$DW_SRC/tests/lib.sh"

STATE="$TMP/state"
mkdir "$STATE"
mount -t tmpfs -o size=4m,mode=0700 tmpfs "$STATE" || fail "cannot mount a 4 MB tmpfs on $STATE"
# The agent must be gone before the unmount; lib.sh's cleanup then removes $TMP.
unmount_state() {
    local rc=$? pid
    [ "$rc" = 0 ] || cat "$TMP/agent.log" >&2 || true
    for pid in "${PIDS[@]:-}"; do
        [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    done
    wait || true
    umount "$STATE" || true
    cleanup
}
trap unmount_state EXIT

DATA="$DW_SRC/examples/data"
PORT=$(free_port)
URL="http://127.0.0.1:$PORT"
"$DW_BIN" baseline --data "$DATA/train.csv" --out "$TMP/baseline.json" 2>/dev/null
cat >"$TMP/dw.yaml" <<YAML
agent: {listen: 127.0.0.1:$PORT, state_dir: $STATE, durability: sync}
models:
  - name: fraud
    baseline: $TMP/baseline.json
    window: {size: 1000000}
    probes:
      - {plugin: push, model: fraud}
YAML
start() {
    "$DW_BIN" run -c "$TMP/dw.yaml" 2>>"$TMP/agent.log" &
    AGENT=$!
    PIDS+=("$AGENT")
    wait_http "$URL/readyz" 30
}
# push N: posts the next 20 lines of the drifted data, prints the status; the body goes to $TMP/body.
line=0
push() {
    local first=$((line % 1980 + 1))
    line=$((line + 20))
    sed -n "${first},$((first + 19))p" "$DATA/serving_drifted.jsonl" | curl -s -o "$TMP/body" \
        -w '%{http_code}' -X POST -H 'Content-Type: application/x-ndjson' --data-binary @- \
        "$URL/v1/models/fraud/samples" || true
}

start
acked=0
for _ in $(seq 10); do
    [ "$(push)" = 202 ] || fail "push before the disk filled: $(cat "$TMP/body")"
    acked=$((acked + 20))
done

# Fill the file system (dd stops at ENOSPC).
dd if=/dev/zero of="$STATE/filler" bs=64k 2>/dev/null || true
df -k "$STATE" >"$TMP/df"
[ "$(awk 'NR==2 {print $4}' "$TMP/df")" -eq 0 ] || { cat "$TMP/df"; fail "the tmpfs still has room"; }

# Several pushes while full: every one is refused with 503 and a JSON error that says why.
for i in 1 2 3 4 5; do
    code=$(push)
    [ "$code" = 503 ] || fail "push $i on a full disk: status $code, body $(cat "$TMP/body")"
    "$PYTHON3" -c 'import json,sys; e=json.load(open(sys.argv[1]))["error"]; print(e)' "$TMP/body" >"$TMP/err" ||
        fail "503 body is not a JSON error: $(cat "$TMP/body")"
    expect_contains "$TMP/err" "No space left on device"
    expect_contains "$TMP/err" "the state directory is full"
done
curl -fsS "$URL/healthz" >/dev/null || fail "/healthz does not answer while the disk is full"
curl -fsS "$URL/metrics" >"$TMP/metrics" || fail "/metrics does not answer while the disk is full"
expect_contains "$TMP/metrics" 'driftwatch_samples_rejected_total{model="fraud",reason="unavailable"} 100'

# Space returns: the next push is accepted.
rm "$STATE/filler"
[ "$(push)" = 202 ] || fail "push after space returned: $(cat "$TMP/body")"
acked=$((acked + 20))
expect_contains "$TMP/agent.log" "model=fraud samples are stored again after 5 refused batch(es)"
# Refusals are logged 1st, 2nd, 4th in a row: not once per push.
[ "$(grep -c 'cannot store samples durably' "$TMP/agent.log")" = 3 ] || fail "refusals not rate-limited in the log"
for _ in $(seq 5); do
    [ "$(push)" = 202 ] || fail "push after space returned: $(cat "$TMP/body")"
    acked=$((acked + 20))
done

# Restart: every acknowledged sample is recovered. The first refused batch was already in the
# window and in the journal's buffer when its commit failed, and the journal keeps such a batch
# for the next commit (at-least-once, journal.h); later pushes are refused before they touch the
# window, so exactly one refused batch of 20 comes back on top of the acknowledged ones.
kill -TERM "$AGENT"
wait "$AGENT" 2>/dev/null || true
start
recovered=$(sed -n 's/.*model=fraud recovered \([0-9]*\) sample.*/\1/p' "$TMP/agent.log" | tail -n 1)
echo "acknowledged $acked samples, 5 pushes refused on a full disk; recovered $recovered"
[ "$recovered" = $((acked + 20)) ] || fail "recovered $recovered samples, expected $acked acknowledged + 20"
rows=$(curl -fsS -X POST "$URL/v1/models/fraud/check" |
    "$PYTHON3" -c 'import json,sys; print(json.load(sys.stdin)["window"]["rows"])')
[ "$rows" = "$recovered" ] || fail "the check saw $rows rows, the recovery log said $recovered"
echo "ok"
