# How often `check` warns on data that has not changed: 50 seeded random half-splits of
# scikit-learn's bundled breast cancer data (569 rows, 30 numeric features; python3-sklearn ships
# it, nothing is downloaded), `baseline` on one half and `check` on the other. Every split is the
# same distribution, so every exit code other than 0 is a false warning. At the default
# (correction: fdr) at most 10% may warn; this run measured 0 of 50. With --correction none
# (Evidently's per-feature p < 0.05, measured here too and only reported) 22 of 50 splits warned:
# 30 features at 5% each make a warning on about half of all checks of unchanged data.
source "$(dirname "$0")/../lib.sh"

SPLITS=50
"$PYTHON3" - "$TMP" "$SPLITS" <<'PY' || fail "could not write the splits (python3-sklearn and python3-numpy installed?)"
import sys
import numpy as np
from sklearn.datasets import load_breast_cancer

out, n = sys.argv[1], int(sys.argv[2])
d = load_breast_cancer()
cols = [c.replace(" ", "_") for c in d.feature_names]
for seed in range(n):
    perm = np.random.default_rng(seed).permutation(len(d.data))
    half = len(perm) // 2
    for tag, rows in (("a", perm[:half]), ("b", perm[half:])):
        with open(f"{out}/{seed}_{tag}.csv", "w") as f:
            f.write(",".join(cols) + "\n")
            for r in d.data[rows]:
                f.write(",".join(repr(float(v)) for v in r) + "\n")
PY

warn_default=0
warn_none=0
for ((s = 0; s < SPLITS; s++)); do
    "$DW_BIN" baseline --data "$TMP/${s}_a.csv" --out "$TMP/$s.json" 2>"$TMP/err" ||
        fail "baseline of split $s: $(cat "$TMP/err")"
    rc=0
    "$DW_BIN" check --baseline "$TMP/$s.json" --data "$TMP/${s}_b.csv" --format nagios >"$TMP/out" 2>&1 || rc=$?
    [ "$rc" -le 2 ] || fail "check of split $s could not run (exit $rc): $(cat "$TMP/out")"
    [ "$rc" -eq 0 ] || warn_default=$((warn_default + 1))
    rc=0
    "$DW_BIN" check --baseline "$TMP/$s.json" --data "$TMP/${s}_b.csv" --correction none --format nagios \
        >"$TMP/out" 2>&1 || rc=$?
    [ "$rc" -le 2 ] || fail "check --correction none of split $s could not run (exit $rc): $(cat "$TMP/out")"
    [ "$rc" -eq 0 ] || warn_none=$((warn_none + 1))
done
echo "false warnings on $SPLITS same-distribution splits: default (fdr) $warn_default, --correction none $warn_none"
[ $((warn_default * 10)) -le "$SPLITS" ] ||
    fail "the default warned on $warn_default of $SPLITS same-distribution splits (at most 10% allowed)"
# Not a requirement, a sign the measurement works: uncorrected p-values do warn on such data.
[ "$warn_none" -gt "$warn_default" ] ||
    fail "--correction none warned on $warn_none splits, no more than the default ($warn_default): is the correction applied?"
echo "ok"
