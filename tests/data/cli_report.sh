#!/usr/bin/env bash
# driftwatch report: the HTML opened in headless Chromium; the rendered DOM must hold one <svg>
# per feature with bars (<rect>) and, for numeric features, the current outline (<path>), names
# escaped; a screenshot must not be blank. Chromium is a setup package: missing, the test fails.
# Env: DW_BIN, DW_SRC, PYTHON3.
set -euo pipefail
: "${DW_BIN:?}" "${DW_SRC:?}"
PY=${PYTHON3:-/usr/bin/python3}
CHROMIUM=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
[ -n "$CHROMIUM" ] || { echo "FAIL: chromium not found: install the Debian package chromium (bash scripts/setup-debian.sh)" >&2; exit 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
EX="$DW_SRC/examples/data"

# hostile names: HTML in a column name and in a category
printf 'amount,<b>tag</b>,flag\n' >"$T/train.csv"
printf 'amount,<b>tag</b>,flag\n' >"$T/cur.csv"
for i in $(seq 1 400); do
    echo "$((i % 97)).5,\"<i>x$((i % 3))</i>\",$((i % 2))" >>"$T/train.csv"
    echo "$((i % 53 + 40)).5,\"<i>x$((i % 4))</i>\",$((i % 2))" >>"$T/cur.csv"
done
"$DW_BIN" baseline --data "$T/train.csv" --out "$T/b.json" 2>/dev/null
"$DW_BIN" report --baseline "$T/b.json" --data "$T/cur.csv" --out "$T/hostile.html" 2>/dev/null || fail "report"
grep -q '<b>tag' "$T/hostile.html" && fail "unescaped column name in the HTML"
grep -q '&lt;b&gt;tag&lt;/b&gt;' "$T/hostile.html" || fail "escaped name missing"

"$DW_BIN" baseline --data "$EX/train.csv" --out "$T/demo.json" --prediction prediction 2>/dev/null
"$DW_BIN" report --baseline "$T/demo.json" --data "$EX/serving_drifted.csv" --out "$T/report.html" 2>/dev/null || fail "report"

chrome() {
    timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking \
        --disable-component-update --disable-sync --no-first-run --user-data-dir="$(mktemp -d -p "$T")" "$@" 2>/dev/null
}
for name in report hostile; do
    chrome --dump-dom "file://$T/$name.html" >"$T/$name.dom" || fail "chromium --dump-dom ($name)"
done
"$PY" - "$T/report.dom" "$T/hostile.dom" <<'PYEOF' || fail "rendered DOM"
import sys
from html.parser import HTMLParser

class Count(HTMLParser):
    def __init__(self):
        super().__init__()
        self.svgs = []      # per svg: [rects, paths, class]
        self.sections = []  # h2 text of feature sections, in order
        self.in_svg = False
        self.in_h2 = False
        self.text = ""
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg":
            self.svgs.append([0, 0, a.get("class", "")])
            self.in_svg = True
        elif tag == "rect" and self.in_svg:
            self.svgs[-1][0] += 1
        elif tag == "path" and self.in_svg:
            self.svgs[-1][1] += 1
        elif tag == "h2":
            self.in_h2, self.text = True, ""
    def handle_endtag(self, tag):
        if tag == "svg":
            self.in_svg = False
        elif tag == "h2" and self.in_h2:
            self.in_h2 = False
            self.sections.append(self.text.strip())
    def handle_data(self, data):
        if self.in_h2:
            self.text += data

demo = Count()
demo.feed(open(sys.argv[1]).read())
# the multivariate section (docs/statistics.md): one band plot of the reconstruction error
assert sum(1 for s in demo.svgs if s[2] == "band") == 1 and "Multivariate drift" in demo.sections
demo.svgs = [s for s in demo.svgs if s[2] != "band"]
demo.sections = [h for h in demo.sections if h != "Multivariate drift"]
# the data quality section (docs/statistics.md) comes first, before the features
assert demo.sections[0] == "Data quality", demo.sections[:2]
demo.sections = demo.sections[1:]
assert len(demo.svgs) == 8, f"{len(demo.svgs)} svgs, want 8 (one per feature)"
for rects, paths, cls in demo.svgs:
    assert rects >= 4, (rects, cls)  # bars (plus the legend's two)
    if cls == "hist":
        assert paths == 1, "numeric histogram without the current outline"
assert sum(1 for s in demo.svgs if s[2] == "hist") == 5 and sum(1 for s in demo.svgs if s[2] == "bars") == 3
feature_heads = demo.sections[1:]  # the first h2 is "Features"
drifted = [h for h in feature_heads if h.endswith("drift") and not h.endswith("no drift")]
assert feature_heads[:len(drifted)] == drifted and len(drifted) == 6, feature_heads  # drifted first

hostile = Count()
hostile.feed(open(sys.argv[2]).read())
assert len([s for s in hostile.svgs if s[2] != "band"]) == 3
assert any("<b>tag</b>" in h for h in hostile.sections), hostile.sections  # shown as text, not markup
PYEOF

chrome --screenshot="$T/shot.png" --window-size=1100,1600 "file://$T/report.html" >/dev/null || fail "screenshot"
"$PY" - "$T/shot.png" <<'PYEOF' || fail "screenshot is blank"
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n"
pos, idat, w, h, ctype = 8, b"", 0, 0, 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
raw = zlib.decompress(idat)
bpp = {2: 3, 6: 4}[ctype]
stride = w * bpp + 1
# sample the raw scanlines (filter bytes aside): many distinct byte patterns = not a blank page
chunks = set()
for y in range(0, h, 7):
    line = raw[y * stride + 1:(y + 1) * stride]
    for x in range(0, len(line) - bpp, bpp * 13):
        chunks.add(line[x:x + bpp])
assert w == 1100 and h == 1600, (w, h)
assert len(chunks) > 50, f"only {len(chunks)} distinct pixel patterns"
PYEOF
echo "ok"
