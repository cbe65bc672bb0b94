#!/usr/bin/env bash
# Runs each fuzz target of tests/fuzz under libFuzzer for a fixed time, one process at a time, and
# prints per target: executions, exec/s, coverage (libFuzzer's cov: and ft:), corpus size, findings.
# The committed seeds (tests/fuzz/corpus/<target>) are only read: new inputs go to a scratch copy.
# usage: bench/fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]      (default 120 s, every target)
#        targets: yaml_config csv jsonl profile ingest sample_check cron values dvc proxy_tap vertex_response
# env:   BUILD (default build-fuzz; configured with CC=clang -DDW_FUZZ=ON and built when missing),
#        OUT (findings and logs, default $BUILD/fuzz-out; kept), FUZZ_FLAGS (extra libFuzzer flags),
#        KEEP_CORPUS=1 (keep the grown corpora in $OUT/<target>/corpus)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SECONDS_PER=${1:-120}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(yaml_config csv jsonl profile ingest sample_check cron values dvc proxy_tap vertex_response)
BUILD=${BUILD:-$ROOT/build-fuzz}
OUT=${OUT:-$BUILD/fuzz-out}

SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT
mkdir -p "$OUT"
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
    CC=clang cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDW_FUZZ=ON >"$SCRATCH/build.log" 2>&1 ||
        { cat "$SCRATCH/build.log" >&2; exit 1; }
fi
cmake --build "$BUILD" -j2 --target dw_fuzzers >"$SCRATCH/build.log" 2>&1 || { cat "$SCRATCH/build.log" >&2; exit 1; }

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); ${SECONDS_PER} s per target, one process"
printf '%-16s %12s %8s %6s %7s %8s %s\n' TARGET EXECUTIONS EXEC/S COV FT CORPUS FINDINGS
status=0
for t in "${TARGETS[@]}"; do
    bin="$BUILD/tests/fuzz/${t}_fuzzer"
    seeds="$ROOT/tests/fuzz/corpus/$t"
    [ -x "$bin" ] || { echo "$t: no $bin" >&2; status=1; continue; }
    work="$OUT/$t"
    rm -rf "$work"
    mkdir -p "$work/corpus" "$work/artifacts" "$SCRATCH/$t"
    # stdin from /dev/null: a parser told to read /dev/stdin (a secret file, a git ref) must not block.
    # TMPDIR: the targets' scratch files stay in this run's directory.
    TMPDIR="$SCRATCH/$t" "$bin" -max_total_time="$SECONDS_PER" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$work/artifacts/" ${FUZZ_FLAGS:-} \
        "$work/corpus" "$seeds" </dev/null >"$work/log" 2>&1 || true
    last=$(grep -E '^#[0-9]+' "$work/log" | tail -1)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log" | tail -1)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9]*[a-zA-Z]*\).*/\1/p' <<<"$last")
    found=$(find "$work/artifacts" -type f | wc -l)
    printf '%-16s %12s %8s %6s %7s %8s %s\n' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" \
        "$([ "$found" -eq 0 ] && echo none || echo "$found: see below")"
    if [ "$found" -ne 0 ]; then
        status=1
        find "$work/artifacts" -type f | sed 's/^/    input: /'
        grep -m3 -E 'SUMMARY:|fuzz invariant broken|runtime error' "$work/log" | sed 's/^/    /' || true
    fi
    [ -n "${KEEP_CORPUS:-}" ] || rm -rf "$work/corpus"
done
echo "logs and findings: $OUT/<target>/{log,artifacts/}"
exit $status
