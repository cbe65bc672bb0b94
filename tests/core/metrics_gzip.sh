# /metrics served from the per-family render cache: counts are exact right after pushes (never a
# stale cached text), the gzip answer (Accept-Encoding: gzip) decompresses with Python's gzip to
# exactly the plain answer, both carry Vary: Accept-Encoding, only the gzip one Content-Encoding,
# and promtool accepts the exposition after a check.
source "$DW_SRC/tests/lib.sh"
need_tool promtool prometheus

"$DW_BIN" baseline --data "$DW_SRC/examples/data/train.csv" --out "$TMP/B.json" 2>/dev/null
PORT=$(free_port)
cat >"$TMP/dw.yaml" <<YAML
agent: {listen: 127.0.0.1:$PORT, state_dir: $TMP/state}
models:
  - {name: a, baseline: $TMP/B.json, window: {size: 1000}, probes: [{plugin: push, model: a}]}
YAML
"$DW_BIN" run -c "$TMP/dw.yaml" 2>"$TMP/dw.log" &
PIDS+=($!)
wait_http "http://127.0.0.1:$PORT/readyz"

"$PYTHON3" - "$DW_SRC/examples/data/train.csv" "$TMP" <<'PY'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1])))
def body(part):
    out = []
    for r in part:
        feats = {k: (v if k in ("country", "device", "merchant_category") else float(v)) for k, v in r.items() if k != "prediction"}
        out.append(json.dumps({"features": feats, "prediction": float(r["prediction"])}))
    return "\n".join(out) + "\n"
# 37 samples in batches of 10, 20 and 7, then 5 more
for name, part in (("b1", rows[:10]), ("b2", rows[10:30]), ("b3", rows[30:37]), ("b4", rows[37:42])):
    open(f"{sys.argv[2]}/{name}.ndjson", "w").write(body(part))
PY
push() {
    curl -fsS -o /dev/null -H 'Content-Type: application/x-ndjson' --data-binary @"$TMP/$1.ndjson" \
        "http://127.0.0.1:$PORT/v1/models/a/samples" || fail "push $1"
}

# scrapes.py EXPECTED: plain and gzip scrapes agree on the text and show EXPECTED samples received
cat >"$TMP/scrapes.py" <<'PY'
import gzip, http.client, re, sys
port, expected = int(sys.argv[1]), sys.argv[2]

def scrape(accept=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", "/metrics", headers={"Accept-Encoding": accept} if accept else {})
    r = c.getresponse()
    body = r.read()
    assert r.status == 200, r.status
    assert r.getheader("Vary") == "Accept-Encoding", r.getheaders()
    return r.getheader("Content-Encoding"), body

def value(text, series):
    m = re.search("^" + re.escape(series) + r" (\S+)$", text, re.M)
    assert m, f"no {series} in the scrape"
    return m.group(1)

for attempt in range(5):
    enc1, plain1 = scrape()
    encz, zipped = scrape("gzip")
    enc2, plain2 = scrape()
    assert enc1 is None and enc2 is None, (enc1, enc2)
    assert encz == "gzip", encz
    if plain1 == plain2:  # nothing changed between the three: the gzip text must be the same text
        break
else:
    sys.exit("the exposition kept changing at rest")
assert gzip.decompress(zipped) == plain1, "gzip answer differs from the plain text"
text = plain1.decode()
for series in ('driftwatch_samples_received_total{model="a",probe="push"}', 'driftwatch_window_samples{model="a"}'):
    got = value(text, series)
    assert got == expected, f"{series} = {got}, expected {expected}"
    got = value(gzip.decompress(zipped).decode(), series)
    assert got == expected, f"gzip: {series} = {got}, expected {expected}"
# Accept-Encoding negotiation (RFC 9110): q=0 refuses gzip, * stands for it, identity alone is plain
for accept, want in (("gzip;q=0", None), ("identity", None), ("br, *;q=0.5", "gzip"), ("deflate, GZIP;q=0.8", "gzip"),
                     ("x-gzip", "gzip")):
    enc, body = scrape(accept)
    assert enc == want, f"Accept-Encoding: {accept} answered Content-Encoding {enc}"
    if want:
        gzip.decompress(body)
open(sys.argv[3], "wb").write(plain1)
PY

scrape_check() {
    "$PYTHON3" "$TMP/scrapes.py" "$PORT" "$1" "$TMP/scrape.txt" || fail "scrape after $1 samples"
}
# cached texts exist before the pushes: they must be replaced, not served
curl -fsS -o /dev/null "http://127.0.0.1:$PORT/metrics"
curl -fsS -o /dev/null -H 'Accept-Encoding: gzip' "http://127.0.0.1:$PORT/metrics"
push b1; push b2; push b3
scrape_check 37
push b4
scrape_check 42

curl -fsS -X POST -o /dev/null "http://127.0.0.1:$PORT/v1/models/a/check" || fail "check"
scrape_check 42
expect_contains "$TMP/scrape.txt" 'driftwatch_checks_total{model="a",result="'
promtool check metrics <"$TMP/scrape.txt" || fail "promtool check metrics rejected the exposition"
echo ok
