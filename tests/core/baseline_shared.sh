# Models naming the same baseline file share one loaded profile: three models on B.json (one of them
# through a symbolic link) log one "loaded" and two "shared"; a fourth on a copy of B.json (another
# file with the same bytes) loads its own. Each model still checks its own window against it, and a
# clean shutdown frees the shared profile once (the ASan build catches a double free or a leak).
source "$DW_SRC/tests/lib.sh"

"$DW_BIN" baseline --data "$DW_SRC/examples/data/train.csv" --out "$TMP/B.json" 2>/dev/null
cp "$TMP/B.json" "$TMP/copy.json"
ln -s "$TMP/B.json" "$TMP/link.json"
PORT=$(free_port)
{
    echo "agent: {listen: 127.0.0.1:$PORT, state_dir: $TMP/state}"
    echo "models:"
    for m in a:B.json b:B.json c:link.json d:copy.json; do
        echo "  - {name: ${m%%:*}, baseline: $TMP/${m#*:}, window: {size: 100}, probes: [{plugin: push, model: ${m%%:*}}]}"
    done
} >"$TMP/dw.yaml"
"$DW_BIN" run -c "$TMP/dw.yaml" 2>"$TMP/dw.log" &
PID=$!
PIDS+=($PID)
wait_http "http://127.0.0.1:$PORT/readyz"

loaded=$(grep -c 'msg="model=[a-d] baseline .* loaded (8 features)"' "$TMP/dw.log" || true)
shared=$(grep -c 'msg="model=[a-d] baseline .* shared with a model already holding it (8 features)"' "$TMP/dw.log" || true)
[ "$loaded" = 2 ] || { cat "$TMP/dw.log" >&2; fail "expected 2 baseline loads (B.json, copy.json), got $loaded"; }
[ "$shared" = 2 ] || { cat "$TMP/dw.log" >&2; fail "expected 2 models sharing B.json, got $shared"; }
expect_contains "$TMP/dw.log" "model=a baseline $TMP/B.json loaded"
expect_contains "$TMP/dw.log" "model=d baseline $TMP/copy.json loaded"
expect_contains "$TMP/dw.log" "model=c baseline $TMP/link.json shared"

# Every model checks against the shared profile: 20 rows of the training data each.
"$PYTHON3" - "$DW_SRC/examples/data/train.csv" >"$TMP/rows.ndjson" <<'PY'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1])))[:20]
for r in rows:
    feats = {k: (v if k in ("country", "device", "merchant_category") else float(v)) for k, v in r.items() if k != "prediction"}
    print(json.dumps({"features": feats, "prediction": float(r["prediction"])}))
PY
for m in a b c d; do
    curl -fsS -o /dev/null -H 'Content-Type: application/x-ndjson' --data-binary @"$TMP/rows.ndjson" \
        "http://127.0.0.1:$PORT/v1/models/$m/samples" || fail "push to $m"
    curl -fsS -X POST "http://127.0.0.1:$PORT/v1/models/$m/check" >"$TMP/verdict.$m.json" || fail "check of $m"
    "$PYTHON3" -c 'import json,sys; v=json.load(open(sys.argv[1])); assert v["model"] == sys.argv[2] and v["window"]["rows"] == 20, v["window"]' \
        "$TMP/verdict.$m.json" "$m" || fail "verdict of $m"
done

kill -TERM "$PID"
wait "$PID" || fail "the agent did not stop cleanly (exit $?)"
PIDS=()
echo ok
