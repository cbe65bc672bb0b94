# Sourced by scripts/fresh-check.sh and scripts/package-check.sh: minimal Debian 12 roots
# shellcheck shell=bash
# (`debootstrap --variant=minbase bookworm`, plus git and ca-certificates) to run things in as root.
#
# fresh_root_init         needs root; installs debootstrap if missing; builds the pristine root once
#                         and caches it as a tarball in $DW_FRESH_CACHE (default
#                         /var/cache/driftwatch-fresh; mirror $DW_FRESH_MIRROR); sets an EXIT trap
#                         that unmounts and removes every root made by fresh_root_new.
# fresh_root_new VAR      unpacks a new copy of the pristine root under /var/tmp, mounts proc, sys,
#                         dev, dev/pts, dev/shm and copies resolv.conf; stores its path in VAR.
# fresh_root_run ROOT CMD runs CMD with bash inside ROOT in a bare environment (nothing of this
#                         machine's, CI=true included, leaks in), working directory /.
# The caller has `set -euo pipefail`; $fresh_name prefixes messages.

fresh_name=${fresh_name:-fresh-root}
fresh_roots=()

fresh_root_cleanup() {
    local r m
    for r in "${fresh_roots[@]}"; do
        for m in dev/pts dev/shm dev proc sys ""; do
            if mountpoint -q "$r/$m" 2>/dev/null; then umount -l "$r/$m" || true; fi
        done
        rm -rf "$r"
    done
}

fresh_root_init() {
    [ "$(id -u)" -eq 0 ] || { echo "$fresh_name: needs root (debootstrap, chroot, mount)" >&2; exit 2; }
    fresh_cache=${DW_FRESH_CACHE:-/var/cache/driftwatch-fresh}
    local mirror=${DW_FRESH_MIRROR:-http://deb.debian.org/debian}
    if ! command -v debootstrap >/dev/null; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
    fi
    mkdir -p "$fresh_cache"
    fresh_tarball="$fresh_cache/bookworm-minbase.tar"
    if [ ! -s "$fresh_tarball" ]; then
        echo "$fresh_name: building the minimal Debian 12 root (cached in $fresh_tarball)"
        local base
        base=$(mktemp -d /var/tmp/dw-fresh-base.XXXXXX)
        debootstrap --variant=minbase --include=git,ca-certificates bookworm "$base" "$mirror" \
            >"$fresh_cache/debootstrap.log" 2>&1 ||
            { tail -20 "$fresh_cache/debootstrap.log" >&2; rm -rf "$base"; exit 1; }
        tar -C "$base" -cf "$fresh_tarball.tmp" . && mv "$fresh_tarball.tmp" "$fresh_tarball"
        rm -rf "$base"
    fi
    trap fresh_root_cleanup EXIT
}

fresh_root_new() {
    local r
    r=$(mktemp -d /var/tmp/dw-fresh.XXXXXX)
    fresh_roots+=("$r")
    tar -C "$r" -xf "$fresh_tarball"
    # The root bound onto itself, private: inside the chroot / is then a mount point of its own, as
    # on a real machine, so `unshare -m` (which makes / private) works there (a test uses it).
    mount --bind "$r" "$r"
    mount --make-private "$r"
    # /dev is bound (not rbind) and /dev/pts, /dev/shm mounted anew so unmounting never reaches the host's.
    mount -t proc proc "$r/proc"
    mount -t sysfs sys "$r/sys"
    mount --bind /dev "$r/dev"
    mount -t devpts -o newinstance devpts "$r/dev/pts" 2>/dev/null || mount --bind /dev/pts "$r/dev/pts"
    mount -t tmpfs -o mode=1777 shm "$r/dev/shm"
    cp /etc/resolv.conf "$r/etc/resolv.conf"
    printf -v "$1" '%s' "$r"
}

fresh_root_run() {
    local r=$1
    shift
    env -i HOME=/root TERM=dumb LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        chroot "$r" /bin/bash -c "cd / && $*"
}
