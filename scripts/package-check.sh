#!/usr/bin/env bash
# Proves the .deb and the container image's steps on a really fresh Debian 12 (scripts/fresh-root.sh):
# in one minimal root, packaging/build-in-container.sh (the Dockerfile's build stage) builds the .deb
# from a clean clone of HEAD; in a second one, packaging/runtime-setup.sh (its runtime stage) installs
# it with apt, Depends resolved from the Debian mirror. Then, from the installed paths only:
# `driftwatch version`, `plugins`, `validate` of the default config, a baseline and one-shot checks
# of the bundled example data, the conffile, no build tool pulled in, and the agent run as the
# image's user 65532 answering the image's HEALTHCHECK.
# Usage (as root): scripts/package-check.sh     (CI runs it through scripts/test.sh with CI=true)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
fresh_name=package-check
# shellcheck source=scripts/fresh-root.sh
. "$src/scripts/fresh-root.sh"
fresh_root_init
t0=$SECONDS

fresh_root_new build
git clone -q --no-local "$src" "$build/src/driftwatch"
echo "package-check: $(git -C "$src" log -1 --format='%h %s' | cut -c1-80)"
fresh_root_run "$build" "bash /src/driftwatch/packaging/build-in-container.sh /src/driftwatch /out"
debs=("$build"/out/driftwatch_*.deb)
[ "${#debs[@]}" -eq 1 ] && [ -s "${debs[0]}" ] || { echo "package-check: expected one .deb, got: ${debs[*]}" >&2; exit 1; }
deb=${debs[0]}
echo "package-check: built $(basename "$deb") in $((SECONDS - t0)) s"

fresh_root_new run
mkdir -p "$run/tmp/deb" "$run/tmp/setup"
cp "$deb" "$run/tmp/deb/"
cp "$build/src/driftwatch/packaging/runtime-setup.sh" "$build/src/driftwatch/packaging/healthcheck.sh" "$run/tmp/setup/"
fresh_root_run "$run" "bash /tmp/setup/runtime-setup.sh /tmp/deb/driftwatch_*.deb && rm -rf /tmp/deb /tmp/setup"

# Each step says what it checks; the first failure stops the run with its output.
fresh_root_run "$run" '
set -euo pipefail
step() { echo "package-check: $*"; }
fail() { echo "package-check: FAIL: $*" >&2; exit 1; }
ex=/usr/share/driftwatch/examples/data

step "driftwatch version"
[ "$(command -v driftwatch)" = /usr/bin/driftwatch ] || fail "driftwatch is not /usr/bin/driftwatch"
driftwatch version

step "driftwatch plugins (from the installed plugin directory)"
driftwatch plugins >/tmp/plugins.txt
for p in tail push proxy sampler alertmanager webhook; do
    grep -q "^$p " /tmp/plugins.txt || { cat /tmp/plugins.txt; fail "plugin $p not listed"; }
done
ls -d /usr/lib/*/driftwatch/plugins >/dev/null || fail "no plugin directory under /usr/lib"

step "driftwatch validate -c /etc/driftwatch/driftwatch.yaml"
driftwatch validate -c /etc/driftwatch/driftwatch.yaml | tee /tmp/validate.txt
grep -q "plugins from /usr/lib/.*/driftwatch/plugins" /tmp/validate.txt || fail "validate did not use the installed plugins"

step "the default config is a conffile"
dpkg-query -W -f="\${Conffiles}\n" driftwatch | grep -q "^ /etc/driftwatch/driftwatch.yaml " || fail "not a conffile"

step "unit, dashboards, examples, docs installed"
for f in /usr/lib/systemd/system/driftwatch.service /usr/share/doc/driftwatch/README.md \
         $ex/train.csv $ex/serving_ok.csv $ex/serving_drifted.csv \
         /usr/share/driftwatch/dashboards/rules/driftwatch-rules.yml; do
    [ -s "$f" ] || fail "missing $f"
done
grep -q "^ExecStart=/usr/bin/driftwatch run" /usr/lib/systemd/system/driftwatch.service || fail "unit does not run /usr/bin/driftwatch"

step "only runtime libraries installed (no compiler, no -dev package)"
! dpkg-query -W -f="\${Package}\n" | grep -E "^(gcc|cc|cmake|make)$|-dev$" || fail "build packages installed"

step "baseline + one-shot check on the bundled example data"
driftwatch baseline --data $ex/train.csv --out /tmp/baseline.json
rc=0; driftwatch check --baseline /tmp/baseline.json --data $ex/serving_ok.csv >/tmp/ok.txt || rc=$?
[ "$rc" -eq 0 ] || { cat /tmp/ok.txt; fail "check of serving_ok.csv exited $rc, want 0"; }
rc=0; driftwatch check --baseline /tmp/baseline.json --data $ex/serving_drifted.csv >/tmp/drift.txt || rc=$?
[ "$rc" -eq 2 ] || { cat /tmp/drift.txt; fail "check of serving_drifted.csv exited $rc, want 2 (dataset drift)"; }
echo "serving_ok.csv: exit 0, serving_drifted.csv: exit 2"

step "the agent as user 65532 with the default config answers the HEALTHCHECK"
[ "$(id -u driftwatch)" = 65532 ] || fail "user driftwatch is not 65532"
[ "$(stat -c %U:%a /var/lib/driftwatch)" = driftwatch:700 ] || fail "/var/lib/driftwatch not driftwatch:700"
export DRIFTWATCH_LISTEN=127.0.0.1:19464
setpriv --reuid=65532 --regid=65532 --clear-groups driftwatch run -c /etc/driftwatch/driftwatch.yaml >/tmp/agent.log 2>&1 &
pid=$!
ok=0
for _ in $(seq 50); do
    if setpriv --reuid=65532 --regid=65532 --clear-groups /usr/local/bin/driftwatch-healthcheck 2>/dev/null; then ok=1; break; fi
    sleep 0.1
done
kill -TERM $pid; wait $pid || true
[ "$ok" = 1 ] || { cat /tmp/agent.log; fail "no healthy /healthz within 5 s"; }
echo "healthy"
'
echo "package-check: passed in $((SECONDS - t0)) s ($(basename "$deb") built and installed in fresh Debian 12 roots)"
