# Process behaviour: clean exit 0 on SIGTERM and SIGINT, SIGHUP reload that keeps the old config
# when the new one is invalid, refusal to start with a broken required plugin, optional plugin
# reported as driftwatch_plugin_up 0, secrets never logged.
source "$DW_SRC/tests/lib.sh"

PORT=$(free_port)
export DW_TEST_SECRET="planted-secret-$$-xyz"
write_config() {
    cat >"$TMP/dw.yaml" <<YAML
agent:
  listen: 127.0.0.1:$PORT
  state_dir: $TMP/state
  auth_token: \${DW_TEST_SECRET}
  log: {level: $1}
alerts:
  - {name: logs, plugin: log}
  - {name: pager, plugin: nosuchsink, optional: true}
YAML
}
write_config info

"$DW_BIN" run -c "$TMP/dw.yaml" 2>"$TMP/log" &
PID=$!
PIDS+=("$PID")
wait_http "http://127.0.0.1:$PORT/healthz"
curl -fsS "http://127.0.0.1:$PORT/metrics" >"$TMP/m1"
expect_contains "$TMP/m1" 'driftwatch_plugin_up{plugin="logs",kind="alert"} 1'
expect_contains "$TMP/m1" 'driftwatch_plugin_up{plugin="pager",kind="alert"} 0'
expect_contains "$TMP/m1" 'driftwatch_build_info{version="'
# A write route without the token is refused.
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$PORT/v1/models/x/check")
[ "$code" = 401 ] || fail "write route without token gave $code"

# Invalid config + SIGHUP: still serving the old one, reload failure reported.
echo "agent: {listen: nonsense}" >"$TMP/dw.yaml"
kill -HUP "$PID"
sleep 0.5
curl -fsS "http://127.0.0.1:$PORT/metrics" >"$TMP/m2"
expect_contains "$TMP/m2" "driftwatch_config_last_reload_successful 0"
expect_contains "$TMP/log" "reload rejected, keeping the running config: $TMP/dw.yaml:1:17: listen must be HOST:PORT"

# Valid config + SIGHUP: reloaded (debug level now), still serving.
write_config debug
kill -HUP "$PID"
sleep 0.5
curl -fsS "http://127.0.0.1:$PORT/metrics" >"$TMP/m3"
expect_contains "$TMP/m3" "driftwatch_config_last_reload_successful 1"
expect_contains "$TMP/log" "config reloaded from $TMP/dw.yaml"

kill -TERM "$PID"
rc=0
wait "$PID" || rc=$?
[ "$rc" -eq 0 ] || fail "SIGTERM exit code $rc"
expect_contains "$TMP/log" 'msg="SIGTERM: shutting down"'
grep -q "$DW_TEST_SECRET" "$TMP/log" && fail "the auth token appeared in the log"

# SIGINT too.
"$DW_BIN" run -c "$TMP/dw.yaml" 2>"$TMP/log2" &
PID=$!
PIDS+=("$PID")
wait_http "http://127.0.0.1:$PORT/healthz"
kill -INT "$PID"
rc=0
wait "$PID" || rc=$?
[ "$rc" -eq 0 ] || fail "SIGINT exit code $rc"

# A broken required plugin: refuses to start, says why, exit 1.
cat >"$TMP/broken.yaml" <<YAML
agent: {listen: 127.0.0.1:$PORT, state_dir: $TMP/state, plugin_dir: $DW_BAD_PLUGIN_DIR}
alerts:
  - {name: x, plugin: initfail, url: http://unreachable.invalid}
YAML
rc=0
"$DW_BIN" run -c "$TMP/broken.yaml" 2>"$TMP/log3" || rc=$?
[ "$rc" -eq 1 ] || fail "broken required plugin: exit $rc"
expect_contains "$TMP/log3" "cannot start: $TMP/broken.yaml:3:5: plugin 'initfail' (instance 'x') failed to initialise: cannot reach http://unreachable.invalid"

# A world-writable state dir is refused.
mkdir -p "$TMP/open" && chmod 0777 "$TMP/open"
sed "s|state_dir: $TMP/state|state_dir: $TMP/open|" "$TMP/dw.yaml" >"$TMP/open.yaml"
rc=0
"$DW_BIN" run -c "$TMP/open.yaml" 2>"$TMP/log4" || rc=$?
[ "$rc" -eq 1 ] || fail "world-writable state dir: exit $rc"
expect_contains "$TMP/log4" "is writable by others (mode 777): refusing to use it"
echo "ok"
