#!/usr/bin/env bash
# driftwatch baseline through the CLI: the profile checked against numpy/hashlib computed from the
# same CSV, the reservoir (size, membership, seed), and the errors users hit (file:line, unknown
# columns, empty inputs). Env: DW_BIN, DW_SRC, PYTHON3.
set -euo pipefail
: "${DW_BIN:?}" "${DW_SRC:?}"
PY=${PYTHON3:-/usr/bin/python3}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
EX="$DW_SRC/examples/data"

"$DW_BIN" baseline --help >"$T/help.txt" && grep -q '^usage: driftwatch baseline' "$T/help.txt" || fail "--help"

# 1. full profile (5000 rows <= default sample size: the sample is every value)
"$DW_BIN" baseline --data "$EX/train.csv" --out "$T/b.json" --prediction prediction 2>"$T/err" || fail "baseline: $(cat "$T/err")"
"$PY" - "$EX/train.csv" "$T/b.json" <<'PYEOF' || fail "profile does not match numpy"
import csv, hashlib, json, math, sys
import numpy as np
path, prof = sys.argv[1], json.load(open(sys.argv[2]))
assert prof["driftwatch_profile"] == 2
src = prof["source"]
assert src["md5"] == hashlib.md5(open(path, "rb").read()).hexdigest(), "md5"
assert src["data_version"] is None and src["rows"] == 5000, src
rows = list(csv.DictReader(open(path, newline="")))
for f in prof["features"]:
    col = [r[f["name"]] for r in rows]
    present = [v for v in col if v != "" and v.lower() != "nan"]
    assert f["count"] == len(present) and f["missing"] == len(col) - len(present), f["name"]
    if f["type"] == "numeric":
        x = np.array([float(v) for v in present])
        for key, want in (("mean", x.mean()), ("std", x.std()), ("min", x.min()), ("max", x.max())):
            assert math.isclose(f[key], want, rel_tol=1e-12, abs_tol=1e-12), (f["name"], key, f[key], want)
        assert f["sample"] == sorted(x.tolist()), f["name"] + " sample"
    else:
        counts = {}
        for v in present:
            counts[v] = counts.get(v, 0) + 1
        assert f["categories"] == counts, f["name"]
roles = {f["name"]: f.get("role") for f in prof["features"]}
assert roles["prediction"] == "prediction" and roles["amount"] is None
types = {f["name"]: f["type"] for f in prof["features"]}
assert types == {"amount": "numeric", "age": "numeric", "country": "categorical", "device": "categorical",
                 "hour": "numeric", "merchant_category": "categorical", "account_age_days": "numeric",
                 "prediction": "numeric"}, types
PYEOF

# 2. reservoir: 500 of 5000, a sub-multiset of the data, fixed by the seed
"$DW_BIN" baseline --data "$EX/train.csv" --out "$T/r1.json" --sample-size 500 2>/dev/null
"$DW_BIN" baseline --data "$EX/train.csv" --out "$T/r2.json" --sample-size 500 2>/dev/null
"$DW_BIN" baseline --data "$EX/train.csv" --out "$T/r3.json" --sample-size 500 --seed 7 2>/dev/null
"$PY" - "$EX/train.csv" "$T/r1.json" "$T/r2.json" "$T/r3.json" <<'PYEOF' || fail "reservoir"
import collections, csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
a, b, c = (json.load(open(p)) for p in sys.argv[2:5])
fa = {f["name"]: f for f in a["features"]}
data = collections.Counter(float(r["amount"]) for r in rows)
s = fa["amount"]["sample"]
assert len(s) == 500 and s == sorted(s)
assert not (collections.Counter(s) - data), "sample holds values not in the data"
assert a["features"] == b["features"], "same seed, different sample"
assert a["features"] != c["features"], "different seed, same sample"
assert fa["amount"]["count"] == 5000  # moments and counts still cover every row
PYEOF

# 3. --categorical / --exclude / --target
"$DW_BIN" baseline --data "$EX/train.csv" --out "$T/c.json" --categorical hour --exclude account_age_days,age \
    --target prediction 2>/dev/null
"$PY" -c "
import json,sys
p = json.load(open('$T/c.json'))
f = {x['name']: x for x in p['features']}
assert f['hour']['type'] == 'categorical' and 'age' not in f and 'account_age_days' not in f
assert f['prediction']['role'] == 'target'
" || fail "column options"

