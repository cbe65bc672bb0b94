# Helpers of the mlflow tests (sourced after tests/lib.sh): the fake tracking server, a training
# file with its drifted sample, a one-model config tracked by the fake, an agent started and a model
# pushed to until it triggers.

# start_fake_mlflow ARGS...: the fake in the background; sets ML_PORT and ML_URL.
start_fake_mlflow() {
    "$PYTHON3" "$DW_SRC/tests/fakes/mlflow/fake_mlflow.py" --port 0 "$@" >"$TMP/mlflow.port" &
    PIDS+=("$!")
    local tries=100
    until grep -q PORT "$TMP/mlflow.port" 2>/dev/null; do
        tries=$((tries - 1))
        [ "$tries" -gt 0 ] || fail "the fake MLflow server did not start"
        sleep 0.1
    done
    ML_PORT=$(awk '/PORT/ {print $2}' "$TMP/mlflow.port")
    ML_URL="http://127.0.0.1:$ML_PORT"
}

# make_data: $TMP/train.csv (x ~ N(0,1), y ~ N(10,2)), its baseline $TMP/B.json and 300 drifted
# samples (x ~ N(4,1), y ~ N(20,2)) in $TMP/drifted.json: every check of them is dataset drift.
make_data() {
    "$PYTHON3" - "$TMP" <<'PY'
import json, random, sys
tmp = sys.argv[1]
rnd = random.Random(7)
with open(tmp + "/train.csv", "w") as f:
    f.write("x,y\n")
    for _ in range(500):
        f.write("%.4f,%.4f\n" % (rnd.gauss(0, 1), rnd.gauss(10, 2)))
with open(tmp + "/drifted.json", "w") as f:
    json.dump([{"x": rnd.gauss(4, 1), "y": rnd.gauss(20, 2)} for _ in range(300)], f)
PY
    "$DW_BIN" baseline --data "$TMP/train.csv" --out "$TMP/B.json" 2>"$TMP/baseline.log" ||
        { cat "$TMP/baseline.log" >&2; fail "baseline"; }
}

# tracked_config PORT MODEL: on stdout, a config with one model (push probe, a window of 1000,
# drift after one check, `echo trained` in $TMP/repo as its trainer) whose policy events go to the
# fake MLflow at $ML_URL through the sink `tracking`; the agent keeps its state in $TMP/state.
tracked_config() {
    mkdir -p "$TMP/repo"
    cat <<YAML
agent:
  listen: 127.0.0.1:$1
  state_dir: $TMP/state
models:
  - name: $2
    baseline: $TMP/B.json
    window: {size: 1000}
    probes: [{plugin: push, model: $2}]
    on_drift:
      consecutive: 1
      alerts: [tracking]
      retrain: {plugin: command, cwd: $TMP/repo, argv: [/bin/sh, -c, 'echo trained']}
alerts:
  - {name: tracking, plugin: mlflow, tracking_uri: "$ML_URL"}
YAML
}

# start_agent CONFIG LOG PORT: driftwatch run in the background until /healthz answers; sets AGENT.
start_agent() {
    "$DW_BIN" run -c "$1" 2>>"$2" &
    AGENT=$!
    PIDS+=("$AGENT")
    local tries=100
    until curl -fsS -o /dev/null "http://127.0.0.1:$3/healthz" 2>/dev/null; do
        kill -0 "$AGENT" 2>/dev/null || { cat "$2" >&2; fail "the agent exited at start"; }
        tries=$((tries - 1))
        [ "$tries" -gt 0 ] || fail "the agent did not answer /healthz"
        sleep 0.1
    done
}

# stop_agent: SIGTERM and a clean exit.
stop_agent() {
    kill -TERM "$AGENT"
    local rc=0
    wait "$AGENT" || rc=$?
    [ "$rc" -eq 0 ] || fail "the agent exited with $rc on SIGTERM"
}

# window_samples PORT MODEL: the model's driftwatch_window_samples (0 when not exported yet).
window_samples() {
    curl -fsS "http://127.0.0.1:$1/metrics" >"$TMP/metrics" || fail "GET /metrics"
    local n
    n=$(sed -n "s/^driftwatch_window_samples{model=\"$2\"} //p" "$TMP/metrics")
    echo "${n:-0}"
}

# drift_check PORT MODEL: pushes the drifted samples, waits until the window holds them (a window
# restored after a restart holds the earlier ones too) and runs a check, which must find dataset
# drift (the check's JSON is left in $TMP/check-MODEL.json).
drift_check() {
    local port=$1 model=$2 base="http://127.0.0.1:$1"
    local want=$(( $(window_samples "$port" "$model") + 300 ))
    curl -fsS -H 'Content-Type: application/json' --data-binary @"$TMP/drifted.json" \
        "$base/v1/models/$model/samples" >/dev/null || fail "push to $model"
    local tries=100
    until [ "$(window_samples "$port" "$model")" -ge "$want" ]; do
        tries=$((tries - 1))
        [ "$tries" -gt 0 ] || fail "the window of $model did not reach $want samples"
        sleep 0.1
    done
    curl -fsS -X POST "$base/v1/models/$model/check" >"$TMP/check-$model.json" || fail "check $model"
    grep -q '"dataset_drift": *true' "$TMP/check-$model.json" || { cat "$TMP/check-$model.json" >&2; fail "no drift for $model"; }
}

# wait_for_log FILE TEXT [seconds]: until FILE holds TEXT (fixed string).
wait_for_log() {
    local tries=$(( ${3:-20} * 10 ))
    until grep -qF -- "$2" "$1"; do
        tries=$((tries - 1))
        [ "$tries" -gt 0 ] || { cat "$1" >&2; fail "expected '$2' in $1"; }
        sleep 0.1
    done
}
