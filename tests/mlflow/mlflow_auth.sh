# Credentials of the mlflow plugin against the fake tracking server: basic auth from a password
# file records the run (Authorization: Basic, as the server checks it); a wrong bearer token is a
# 401 that is not retried and leaves a clear error line naming the status and what to check;
# neither secret appears in the log. Conflicting credentials are a config error.
source "$DW_SRC/tests/lib.sh"
source "$DW_SRC/tests/mlflow/mlflow_lib.sh"

export DW_HTTP_BACKOFF_MS=20 DW_HTTP_BACKOFF_MAX_MS=100
PASSWORD="planted-mlflow-password-$$"
WRONG="planted-wrong-token-$$"
make_data
start_fake_mlflow --token "right-token-$$" --user "alice:$PASSWORD"
printf '%s\n' "$PASSWORD" >"$TMP/password"
printf '%s\n' "$WRONG" >"$TMP/wrong-token"
chmod 600 "$TMP/password" "$TMP/wrong-token"
PORT=$(free_port)
mkdir -p "$TMP/repo"
cat >"$TMP/dw.yaml" <<YAML
agent:
  listen: 127.0.0.1:$PORT
  state_dir: $TMP/state
models:
  - name: fraud
    baseline: $TMP/B.json
    window: {size: 1000}
    probes: [{plugin: push, model: fraud}]
    on_drift:
      consecutive: 1
      alerts: [basic, badtoken]
      retrain: {plugin: command, cwd: $TMP/repo, argv: [/bin/sh, -c, 'echo trained']}
alerts:
  - {name: basic, plugin: mlflow, tracking_uri: "$ML_URL", experiment: "basic-{model}",
     username: alice, password_file: $TMP/password}
  - {name: badtoken, plugin: mlflow, tracking_uri: "$ML_URL", token_file: $TMP/wrong-token, max_attempts: 5}
YAML
start_agent "$TMP/dw.yaml" "$TMP/log" "$PORT"
drift_check "$PORT" fraud
wait_for_log "$TMP/log" "for retrain.triggered of model fraud"
wait_for_log "$TMP/log" "the retrain.triggered event of model fraud (key fraud-"
# The refusal says which request, the status, MLflow's error_code and what to check.
line=$(grep -F "mlflow badtoken: GET" "$TMP/log")
case "$line" in *"level=error"*"is dropped"*) ;; *) fail "no error line for the 401: $line" ;; esac
for want in "experiments/get-by-name" "HTTP 401 after 1 attempt (not retried)" "UNAUTHENTICATED" \
    "check the token or username/password"; do
    case "$line" in *"$want"*) ;; *) fail "the 401 line lacks '$want': $line" ;; esac
done
curl -fsS "$ML_URL/_fake/state" >"$TMP/state.json"
curl -fsS "$ML_URL/_fake/requests" >"$TMP/requests.json"
"$PYTHON3" - "$TMP/state.json" "$TMP/requests.json" "$PASSWORD" <<'PY' || fail "runs: $(cat "$TMP/state.json")"
import base64, json, sys
state, requests = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
basic = "Basic " + base64.b64encode(("alice:" + sys.argv[3]).encode()).decode()
names = sorted(e["name"] for e in state["experiments"].values())
assert names == ["Default", "basic-fraud"], names
runs = list(state["runs"].values())
assert len(runs) == 1 and runs[0]["tags"]["driftwatch.event"] == "retrain.triggered", runs
auth = [q["headers"].get("authorization", "") for q in requests]
# the basic sink's calls all carry the password; the bad token was sent once (a 401 is not retried)
assert sum(a == basic for a in auth) == len(auth) - 1, auth
assert sum(a.startswith("Bearer ") for a in auth) == 1, auth
PY
curl -fsS "http://127.0.0.1:$PORT/metrics" >"$TMP/metrics"
expect_contains "$TMP/metrics" 'driftwatch_tracking_runs_total{plugin="badtoken",event="retrain.triggered",result="refused"} 1'
expect_contains "$TMP/metrics" 'driftwatch_tracking_runs_total{plugin="basic",event="retrain.triggered",result="created"} 1'
# Refused events are not kept for a retry.
grep -qF "fraud-" "$TMP/state/mlflow-badtoken.jobs.json" && fail "the refused event was kept"
stop_agent
B64=$(printf 'alice:%s' "$PASSWORD" | base64)
for secret in "$PASSWORD" "$WRONG" "$B64"; do
    grep -qF -- "$secret" "$TMP/log" && fail "a secret appeared in the log"
done

# Conflicting or half credentials are refused when the config is checked.
sed -e "s|username: alice, password_file: $TMP/password|token_file: $TMP/wrong-token, username: alice, password_file: $TMP/password|" \
    "$TMP/dw.yaml" >"$TMP/both.yaml"
rc=0
"$DW_BIN" validate -c "$TMP/both.yaml" >"$TMP/both.out" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "validate accepted token and username together"
expect_contains "$TMP/both.out" "set either 'token' or 'username' and 'password', not both"
sed -e "s|, password_file: $TMP/password||" "$TMP/dw.yaml" >"$TMP/half.yaml"
rc=0
"$DW_BIN" validate -c "$TMP/half.yaml" >"$TMP/half.out" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "validate accepted a username without a password"
expect_contains "$TMP/half.out" "basic auth needs both 'username' and 'password'"
echo "ok"
