#!/usr/bin/env bash
# Correlated features drift together and each counts in the dataset share; the verdict names the
# groups (|Pearson r| >= 0.95 in the baseline's row sample) so "3 drifted" reads "3 drifted, all
# one group". On breast cancer (scikit-learn's bundled copy): the groups must be numpy's connected
# components of |np.corrcoef| >= 0.95 on the same rows; scaling mean_radius, mean_perimeter and
# mean_area in the window drifts those three, all in one group, in JSON and text. A profile
# without a row sample (--row-sample 0) has no groups: no JSON key, no text line.
source "$(dirname "$0")/../lib.sh"

"$PYTHON3" - "$TMP" <<'PY' || fail "could not write the data (python3-sklearn and python3-numpy installed?)"
import json, sys
import numpy as np
from sklearn.datasets import load_breast_cancer

out = sys.argv[1]
d = load_breast_cancer()
cols = [c.replace(" ", "_") for c in d.feature_names]
perm = np.random.default_rng(7).permutation(len(d.data))
ref, win = d.data[perm[:284]], d.data[perm[284:]].copy()
for name in ("mean_radius", "mean_perimeter", "mean_area"):
    win[:, cols.index(name)] *= 1.3
for path, rows in (("ref.csv", ref), ("win.csv", win)):
    with open(f"{out}/{path}", "w") as f:
        f.write(",".join(cols) + "\n")
        for r in rows:
            f.write(",".join(repr(float(v)) for v in r) + "\n")
# the reference: connected components of |r| >= 0.95, each in column order, ordered by first column
r = np.abs(np.corrcoef(ref.T))
parent = list(range(len(cols)))
def find(i):
    while parent[i] != i:
        i = parent[i]
    return i
for a in range(len(cols)):
    for b in range(a + 1, len(cols)):
        if r[a, b] >= 0.95:
            ra, rb = find(a), find(b)
            parent[max(ra, rb)] = min(ra, rb)
groups = {}
for j in range(len(cols)):
    groups.setdefault(find(j), []).append(cols[j])
json.dump([g for _, g in sorted(groups.items()) if len(g) > 1], open(f"{out}/expected.json", "w"))
PY

"$DW_BIN" baseline --data "$TMP/ref.csv" --out "$TMP/base.json" 2>"$TMP/err" || fail "baseline: $(cat "$TMP/err")"
rc=0
"$DW_BIN" check --baseline "$TMP/base.json" --data "$TMP/win.csv" --format json >"$TMP/v.json" 2>"$TMP/err" || rc=$?
[ "$rc" = 1 ] || fail "check exited $rc, expected 1 (3 of 30 features drifted): $(cat "$TMP/err")"
"$PYTHON3" - "$TMP" <<'PY' || fail "correlated_groups differ from numpy's"
import json, sys
t = sys.argv[1]
v = json.load(open(f"{t}/v.json"))
want = json.load(open(f"{t}/expected.json"))
cg = v["correlated_groups"]
assert cg["min_abs_r"] == 0.95, cg
got = [g["features"] for g in cg["groups"]]
assert got == want, (got, want)
drifted = sorted(f["name"] for f in v["features"] if f["drift"])
assert drifted == ["mean_area", "mean_perimeter", "mean_radius"], drifted
hit = [g for g in cg["groups"] if g["drifted"]]
assert len(hit) == 1 and sorted(hit[0]["drifted"]) == drifted, hit
print("groups:", got)
PY

rc=0
"$DW_BIN" check --baseline "$TMP/base.json" --data "$TMP/win.csv" >"$TMP/v.txt" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "check (text) exited $rc"
expect_contains "$TMP/v.txt" "CORRELATED: 3 of the 3 drifted features are in 1 group of features with |r| >= 0.95 in the baseline"
expect_contains "$TMP/v.txt" "  mean_radius, mean_perimeter, mean_area, worst_radius, worst_perimeter, worst_area: 3 drifted"

# no row sample, no groups
"$DW_BIN" baseline --data "$TMP/ref.csv" --out "$TMP/norows.json" --row-sample 0 2>/dev/null
rc=0
"$DW_BIN" check --baseline "$TMP/norows.json" --data "$TMP/win.csv" --format json >"$TMP/v0.json" 2>/dev/null || rc=$?
[ "$rc" = 1 ] || fail "check without a row sample exited $rc"
"$PYTHON3" -c 'import json, sys; assert "correlated_groups" not in json.load(open(sys.argv[1]))' "$TMP/v0.json" ||
    fail "correlated_groups without a row sample"
"$DW_BIN" check --baseline "$TMP/norows.json" --data "$TMP/win.csv" >"$TMP/v0.txt" 2>&1 || true
! grep -q CORRELATED "$TMP/v0.txt" || fail "a CORRELATED line without a row sample"
echo "ok"
