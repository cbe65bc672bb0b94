#!/usr/bin/env bash
# The runtime stage of packaging/Dockerfile (and of scripts/package-check.sh): on Debian 12 (slim)
# as root, installs the driftwatch .deb with apt so its Depends come from the Debian mirror,
# creates the non-root user the image runs as, and installs the HEALTHCHECK command.
# Usage: packaging/runtime-setup.sh DEB_FILE
set -euo pipefail
deb=$(realpath "${1:?usage: runtime-setup.sh DEB_FILE}")
here=$(cd "$(dirname "$0")" && pwd)

apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$deb" >/dev/null
rm -rf /var/lib/apt/lists/*

# uid/gid 65532, as examples/k8s/sidecar.yaml's runAsUser/runAsGroup; state_dir owned by it, 0700
# (the agent refuses a state_dir writable by others).
groupadd --system -K SYS_GID_MAX=65532 --gid 65532 driftwatch
useradd --system -K SYS_UID_MAX=65532 --uid 65532 --gid 65532 --home-dir /var/lib/driftwatch --no-create-home \
    --shell /usr/sbin/nologin driftwatch
install -d -o driftwatch -g driftwatch -m 0700 /var/lib/driftwatch
install -m 0755 "$here/healthcheck.sh" /usr/local/bin/driftwatch-healthcheck
