#!/usr/bin/env bash
# Proves the README's commands on a really fresh Debian 12: a minimal `debootstrap --variant=minbase
# bookworm` root with only git and ca-certificates added, a clean clone of this repository's HEAD
# inside it, and the README's commands run there as root. A package the setup step forgets fails
# here, where a developer's or CI's machine would hide it.
#
# Usage (as root):  scripts/fresh-check.sh [all|plain]
#   all    README command 1 (bash scripts/demo.sh), then command 2 (bash scripts/test.sh)
#   plain  the setup step, then the plain build and its ctest suite (what CI runs on every submission)
# The pristine root is built once and cached as a tarball in $DW_FRESH_CACHE
# (default /var/cache/driftwatch-fresh); every run unpacks a new copy and removes it afterwards.
set -euo pipefail
mode=${1:-all}
case "$mode" in all | plain) ;; *) echo "usage: $0 [all|plain]" >&2; exit 2 ;; esac
src=$(cd "$(dirname "$0")/.." && pwd)
cache=${DW_FRESH_CACHE:-/var/cache/driftwatch-fresh}
mirror=${DW_FRESH_MIRROR:-http://deb.debian.org/debian}
[ "$(id -u)" -eq 0 ] || { echo "fresh-check: needs root (debootstrap, chroot, mount)" >&2; exit 2; }

if ! command -v debootstrap >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
fi

mkdir -p "$cache"
tarball="$cache/bookworm-minbase.tar"
if [ ! -s "$tarball" ]; then
    echo "fresh-check: building the minimal Debian 12 root (cached in $tarball)"
    base=$(mktemp -d /var/tmp/dw-fresh-base.XXXXXX)
    debootstrap --variant=minbase --include=git,ca-certificates bookworm "$base" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
        { tail -20 "$cache/debootstrap.log" >&2; rm -rf "$base"; exit 1; }
    tar -C "$base" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf "$base"
fi

root=$(mktemp -d /var/tmp/dw-fresh.XXXXXX)
unmount_all() {
    for m in dev/pts dev/shm dev proc sys; do
        mountpoint -q "$root/$m" 2>/dev/null && umount -l "$root/$m" || true
    done
    rm -rf "$root"
}
trap unmount_all EXIT
tar -C "$root" -xf "$tarball"
# /dev is bound (not rbind) and /dev/pts, /dev/shm mounted anew so unmounting never reaches the host's.
mount -t proc proc "$root/proc"
mount -t sysfs sys "$root/sys"
mount --bind /dev "$root/dev"
mount -t devpts -o newinstance devpts "$root/dev/pts" 2>/dev/null || mount --bind /dev/pts "$root/dev/pts"
mount -t tmpfs -o mode=1777 shm "$root/dev/shm"
cp /etc/resolv.conf "$root/etc/resolv.conf"

# A clean clone of what is committed (not the work tree): what a user or CI would get.
git clone -q --no-local "$src" "$root/src/driftwatch"
echo "fresh-check: $(git -C "$src" log -1 --format='%h %s' | cut -c1-80) in a fresh Debian $(cat "$root/etc/debian_version") root"

case "$mode" in
all) run='bash scripts/demo.sh && bash scripts/test.sh' ;;
plain) run='bash scripts/setup-debian.sh && bash scripts/build.sh build && ctest --test-dir build --output-on-failure -j2' ;;
esac
# A bare environment: nothing of this machine's (CI=true included) leaks into the fresh root.
env -i HOME=/root TERM=dumb LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    chroot "$root" /bin/bash -c "cd /src/driftwatch && $run"
echo "fresh-check: $mode passed in a fresh Debian 12 root"
