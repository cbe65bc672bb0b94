#!/usr/bin/env bash
# driftwatch report: the HTML opened in headless Chromium; the rendered DOM must hold one <svg>
# per feature with bars (<rect>) and, for numeric features, the current outline (<path>), names
# escaped; a screenshot must not be blank. Layout, measured in the page by Chromium at a desktop
# and a phone width: every plot takes its card's width and every <text> lies inside its <svg>'s
# viewBox (long wide category names, numbers with exponents). The summary's "N of M features"
# counts exactly the feature rows of the table (the prediction apart), and baseline → current
# values of a numeric and a categorical feature equal numpy's on the same CSVs (docs/statistics.md
# "Summary"). Chromium is a setup package: missing, the test fails.
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

# hostile names: HTML in a column name and in a category; for the layout, 17 long categories of
# the widest glyph and numbers whose axis labels take an exponent (-4.938e+07 ... 1e+09)
printf 'amount,<b>tag</b>,flag,wide,big\n' >"$T/train.csv"
printf 'amount,<b>tag</b>,flag,wide,big\n' >"$T/cur.csv"
for i in $(seq 1 400); do
    echo "$((i % 97)).5,\"<i>x$((i % 3))</i>\",$((i % 2)),WWWWWWWWWWWWWWWWWWWW$((i % 17)),-$((i * 123457)).25" >>"$T/train.csv"
    echo "$((i % 53 + 40)).5,\"<i>x$((i % 4))</i>\",$((i % 2)),WWWWWWWWWWWWWWWWWWWW$((i % 19)),$((i * 2500000)).75" >>"$T/cur.csv"
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
# The report has no script; a copy gets tests/data/layout_check.js before </body>: run after layout,
# it writes its measurements as JSON into <pre id="layout-check">, which --dump-dom then carries.
for name in report hostile; do
    "$PY" - "$T/$name.html" "$DW_SRC/tests/data/layout_check.js" "$T/$name.probe.html" <<'PYEOF' || fail "inject ($name)"
import sys
page, script = open(sys.argv[1]).read(), open(sys.argv[2]).read()
assert page.count("</body>") == 1
open(sys.argv[3], "w").write(page.replace("</body>", "<script>" + script + "</script></body>"))
PYEOF
    for width in 1100 420; do
        chrome --window-size=$width,1600 --virtual-time-budget=3000 --dump-dom "file://$T/$name.probe.html" \
            >"$T/$name.$width.dom" || fail "chromium --dump-dom ($name at $width px)"
    done
    cp "$T/$name.1100.dom" "$T/$name.dom"
done
"$PY" - "$T"/report.1100.dom "$T"/report.420.dom "$T"/hostile.1100.dom "$T"/hostile.420.dom <<'PYEOF' || fail "layout"
import html, json, re, sys
for path in sys.argv[1:]:
    # the element's text (< escaped), not the script's own mention of it
    found = re.findall(r'<pre id="layout-check">([^<]*)</pre>', open(path).read())
    assert found, f"{path}: the layout script did not run"
    svgs = json.loads(html.unescape(found[-1]))
    assert len(svgs) >= 5, (path, len(svgs))
    texts = 0
    for s in svgs:
        # full width: the plot is as wide as its card's content box, its height the viewBox's aspect
        assert abs(s["width"] - s["container"]) <= 1, (path, s["cls"], s["width"], s["container"])
        assert abs(s["height"] - s["width"] * s["vb"][3] / s["vb"][2]) <= 1, (path, s["cls"], s["height"], s["width"])
        for t in s["texts"]:
            texts += 1
            x0, y0, x1, y1 = s["box"]
            l, tp, r, b = t["box"]
            # half a pixel for rounding of the glyph boxes
            assert l >= x0 - 0.5 and r <= x1 + 0.5 and tp >= y0 - 0.5 and b <= y1 + 0.5, \
                f"{path}: {s['cls']} label {t['text']!r} at {t['box']} outside its viewBox {s['box']}"
    assert texts > 10 * len(svgs) // 2, (path, texts)
PYEOF
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
# the prediction's row apart from the features' (below)
assert demo.sections[1] == "Not counted in the drifted share", demo.sections[:3]
del demo.sections[1]
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
assert len([s for s in hostile.svgs if s[2] != "band"]) == 5
assert any("<b>tag</b>" in h for h in hostile.sections), hostile.sections  # shown as text, not markup
PYEOF

