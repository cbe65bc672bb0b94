#!/usr/bin/env bash
# Times pca_reconstruction and mmd (bench_multivariate) and numpy's SVD path on the same data.
#   bench/multivariate/run.sh [BUILD_DIR] [REF_ROWS] [WINDOW_ROWS] [FEATURES]   (default 5000 10000 100)
# Single core for the numpy side too (OPENBLAS_NUM_THREADS=1), as the C side is single-threaded.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="${1:-$here/../../build}"
nr="${2:-5000}" nw="${3:-10000}" p="${4:-100}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$build/bench/multivariate/bench_multivariate" "$nr" "$nw" "$p" "$tmp"
OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 "${PYTHON3:-/usr/bin/python3}" "$here/numpy_pca.py" "$tmp" "$nr" "$nw" "$p"
echo "numpy, all threads:"
"${PYTHON3:-/usr/bin/python3}" "$here/numpy_pca.py" "$tmp" "$nr" "$nw" "$p" | grep total
