#!/usr/bin/env bash
# docs/plugin-options.md is generated from the plugins' option tables: regenerate it with the
# built plugins and fail on any difference (an option added, renamed or re-described without the
# page following). To update the page: driftwatch plugins --format markdown > docs/plugin-options.md
source "$DW_SRC/tests/lib.sh"

"$DW_BIN" plugins --plugin-dir "$DW_PLUGIN_DIR" --format markdown >"$TMP/plugin-options.md" 2>"$TMP/err" ||
    fail "driftwatch plugins --format markdown: $(cat "$TMP/err")"
grep -qF "$DW_PLUGIN_DIR" "$TMP/plugin-options.md" && fail "the generated page names the build's plugin directory"
if ! diff -u "$DW_SRC/docs/plugin-options.md" "$TMP/plugin-options.md" >"$TMP/diff"; then
    head -n 80 "$TMP/diff" >&2
    fail "docs/plugin-options.md is out of date: run $DW_BIN plugins --plugin-dir $DW_PLUGIN_DIR --format markdown > docs/plugin-options.md"
fi
echo "ok"