# The summary and the tables as rendered: "N of M features drifted" counts the rows of the
# features table (the prediction in its own table), and the baseline → current numbers of a
# numeric and a categorical feature are numpy's on the same CSVs, printed as the report prints
# (format_short_number: %.4g, %.2e below 1e-4; shares %.1f%%).
"$PY" - "$T/report.dom" "$EX/train.csv" "$EX/serving_drifted.csv" <<'PYEOF' || fail "summary values"
import csv, re, sys
from html.parser import HTMLParser
import numpy as np

class Tables(HTMLParser):
    """Every <table> by class (rows of cell texts), the section each is in, and the status line."""
    def __init__(self):
        super().__init__()
        self.tables = []  # (class, section id, rows)
        self.section, self.status, self.cell, self.in_status = None, "", None, False
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section":
            self.section = a.get("id")
        elif tag == "table":
            self.tables.append((a.get("class", ""), self.section, []))
        elif tag == "tr" and self.tables:
            self.tables[-1][2].append([])
        elif tag in ("td", "th"):
            self.cell = ""
        elif tag == "p" and "status" in a.get("class", ""):
            self.in_status = True
    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.tables[-1][2][-1].append(self.cell.strip())
            self.cell = None
        elif tag == "p":
            self.in_status = False
        elif tag == "section":
            self.section = None
    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data
        if self.in_status:
            self.status += data

page = Tables()
page.feed(open(sys.argv[1]).read())
def table(cls, section=None):
    hits = [rows for c, sec, rows in page.tables if c == cls and (section is None or sec == section)]
    assert len(hits) == 1, (cls, section, len(hits))
    return hits[0]

m = re.search(r"(\d+) of (\d+) features drifted", page.status)
assert m, page.status
drifted, counted = int(m.group(1)), int(m.group(2))
features = table("overview features")
head, rows = features[0], features[1:]
names = [r[0] for r in rows]
assert counted == len(rows), (page.status, names)
assert drifted == sum(1 for r in rows if r[-1] == "drift"), (page.status, rows)
header = next(csv.reader(open(sys.argv[2])))
assert counted == len(header) - 1 and "prediction" not in names, (header, names)  # every column but the prediction
apart = table("overview apart")[1:]
assert [(r[0], r[1]) for r in apart] == [("prediction", "prediction")], apart  # (column, why)

def column(path, name):
    return [r[name].strip() for r in csv.DictReader(open(path))]
def usable(values):  # docs/data-formats.md: empty and NaN are missing
    return np.array([float(v) for v in values if v and v.lower() != "nan"])
def short(x):  # format_short_number
    return "%.2e" % x if x != 0 and abs(x) < 1e-4 else "%.4g" % x

# numeric: amount, baseline mean and std over the whole training file, percentiles of its sample
# (all 5000 rows: under --sample-size 10000), current ones over the window
sec = "f%d" % header.index("amount")
b, c = usable(column(sys.argv[2], "amount")), usable(column(sys.argv[3], "amount"))
want = {"mean": (b.mean(), c.mean()), "std": (b.std(), c.std())}
for q in (5, 50, 95):
    want["p%d" % q] = (np.percentile(b, q), np.percentile(c, q))
got = {r[0]: (r[1], r[2]) for r in table("summary numeric", sec)[1:]}
assert set(got) == set(want), got
for stat, (wb, wc) in want.items():
    assert got[stat] == (short(wb), short(wc)), (stat, got[stat], short(wb), short(wc))
row = rows[names.index("amount")]
assert row[head.index("baseline → current")] == "mean %s → %s" % (short(b.mean()), short(c.mean())), row

# categorical: country's shares of its usable (non-empty) values, NG unseen in the baseline
sec = "f%d" % header.index("country")
b, c = [v for v in column(sys.argv[2], "country") if v], [v for v in column(sys.argv[3], "country") if v]
got = {r[0]: (r[1], r[2]) for r in table("summary categorical", sec)[1:]}
for cat in ("US", "NG", "GB"):
    share = ("%.1f%%" % (100 * b.count(cat) / len(b)), "%.1f%%" % (100 * c.count(cat) / len(c)))
    assert got[cat] == share, (cat, got[cat], share)
assert got["NG"][0] == "0.0%"
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
