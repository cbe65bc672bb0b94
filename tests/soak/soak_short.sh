# 45 s of concurrent push ingest, /metrics scrapes and drift reads against `driftwatch run` (the
# driver of bench/soak/run.sh, at a lower rate). Fails on any non-2xx answer or connection error,
# on fds that keep growing after warm-up, on RSS that keeps growing after warm-up, and on an
# agent that does not exit 0 on SIGTERM (in the ASan build that includes LeakSanitizer's report).
source "$DW_SRC/tests/lib.sh"

# The ASan allocator keeps freed blocks in a quarantine (256 MB by default) before reusing them,
# so RSS climbs for minutes under steady traffic and would look like a leak: a 16 MB quarantine
# fills during warm-up and still catches use-after-free of recent blocks. Harmless elsewhere.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=16"

SECS=45
WARMUP=15
# Pushes of 20 samples at 40 requests/s: many requests (a per-request leak shows) at a sample
# rate that an ASan or TSan build keeps up with on a loaded 2-core machine. The window of 2000
# samples closes every 2.5 s, so about 12 checks run after warm-up; the traffic shifts every
# 10 s, so drift alerts fire and resolve during the run.
SOAK_BUILD=$DW_BUILD SOAK_DIR=$TMP/soak WARMUP=$WARMUP PUSH_CLIENTS=4 PUSH_RATE=40 BATCH=20 WINDOW=2000 \
    SCRAPE_RATE=10 DRIFT_RATE=2 SHIFT_EVERY=10 \
    bash "$DW_SRC/bench/soak/run.sh" "$SECS" >"$TMP/out.txt" 2>&1 || { cat "$TMP/out.txt" >&2; fail "soak run failed"; }
cat "$TMP/out.txt"

total() { # total KEY: a value of the client's 'totals:' line
    sed -n "s/^totals: .*\b$1=\([^ ]*\).*/\1/p" "$TMP/out.txt"
}
errors=$(total errors)
[ -n "$errors" ] || fail "no totals line in the output"
[ "$errors" = 0 ] || fail "$errors request(s) failed (non-2xx or connection errors)"
# 40 requests/s for 45 s is 1800; a loaded sanitizer build may fall behind, but not below a third.
[ "$(total push_requests)" -ge 600 ] || fail "only $(total push_requests) push requests in ${SECS} s"
expect_contains "$TMP/out.txt" "agent exit status: 0"
# Checks ran and alerts fired during the run (else the soak did not exercise the check path).
grep -q 'msg="drift firing' "$TMP/soak/agent.log" || fail "no drift alert fired during the soak"
grep -q 'msg="drift resolved' "$TMP/soak/agent.log" || fail "no drift alert resolved during the soak"

# fds: after warm-up the agent holds its listening socket, the client's 6 keep-alive connections,
# the journal and the plugins' files; a snapshot being written adds one for a moment. A leak of
# one fd per request or per check would add hundreds.
fd_min=$(total fd_min) fd_max=$(total fd_max)
[ $((fd_max - fd_min)) -le 4 ] || fail "open fds grew after warm-up: $fd_min -> $fd_max"

# RSS: the trend (least-squares slope over the 30 s after warm-up, in MB/min) and the growth
# from warm-up end to the highest sample. Flat runs measured here: slope within ±2 MB/min, growth
# under 2 MB in the plain, ASan and TSan builds. A leak of 4 KB per push request is 1200 x 4 KB
# = 4.7 MB in 30 s, a slope of about 9 MB/min.
slope=$(total rss_slope_mb_per_min)
growth=$("$PYTHON3" -c "print(round($(total rss_max_mb) - $(total rss_warm_mb), 2))")
"$PYTHON3" -c "import sys; sys.exit(0 if $slope <= 5 else 1)" || fail "RSS grows after warm-up: $slope MB/min"
"$PYTHON3" -c "import sys; sys.exit(0 if $growth <= 6 else 1)" || fail "RSS grew by $growth MB after warm-up"
echo "ok: errors 0, fds $fd_min..$fd_max, RSS slope $slope MB/min, growth $growth MB"
