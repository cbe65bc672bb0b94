# CLI error paths: each bad invocation prints one clear line and exits non-zero.
source "$DW_SRC/tests/lib.sh"

# run_expect EXIT_CODE EXPECTED_STDERR_FRAGMENT -- ARGS...
run_expect() {
    local code=$1 text=$2
    shift 3
    local rc=0
    "$DW_BIN" "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
    [ "$rc" -eq "$code" ] || { cat "$TMP/err" >&2; fail "driftwatch $* exited $rc, expected $code"; }
    expect_contains "$TMP/err" "$text"
}

run_expect 2 "driftwatch: unknown command 'frobnicate' (run 'driftwatch --help')" -- frobnicate
run_expect 2 "driftwatch run: unknown option '--bogus' (see --help)" -- run --bogus
run_expect 2 "driftwatch run: missing -c FILE (see --help)" -- run
run_expect 2 "driftwatch validate: option '-c' needs a value (see --help)" -- validate -c
run_expect 1 "/nonexistent/dw.yaml: cannot open: No such file or directory" -- validate -c /nonexistent/dw.yaml
run_expect 1 "/nonexistent/dw.yaml: cannot open: No such file or directory" -- run -c /nonexistent/dw.yaml

# Every subcommand reads its arguments with the one parser (core/cli/cliargs.c): -h and --help
# print the command's usage on stdout and exit 0; a usage error is one line on stderr, exit 2 (3
# for check, whose exit codes are a monitoring plugin's: 2 would be dataset drift).
for cmd in run validate plugins vertex baseline check report; do
    code=2
    [ "$cmd" != check ] || code=3
    for help in -h --help; do
        rc=0
        "$DW_BIN" "$cmd" "$help" >"$TMP/help.txt" 2>"$TMP/err" || rc=$?
        [ "$rc" -eq 0 ] || fail "driftwatch $cmd $help exited $rc"
        expect_contains "$TMP/help.txt" "usage: driftwatch $cmd "
        [ ! -s "$TMP/err" ] || { cat "$TMP/err" >&2; fail "driftwatch $cmd $help wrote to stderr"; }
    done
    run_expect "$code" "driftwatch $cmd: unknown option '--bogus' (see --help)" -- "$cmd" --bogus
    run_expect "$code" "driftwatch $cmd: unknown option '-x' (see --help)" -- "$cmd" -x
    run_expect "$code" "driftwatch $cmd: option '--help' takes no value (see --help)" -- "$cmd" --help=1
    [ "$cmd" = plugins ] || run_expect "$code" "driftwatch $cmd: option '-c' needs a value (see --help)" -- "$cmd" -c
    [ "$cmd" = vertex ] || run_expect "$code" "driftwatch $cmd: unexpected argument 'stray' (see --help)" -- "$cmd" stray
done
run_expect 2 "driftwatch plugins: --format must be text or markdown, not 'xml'" -- plugins --format=xml
run_expect 2 "driftwatch vertex: need exactly one ACTION and -c FILE (see --help)" -- vertex deploy
run_expect 2 "driftwatch vertex: need exactly one ACTION, not 'deploy' and 'undeploy' (see --help)" -- vertex deploy undeploy -c x.yaml
run_expect 2 "driftwatch vertex: --param wants KEY=VALUE, not 'endpoint'" -- vertex deploy -c x.yaml --param endpoint
run_expect 2 "driftwatch vertex: --option wants KEY=VALUE, not '=p'" -- vertex deploy -c x.yaml --option =p
run_expect 2 "driftwatch vertex: --params: not a JSON object" -- vertex deploy -c x.yaml --params '[1]'
run_expect 2 "driftwatch baseline: --seed: expected a non-negative integer, got ' -1'" -- baseline --seed ' -1'
"$DW_BIN" vertex --help >"$TMP/help.txt"
expect_contains "$TMP/help.txt" "(the previous model gets 100% again)"

"$DW_BIN" version | grep -Eq '^driftwatch [0-9]+\.[0-9]+\.[0-9]+$' || fail "version output"
"$DW_BIN" --help >"$TMP/help.txt" && grep -q "usage: driftwatch <command>" "$TMP/help.txt" || fail "--help output"
"$DW_BIN" run --help >"$TMP/help.txt" && grep -q "usage: driftwatch run -c FILE" "$TMP/help.txt" || fail "run --help output"

# A config naming a plugin that does not exist: position, plugin and path in one line.
cat >"$TMP/bad_plugin.yaml" <<YAML
agent: {state_dir: $TMP/state}
alerts:
  - {name: pager, plugin: pagerduty}
YAML
run_expect 1 "$TMP/bad_plugin.yaml:3:5: plugin 'pagerduty': $DW_PLUGIN_DIR/pagerduty.so: No such file or directory" -- validate -c "$TMP/bad_plugin.yaml"

# Unknown plugin option, with position.
cat >"$TMP/bad_option.yaml" <<YAML
alerts:
  - name: logs
    plugin: log
    levle: warn
YAML
run_expect 1 "$TMP/bad_option.yaml:4:5: plugin 'log': unknown option 'levle'" -- validate -c "$TMP/bad_option.yaml"

# A plugin built for another ABI (from the test plugin dir).
cat >"$TMP/bad_abi.yaml" <<YAML
agent: {plugin_dir: $DW_BAD_PLUGIN_DIR}
alerts:
  - {name: x, plugin: abi1sink}
YAML
run_expect 1 "plugin 'abi1sink': $DW_BAD_PLUGIN_DIR/abi1sink.so was built for plugin ABI 1, this driftwatch speaks ABI 2: rebuild it" -- validate -c "$TMP/bad_abi.yaml"

# A plugin directory others can write to is refused (they could swap in code).
mkdir -p "$TMP/openplugins" && cp "$DW_PLUGIN_DIR/log.so" "$TMP/openplugins/" && chmod 0777 "$TMP/openplugins"
cat >"$TMP/open_plugins.yaml" <<YAML
agent: {plugin_dir: $TMP/openplugins}
alerts:
  - {name: logs, plugin: log}
YAML
run_expect 1 "plugin 'log': plugin directory $TMP/openplugins is writable by others (mode 777): refusing to load code from it" -- validate -c "$TMP/open_plugins.yaml"

# plugins lists documented options, and flags broken plugins with exit 1.
"$DW_BIN" plugins --plugin-dir "$DW_PLUGIN_DIR" >"$TMP/plugins.txt"
expect_contains "$TMP/plugins.txt" "log  kind=alert version=1.0.0 abi=2"
expect_contains "$TMP/plugins.txt" "level                  string   optional, default warn"
rc=0
"$DW_BIN" plugins --plugin-dir "$DW_BAD_PLUGIN_DIR" >"$TMP/bad.txt" 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "plugins over broken plugins exited $rc"
expect_contains "$TMP/bad.txt" "nosymbol  BROKEN: plugin 'nosymbol'"
expect_contains "$TMP/bad.txt" "does not export the symbol 'driftwatch_plugin'"
echo "ok"
