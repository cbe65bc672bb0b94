#!/usr/bin/env bash
# The build stage of packaging/Dockerfile (and of scripts/package-check.sh): on Debian 12 as root,
# installs the build dependencies, builds driftwatch for the /usr prefix without tests and makes
# the .deb with CPack.  Usage: packaging/build-in-container.sh SRC_DIR OUT_DIR
# Writes OUT_DIR/driftwatch_<version>_<arch>.deb; the build tree is OUT_DIR/build.
set -euo pipefail
src=$(cd "${1:?usage: build-in-container.sh SRC_DIR OUT_DIR}" && pwd)
out=${2:?usage: build-in-container.sh SRC_DIR OUT_DIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)

# The build half of scripts/debian-packages.txt; dpkg-dev (dpkg-shlibdeps) and file let CPack
# compute the package's Depends from what the binary and plugins link.
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    build-essential cmake pkg-config dpkg-dev file \
    libcurl4-openssl-dev libjansson-dev libyaml-dev libgsl-dev libmicrohttpd-dev libssl-dev zlib1g-dev >/dev/null

cmake -S "$src" -B "$out/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr \
    -DDW_TESTS=OFF >/dev/null
cmake --build "$out/build" -j"$(nproc)" >/dev/null
(cd "$out/build" && cpack -G DEB >/dev/null)
cp "$out/build"/driftwatch_*.deb "$out/"
ls "$out"/driftwatch_*.deb
