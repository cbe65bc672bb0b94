#!/usr/bin/env bash
# The repository documents itself and refers to nothing outside it:
# 1. no tracked file (outside .git) refers to a document that is not in the repository: the
#    shared design, API-summary and style pages the project started from, by name or by path;
# 2. every metric family the code registers is described in docs/metrics.md;
# 3. every key the config parser accepts is described in docs/configuration.md;
# 4. every docs/*.md link to another docs page points at a file that exists.
source "$DW_SRC/tests/lib.sh"

cd "$DW_SRC"
# Both patterns are built from pieces so this file does not match itself.
design="(DESIGN|EXTERNAL|STYLE)""\.md"
shared="(\.\./|/work/)""shared"
git ls-files -z >"$TMP/files" 2>/dev/null || true
if [ ! -s "$TMP/files" ]; then # not a git checkout (a source tarball): every file
    find . -path ./.git -prune -o -type f -print0 | sed -z 's#^\./##' >"$TMP/files"
fi
: >"$TMP/outside"
xargs -0 -a "$TMP/files" grep -I -n -E "$design|$shared" -- >"$TMP/outside" 2>/dev/null || true
if [ -s "$TMP/outside" ]; then
    head -n 40 "$TMP/outside" >&2
    fail "$(wc -l <"$TMP/outside") line(s) refer to a document outside the repository; point to docs/ instead"
fi

# 2. metric names: every "driftwatch_..." string literal of the code, but the few that are not
# metrics (the profile's and a trainer record's format keys, the plugin symbol).
grep -rhoE '"driftwatch_[a-z0-9_]+"' --include='*.c' --include='*.h' core plugins probes alerts | tr -d '"' |
    sort -u | grep -vxE 'driftwatch_(profile|plugin|command_record)' >"$TMP/metrics"
[ -s "$TMP/metrics" ] || fail "found no metric names in the code"
missing=0
while read -r m; do
    grep -qF "\`$m\`" docs/metrics.md || { echo "not in docs/metrics.md: $m" >&2; missing=1; }
done <"$TMP/metrics"
[ "$missing" = 0 ] || fail "metric families missing from docs/metrics.md"

# 3. config keys: every name in the parser's key tables (static const char *const ..._keys[]).
"$PYTHON3" - core/config/config.c docs/configuration.md <<'PY' || fail "config keys missing from docs/configuration.md"
import re, sys
src, doc = open(sys.argv[1]).read(), open(sys.argv[2]).read()
keys = set()
for table in re.findall(r"const char \*const \w*keys\[\] = \{(.*?)\};", src, re.S):
    keys.update(re.findall(r'"([a-z_]+)"', table))
missing = sorted(k for k in keys if f"`{k}`" not in doc and f"`{k}:" not in doc and f".{k}`" not in doc)
for k in missing:
    print("not in docs/configuration.md:", k, file=sys.stderr)
assert len(keys) > 30, keys
sys.exit(1 if missing else 0)
PY

# 4. links between the docs pages
bad=0
for f in docs/*.md; do
    for target in $(grep -oE '\]\([a-z0-9_-]+\.md' "$f" | sed 's/](//'); do
        [ -f "docs/$target" ] || { echo "$f links to docs/$target, which does not exist" >&2; bad=1; }
    done
done
[ "$bad" = 0 ] || fail "broken links between docs pages"
echo "ok"
