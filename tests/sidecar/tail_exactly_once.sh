# Issue #15, tail probe: every line of the writer's file is in the window exactly once across a
# SIGKILL at the exact instants that used to lose or repeat lines (DW_FAULT_POINT hooks):
#  1. right after a batch is handed over (journaled) and before anything else is saved;
#  2. at a restart that finds the file renamed and its successor not created yet, while the writer
#     still appends to the renamed file.
source "$DW_SRC/tests/lib.sh"

DATA="$DW_SRC/examples/data"
PORT=$(free_port)
LOG="$TMP/predictions.jsonl"
"$DW_BIN" baseline --data "$DATA/train.csv" --out "$TMP/baseline.json" 2>/dev/null
cat >"$TMP/dw.yaml" <<YAML
agent: {listen: 127.0.0.1:$PORT, state_dir: $TMP/state, durability: sync}
models:
  - name: fraud
    baseline: $TMP/baseline.json
    window: {size: 1000000}
    probes:
      - {plugin: tail, model: fraud, path: $LOG, poll: 20ms, from: beginning}
YAML

AGENT=
start_agent() { # start_agent [ENV=VALUE ...]: runs the agent (in the background) and waits for readyz
    env "$@" "$DW_BIN" run -c "$TMP/dw.yaml" 2>>"$TMP/agent.log" &
    AGENT=$!
    PIDS+=("$AGENT")
}
window() { # samples in the window now, or "absent"
    curl -s "http://127.0.0.1:$PORT/metrics" |
        awk '$1 == "driftwatch_window_samples{model=\"fraud\"}" {v = $2} END {print v == "" ? "absent" : v}'
}
wait_window() { # wait_window N: until the window holds N samples (15 s at most)
    local tries=300
    while [ "$(window)" != "$1" ]; do
        tries=$((tries - 1))
        [ "$tries" -gt 0 ] || { tail -n 20 "$TMP/agent.log" >&2; fail "window holds $(window) samples, expected $1"; }
        sleep 0.05
    done
}
wait_gone() { # wait_gone PID: until the process has exited (15 s at most)
    local tries=300
    while kill -0 "$1" 2>/dev/null; do
        tries=$((tries - 1))
        [ "$tries" -gt 0 ] || fail "process $1 did not die at the fault point"
        sleep 0.05
    done
    wait "$1" 2>/dev/null || true
}
wait_stopped() { # wait_stopped PID: until the process stopped itself (SIGSTOP at the fault point)
    local tries=300
    while [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != T ]; do
        tries=$((tries - 1))
        [ "$tries" -gt 0 ] || fail "process $1 never reached the fault point"
        sleep 0.05
    done
}
lines() { # lines FIRST LAST: those lines (1-based) of the example serving log
    sed -n "$1,$2p" "$DATA/serving_drifted.jsonl"
}
# The exact count, then one more line to show nothing else was pending (a repeat would be read
# before it): the window must then hold exactly one more.
expect_exactly() {
    wait_window "$1"
    lines 2000 2000 >>"$2"
    wait_window $(($1 + 1))
    rows=$(curl -fsS -X POST "http://127.0.0.1:$PORT/v1/models/fraud/check" |
        "$PYTHON3" -c 'import json,sys; print(json.load(sys.stdin)["window"]["rows"])')
    [ "$rows" = $(($1 + 1)) ] || fail "the window holds $rows samples, expected $(($1 + 1))"
}

# ---- 1. SIGKILL right after a hand-over ----
lines 1 40 >"$LOG"
start_agent DW_FAULT_POINT=tail_after_handover
wait_gone "$AGENT"
expect_contains "$TMP/agent.log" "recovered 0 sample(s)"
start_agent
wait_http "http://127.0.0.1:$PORT/readyz"
wait_window 40
lines 41 60 >>"$LOG"
expect_exactly 60 "$LOG"
echo "kill after hand-over: 61 lines, 61 samples"

# ---- 2. restart between rename and create, the writer still appending to the renamed file ----
kill -KILL "$AGENT"
wait "$AGENT" 2>/dev/null || true
mv "$LOG" "$LOG.1"
lines 61 70 >>"$LOG.1"                # written while the agent was down
start_agent DW_FAULT_POINT=tail_initial_rotated_read:stop
wait_stopped "$AGENT"                  # it has read the renamed file's rest: 71 samples
lines 71 80 >>"$LOG.1"                # the writer appends, the agent is frozen at that instant
kill -KILL "$AGENT"
wait "$AGENT" 2>/dev/null || true
start_agent
wait_http "http://127.0.0.1:$PORT/readyz"
wait_window 81
lines 81 90 >>"$LOG.1"                # the agent runs now and must still follow the renamed file
wait_window 91
lines 91 100 >"$LOG"                  # the successor appears
expect_exactly 101 "$LOG"
grep -q "rotated while stopped, no new file yet; following $LOG.1" "$TMP/agent.log" ||
    fail "the restart did not follow the renamed file"

# ---- and once more across a restart: nothing repeats from the journal or the snapshot ----
kill -KILL "$AGENT"
wait "$AGENT" 2>/dev/null || true
start_agent
wait_http "http://127.0.0.1:$PORT/readyz"
expect_exactly 102 "$LOG"
echo "ok"