# 4. errors
expect_error() { # code pattern args...
    local code=$1 pat=$2; shift 2
    set +e; "$DW_BIN" baseline "$@" >"$T/out" 2>"$T/err"; local rc=$?; set -e
    [ "$rc" = "$code" ] || fail "baseline $* exited $rc, expected $code: $(cat "$T/err")"
    grep -qF -- "$pat" "$T/err" || fail "baseline $*: stderr lacks '$pat': $(cat "$T/err")"
}
expect_error 1 "--exclude: no column 'nope' in" --data "$EX/train.csv" --out "$T/x.json" --exclude nope
: >"$T/empty.csv"
expect_error 1 "$T/empty.csv: empty file" --data "$T/empty.csv" --out "$T/x.json"
printf 'a,b\n' >"$T/header.csv"
expect_error 1 "$T/header.csv: no data rows" --data "$T/header.csv" --out "$T/x.json"
printf 'a,b,a\n1,2,3\n' >"$T/dup.csv"
expect_error 1 "$T/dup.csv:1: duplicate column name 'a' (columns 1 and 3)" --data "$T/dup.csv" --out "$T/x.json"
expect_error 1 "missing.csv: No such file" --data "$T/missing.csv" --out "$T/x.json"
expect_error 2 "--data and --out are required" --data "$EX/train.csv"
expect_error 2 "--sample-size: expected an integer" --data "$EX/train.csv" --out "$T/x.json" --sample-size 0
expect_error 2 "unknown option '--bogus'" --bogus
# bad rows: reported with file:line (the quoted field spans lines 5-6, the long row is line 7)
BAD="$DW_SRC/tests/fixtures/data/bad_rows.csv"
"$DW_BIN" baseline --data "$BAD" --out "$T/bad.json" 2>"$T/err" || fail "bad rows should be skipped"
grep -qF "bad_rows.csv:4: expected 4 fields (as in the header), found 2" "$T/err" || fail "line 4 not reported"
grep -qF "bad_rows.csv:7: expected 4 fields (as in the header), found 5" "$T/err" || fail "line 7 not reported"
"$PY" -c "import json; s=json.load(open('$T/bad.json'))['source']; assert s['rows']==4 and s['bad_rows']==2, s" \
    || fail "bad row counts"
expect_error 1 "bad_rows.csv:4: expected 4 fields" --data "$BAD" --out "$T/x.json" --strict
[ ! -e "$T/x.json" ] || fail "a failed baseline left an output file"
expect_error 2 "--row-sample: expected an integer" --data "$EX/train.csv" --out "$T/x.json" --row-sample -1

# row sample (docs/statistics.md): whole rows of the numeric features (role feature), file order, null
# for missing; every row when the file has <= --row-sample rows, else a seeded reservoir
"$DW_BIN" baseline --data "$EX/train.csv" --out "$T/rs1.json" --row-sample 300 --prediction prediction 2>/dev/null
"$DW_BIN" baseline --data "$EX/train.csv" --out "$T/rs2.json" --row-sample 300 --prediction prediction 2>/dev/null
"$DW_BIN" baseline --data "$EX/train.csv" --out "$T/rs3.json" --row-sample 300 --seed 9 --prediction prediction 2>/dev/null
"$DW_BIN" baseline --data "$EX/train.csv" --out "$T/rs0.json" --row-sample 0 2>/dev/null
"$PY" - "$EX/train.csv" "$T/b.json" "$T/rs1.json" "$T/rs2.json" "$T/rs3.json" "$T/rs0.json" <<'PYEOF' || fail "row sample"
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
full, a, b, c, none = (json.load(open(p)) for p in sys.argv[2:7])
feats = ["amount", "age", "hour", "account_age_days"]  # numeric, role feature, file order
def cell(v):
    return None if v == "" or v.lower() == "nan" else float(v)
table = [[cell(r[f]) for f in feats] for r in rows]
assert full["row_sample"]["features"] == feats, full["row_sample"]["features"]
assert full["row_sample"]["rows"] == table, "all 5000 rows (<= 5000) in file order"
assert full["settings"]["row_sample"] == 5000
rs = a["row_sample"]["rows"]
assert len(rs) == 300 and rs == b["row_sample"]["rows"] and rs != c["row_sample"]["rows"]
# a subsequence of the file's rows: kept in file order
i = 0
for r in rs:
    while table[i] != r:
        i += 1
    i += 1
assert "row_sample" not in none and none["driftwatch_profile"] == 2
PYEOF
# a version 1 profile still loads; the multivariate methods say it lacks rows
"$PY" - "$T/b.json" "$T/v1.json" <<'PYEOF'
import json, sys
p = json.load(open(sys.argv[1])); p["driftwatch_profile"] = 1; del p["row_sample"]
json.dump(p, open(sys.argv[2], "w"))
PYEOF
st=0
"$DW_BIN" check --baseline "$T/v1.json" --data "$EX/train.csv" --format json >"$T/v1.out" 2>"$T/err" || st=$?
[ "$st" -le 2 ] || fail "check with a version 1 profile exited $st: $(cat "$T/err")"
"$PY" -c "
import json; v = json.load(open('$T/v1.out'))['multivariate']['pca_reconstruction']
assert v['value'] is None and v['drift'] is False and 'row sample' in v['note'], v" || fail "v1 multivariate note"
echo "ok"
