# The CLI paths under valgrind (plain build only: valgrind cannot run a sanitizer build): baseline
# from CSV and JSON Lines, check (text and JSON, drifted and not, a file of bad rows), report,
# validate (a good config and one with a misspelt option), plugins. Each keeps its documented exit
# code, and valgrind finds no invalid access and no definitely or indirectly lost block.
source "$DW_SRC/tests/lib.sh"
need_tool valgrind valgrind

DATA="$DW_SRC/examples/data"
VG=(valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99 -q)
n=0
# under_valgrind EXPECTED_RC ARGS...: driftwatch ARGS under valgrind must exit EXPECTED_RC, quietly.
under_valgrind() {
    local want=$1 rc=0
    shift
    n=$((n + 1))
    "${VG[@]}" "$DW_BIN" "$@" >"$TMP/out.$n" 2>"$TMP/err.$n" || rc=$?
    [ "$rc" != 99 ] || fail "valgrind found errors in 'driftwatch $*': $(grep -m 20 '==' "$TMP/err.$n")"
    [ "$rc" = "$want" ] || fail "'driftwatch $*' exited $rc under valgrind, expected $want: $(tail -n 5 "$TMP/err.$n")"
    if grep -q '^==[0-9]*==' "$TMP/err.$n"; then
        fail "valgrind reported on 'driftwatch $*': $(grep -m 20 '^==' "$TMP/err.$n")"
    fi
}

under_valgrind 0 baseline --data "$DATA/train.csv" --out "$TMP/b.json" --prediction prediction
under_valgrind 0 baseline --data "$DATA/serving_drifted.jsonl" --out "$TMP/j.json"
under_valgrind 2 check --baseline "$TMP/b.json" --data "$DATA/serving_drifted.csv"
under_valgrind 0 check --baseline "$TMP/b.json" --data "$DATA/serving_ok.csv" --format json
under_valgrind 2 check --baseline "$TMP/b.json" --data "$DATA/serving_drifted.jsonl" --format json
printf '{"amount": [1]}\n{bad\n' >"$TMP/bad.jsonl"
under_valgrind 3 check --baseline "$TMP/b.json" --data "$TMP/bad.jsonl"
under_valgrind 0 report --baseline "$TMP/b.json" --data "$DATA/serving_drifted.csv" --out "$TMP/r.html"
cat >"$TMP/good.yaml" <<YAML
agent: {listen: 127.0.0.1:0, state_dir: $TMP/state, plugin_dir: $DW_PLUGIN_DIR}
models:
  - {name: fraud, baseline: $TMP/b.json, probes: [{plugin: push}], on_drift: {alerts: [logs]}}
alerts:
  - {name: logs, plugin: log}
YAML
under_valgrind 0 validate -c "$TMP/good.yaml"
sed 's/plugin: log}/plugin: log, levle: warn}/' "$TMP/good.yaml" >"$TMP/bad.yaml"
under_valgrind 1 validate -c "$TMP/bad.yaml"
expect_contains "$TMP/err.$n" "unknown option 'levle'"
under_valgrind 0 plugins --plugin-dir "$DW_PLUGIN_DIR"
echo "ok: $n CLI runs clean under valgrind"
