#!/usr/bin/env bash
# Proves the README's commands on a really fresh Debian 12: a minimal `debootstrap --variant=minbase
# bookworm` root with only git and ca-certificates added, a clean clone of this repository's HEAD
# inside it, and the README's commands run there as root. A package the setup step forgets fails
# here, where a developer's or CI's machine would hide it.
#
# Usage (as root):  scripts/fresh-check.sh [all|demo|plain]
#   all    README command 1 (bash scripts/demo.sh), then command 2 (bash scripts/test.sh)
#   demo   README command 1 only
#   plain  the setup step, then the plain build and its ctest suite (what CI runs on every submission)
# The pristine root is built once and cached as a tarball in $DW_FRESH_CACHE
# (default /var/cache/driftwatch-fresh); every run unpacks a new copy and removes it afterwards
# (scripts/fresh-root.sh, shared with scripts/package-check.sh).
set -euo pipefail
mode=${1:-all}
case "$mode" in all | demo | plain) ;; *) echo "usage: $0 [all|demo|plain]" >&2; exit 2 ;; esac
src=$(cd "$(dirname "$0")/.." && pwd)
fresh_name=fresh-check
# shellcheck source=scripts/fresh-root.sh
. "$src/scripts/fresh-root.sh"
fresh_root_init
fresh_root_new root

# A clean clone of what is committed (not the work tree): what a user or CI would get.
git clone -q --no-local "$src" "$root/src/driftwatch"
echo "fresh-check: $(git -C "$src" log -1 --format='%h %s' | cut -c1-80) in a fresh Debian $(cat "$root/etc/debian_version") root"

case "$mode" in
all) run='bash scripts/demo.sh && bash scripts/test.sh' ;;
demo) run='bash scripts/demo.sh' ;;
plain) run='bash scripts/setup-debian.sh && bash scripts/build.sh build && ctest --test-dir build --output-on-failure -j2' ;;
esac
# A bare environment: nothing of this machine's (CI=true included) leaks into the fresh root.
fresh_root_run "$root" "cd /src/driftwatch && $run"
echo "fresh-check: $mode passed in a fresh Debian 12 root"
