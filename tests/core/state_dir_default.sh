#!/usr/bin/env bash
# Where the agent keeps its state when the config does not say: root keeps /var/lib/driftwatch;
# anyone else gets $XDG_STATE_HOME/driftwatch, else ~/.local/state/driftwatch (parents made 0700),
# else ./driftwatch-state, never a failure to create /var/lib/driftwatch. Each start logs the
# directory and why it was chosen; a configured state_dir is logged too. The non-root cases run as
# uid 65534 (setpriv) when the suite runs as root; the root case runs in a private mount namespace
# with a tmpfs on /var/lib (unshare; -r maps the user to root when the suite is not root), so the
# machine's /var/lib is never touched.
source "$DW_SRC/tests/lib.sh"

chmod 0755 "$TMP"
"$DW_BIN" baseline --data "$DW_SRC/examples/data/train.csv" --out "$TMP/base.json" 2>/dev/null
chmod 0644 "$TMP/base.json"

# run_agent NAME ENV...: starts the agent (as uid 65534 when we are root) with only ENV in its
# environment and cwd $TMP/NAME, waits for /readyz, stops it; its log in $TMP/NAME.log.
run_agent() {
    local name=$1 port
    shift
    port=$(free_port)
    mkdir -p "$TMP/$name"
    cat >"$TMP/$name.yaml" <<YAML
agent: {listen: 127.0.0.1:$port, plugin_dir: $DW_PLUGIN_DIR}
models:
  - {name: m, baseline: $TMP/base.json, probes: [{plugin: push}]}
YAML
    chmod 0644 "$TMP/$name.yaml"
    local as=()
    if [ "$(id -u)" = 0 ]; then
        chown -R 65534:65534 "$TMP/$name"
        as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
    fi
    (cd "$TMP/$name" && exec "${as[@]}" env -i "$@" "$DW_BIN" run -c "$TMP/$name.yaml") 2>"$TMP/$name.log" &
    local pid=$!
    PIDS+=("$pid")
    wait_http "http://127.0.0.1:$port/readyz" 20
    kill -TERM "$pid"
    wait "$pid" || fail "$name: the agent exited $?: $(cat "$TMP/$name.log")"
}

# ~/.local/state/driftwatch, its missing parents created 0700
run_agent home "HOME=$TMP/home/u"
expect_contains "$TMP/home.log" "msg=\"state_dir $TMP/home/u/.local/state/driftwatch (agent.state_dir is not set: ~/.local/state/driftwatch (\$XDG_STATE_HOME is not set); set agent.state_dir to choose)\""
[ -f "$TMP/home/u/.local/state/driftwatch/m.journal" ] || fail "no journal in ~/.local/state/driftwatch"
[ "$(stat -c %a "$TMP/home/u/.local/state")" = 700 ] || fail "~/.local/state is not 0700"
[ "$(stat -c %a "$TMP/home/u/.local/state/driftwatch")" = 700 ] || fail "the state dir is not 0700"

# $XDG_STATE_HOME/driftwatch, before ~/.local/state
run_agent xdg "HOME=$TMP/xdg/home" "XDG_STATE_HOME=$TMP/xdg/state"
expect_contains "$TMP/xdg.log" "msg=\"state_dir $TMP/xdg/state/driftwatch (agent.state_dir is not set: \$XDG_STATE_HOME/driftwatch; set agent.state_dir to choose)\""
[ -f "$TMP/xdg/state/driftwatch/m.journal" ] || fail "no journal in \$XDG_STATE_HOME/driftwatch"

# neither: ./driftwatch-state in the working directory
run_agent bare
expect_contains "$TMP/bare.log" "msg=\"state_dir $TMP/bare/driftwatch-state (agent.state_dir is not set, nor are \$XDG_STATE_HOME and \$HOME: driftwatch-state in the working directory; set agent.state_dir to choose)\""
[ -f "$TMP/bare/driftwatch-state/m.journal" ] || fail "no journal in ./driftwatch-state"

# root: /var/lib/driftwatch, as before, and said so (a tmpfs on /var/lib in a private namespace)
port=$(free_port)
cat >"$TMP/root.yaml" <<YAML
agent: {listen: 127.0.0.1:$port, plugin_dir: $DW_PLUGIN_DIR}
models:
  - {name: m, baseline: $TMP/base.json, probes: [{plugin: push}]}
YAML
ns=(unshare -m)
[ "$(id -u)" = 0 ] || ns=(unshare -rm)
"${ns[@]}" bash -c 'mount -t tmpfs tmpfs /var/lib && exec "$0" run -c "$1"' "$DW_BIN" "$TMP/root.yaml" \
    2>"$TMP/root.log" &
pid=$!
PIDS+=("$pid")
wait_http "http://127.0.0.1:$port/readyz" 20
kill -TERM "$pid"
wait "$pid" || fail "root: the agent exited $?: $(cat "$TMP/root.log")"
expect_contains "$TMP/root.log" "msg=\"state_dir /var/lib/driftwatch (agent.state_dir is not set: running as root, the system default; set agent.state_dir to choose)\""
echo "ok"
