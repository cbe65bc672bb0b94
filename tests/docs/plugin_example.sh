#!/usr/bin/env bash
# docs/plugins.md's worked example, as a user would do it: install driftwatch into a prefix
# (cmake --install), take the example plugin's source and its cc command from the page, build it
# out of tree against the installed header only, and run the installed agent with it: `plugins`
# lists it, `validate` checks its options, and a drifted window becomes a line in its file.
source "$DW_SRC/tests/lib.sh"

# DESTDIR: every file, including those with absolute destinations (the plugin directory), lands
# under $TMP/root; nothing of the machine's own prefix is touched.
DESTDIR="$TMP/root" cmake --install "$DW_BUILD" >"$TMP/install.log" 2>&1 ||
    fail "cmake --install: $(cat "$TMP/install.log")"
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$DW_BUILD/CMakeCache.txt")
PREFIX="$TMP/root$prefix"
[ -f "$PREFIX/include/driftwatch/plugin.h" ] || fail "cmake --install did not install include/driftwatch/plugin.h"

# The source after <!-- example: file_alert.c --> and the cc command after <!-- example: build -->.
"$PYTHON3" - "$DW_SRC/docs/plugins.md" "$TMP" <<'PY' || fail "could not extract the example from docs/plugins.md"
import re, sys
page, out = open(sys.argv[1]).read(), sys.argv[2]
def block(marker):
    m = re.search(r"<!-- example: " + re.escape(marker) + r" -->\n```[a-z]*\n(.*?)```", page, re.S)
    assert m, marker
    return m.group(1)
open(f"{out}/file_alert.c", "w").write(block("file_alert.c"))
build = block("build").replace("\\\n", " ")
cc = [l for l in build.splitlines() if l.startswith("cc ")]
assert len(cc) == 1, build
open(f"{out}/cc.sh", "w").write(cc[0] + "\n")
PY
grep -qF -- '-I/usr/local/include' "$TMP/cc.sh" || fail "the page's cc command does not use the installed header"
sed -i "s#-I/usr/local/include#-I$PREFIX/include#" "$TMP/cc.sh"
# Nothing of the source tree on the include path: only the installed header.
(cd "$TMP" && CPATH= C_INCLUDE_PATH= bash cc.sh) >"$TMP/cc.log" 2>&1 || fail "building the example: $(cat "$TMP/cc.log")"

PLUGINS="$TMP/plugins"
mkdir -p "$PLUGINS"
installed=$(find "$TMP/root" -type d -path '*/driftwatch/plugins' | head -n 1)
[ -n "$installed" ] || fail "cmake --install installed no plugin directory"
cp "$installed"/*.so "$PLUGINS"/
install -m 0755 "$TMP/file_alert.so" "$PLUGINS"/
chmod 0755 "$PLUGINS"

"$PREFIX/bin/driftwatch" plugins --plugin-dir "$PLUGINS" >"$TMP/plugins.txt" 2>&1 || fail "plugins: $(cat "$TMP/plugins.txt")"
expect_contains "$TMP/plugins.txt" "file_alert  kind=alert version=1.0.0 abi=2"
expect_contains "$TMP/plugins.txt" "Appends each drift notification to a file as one JSON line."

PORT=$(free_port)
"$DW_BIN" baseline --data "$DW_SRC/examples/data/train.csv" --out "$TMP/base.json" --prediction prediction 2>/dev/null
cat >"$TMP/bad.yaml" <<YAML
agent: {listen: 127.0.0.1:$PORT, state_dir: $TMP/state, plugin_dir: $PLUGINS}
models:
  - {name: fraud, baseline: $TMP/base.json, probes: [{plugin: push}], on_drift: {consecutive: 1, alerts: [file]}}
alerts:
  - {name: file, plugin: file_alert, path: $TMP/alerts.jsonl, repeat: true}
YAML
rc=0
"$PREFIX/bin/driftwatch" validate -c "$TMP/bad.yaml" >"$TMP/validate.txt" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "validate of a misspelt option exited $rc"
expect_contains "$TMP/validate.txt" "plugin 'file_alert': unknown option 'repeat' (run 'driftwatch plugins' to list the options of file_alert)"

sed 's/, repeat: true//' "$TMP/bad.yaml" >"$TMP/dw.yaml"
sed -i "s#probes: \[{plugin: push}\]#window: {size: 500}, probes: [{plugin: push}]#" "$TMP/dw.yaml"
"$PREFIX/bin/driftwatch" validate -c "$TMP/dw.yaml" >"$TMP/validate.txt" 2>&1 || fail "validate: $(cat "$TMP/validate.txt")"
"$PREFIX/bin/driftwatch" run -c "$TMP/dw.yaml" 2>"$TMP/agent.log" &
PIDS+=($!)
wait_http "http://127.0.0.1:$PORT/readyz" 20
head -n 500 "$DW_SRC/examples/data/serving_drifted.jsonl" >"$TMP/drifted.ndjson"
curl -fsS -o /dev/null -H 'Content-Type: application/x-ndjson' --data-binary @"$TMP/drifted.ndjson" \
    "http://127.0.0.1:$PORT/v1/models/fraud/samples" || fail "push"
for _ in $(seq 1 200); do
    [ -s "$TMP/alerts.jsonl" ] && break
    sleep 0.1
done
[ -s "$TMP/alerts.jsonl" ] || { cat "$TMP/agent.log" >&2; fail "no notification in the example plugin's file"; }
expect_contains "$TMP/alerts.jsonl" '{"model": "fraud", "firing": true, "drift_share": '
expect_contains "$TMP/agent.log" "model=fraud notification written to $TMP/alerts.jsonl"
echo "ok"
