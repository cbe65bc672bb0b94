# An agent with more models than the soft open-files limit allows descriptors for (three each:
# journal, lock file, state directory) starts anyway: it raises the soft limit to the hard one.
# Soft 64, hard 4096, 30 models (90 descriptors for the journals alone): every model is ready and
# takes samples. Before the raise, the start failed with "Too many open files".
source "$DW_SRC/tests/lib.sh"
need_tool prlimit util-linux

"$DW_BIN" baseline --data "$DW_SRC/examples/data/train.csv" --out "$TMP/B.json" 2>/dev/null
PORT=$(free_port)
{
    echo "agent: {listen: 127.0.0.1:$PORT, state_dir: $TMP/state}"
    echo "models:"
    for i in $(seq 1 30); do
        echo "  - {name: m$i, baseline: $TMP/B.json, window: {size: 100}, probes: [{plugin: push, model: m$i}]}"
    done
} >"$TMP/dw.yaml"
prlimit --nofile=64:4096 "$DW_BIN" run -c "$TMP/dw.yaml" 2>"$TMP/dw.log" &
PIDS+=($!)
for _ in $(seq 100); do
    curl -fsS -o /dev/null "http://127.0.0.1:$PORT/readyz" 2>/dev/null && break
    kill -0 "${PIDS[0]}" 2>/dev/null || { cat "$TMP/dw.log" >&2; fail "the agent exited at start"; }
    sleep 0.1
done
expect_contains "$TMP/dw.log" "open files limit raised from 64 to 4096"
row='{"features": {"amount": 22.22, "age": 57, "country": "US", "device": "mobile", "hour": 19, "merchant_category": "other", "account_age_days": 114}, "prediction": 0.1427}'
for i in 1 30; do
    curl -fsS -o "$TMP/push.json" -H 'Content-Type: application/json' --data-binary "$row" \
        "http://127.0.0.1:$PORT/v1/models/m$i/samples" || fail "push to m$i"
    expect_contains "$TMP/push.json" '"accepted":1,'
done
echo ok
