#!/usr/bin/python3
"""Independent reference for `driftwatch check --format json --methods all`: recomputes every test
of every feature with scipy/numpy from the raw CSV files, following docs/statistics.md literally, and
compares with the JSON driftwatch printed. Also validates the JSON shape of docs/data-formats.md.

usage: scipy_reference.py BASELINE.csv CURRENT.csv CHECK.json [--categorical a,b] [--rtol 1e-7]
Exit 0 when everything matches, 1 with a list of mismatches otherwise.
"""
import csv
import json
import math
import sys

import warnings

import numpy as np
from scipy import stats
from scipy.spatial import distance

warnings.filterwarnings("ignore")  # anderson_ksamp warns when it caps its p-value


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], [r for r in rows[1:] if r]
    return header, {h: [r[i] for r in body] for i, h in enumerate(header)}


def is_missing(v):
    return v == "" or v.lower() == "nan"


def as_float(v):
    try:
        x = float(v)
    except ValueError:
        return None
    return x if math.isfinite(x) else None


def numeric_column(values):
    present = [v for v in values if not is_missing(v)]
    return all(as_float(v) is not None for v in present)


def shares(counts):
    counts = np.asarray(counts, dtype=float)
    return counts / counts.sum()


def binned(r, c, bins=10):
    edges = np.unique(np.quantile(r, [k / bins for k in range(1, bins)]))
    rb = np.searchsorted(edges, r, side="right")
    cb = np.searchsorted(edges, c, side="right")
    k = len(edges) + 1
    return (np.bincount(rb, minlength=k) / len(r), np.bincount(cb, minlength=k) / len(c))


def psi(p, q):
    p2, q2 = np.maximum(p, 1e-4), np.maximum(q, 1e-4)
    return float(np.sum((q2 - p2) * np.log(q2 / p2)))


def hellinger(p, q):
    return float(math.sqrt(max(0.0, 1 - np.sum(np.sqrt(p * q)))))


def categorical_tests(r_vals, c_vals):
    cats = list(dict.fromkeys(list(r_vals) + list(c_vals)))
    rc = np.array([sum(1 for v in r_vals if v == k) for k in cats], dtype=float)
    cc = np.array([sum(1 for v in c_vals if v == k) for k in cats], dtype=float)
    p, q = shares(rc), shares(cc)
    out = {}
    if len(cats) >= 2:
        chi = stats.chi2_contingency(np.vstack([rc, cc]), correction=False)
        out["chisquare"] = (chi[0], chi[1])
    else:
        out["chisquare"] = (0.0, 1.0)
    out["linf"] = (float(np.max(np.abs(p - q))), None)
    out["psi"] = (psi(p, q), None)
    out["jensenshannon"] = (float(distance.jensenshannon(p, q, base=2)), None)
    out["hellinger"] = (hellinger(p, q), None)
    return out


def numeric_tests(r, c, bins=10):
    r, c = np.sort(np.asarray(r)), np.sort(np.asarray(c))
    out = {}
    ks = stats.ks_2samp(r, c, method="auto")
    out["ks"] = (ks.statistic, ks.pvalue)
    cvm = stats.cramervonmises_2samp(r, c)
    out["cramervonmises"] = (cvm.statistic, cvm.pvalue)
    out["anderson"] = (stats.anderson_ksamp([r, c]).statistic, None)
    w = stats.wasserstein_distance(r, c)
    out["wasserstein"] = (w, None)
    out["wasserstein_normed"] = (w / max(np.std(r), 0.001), None)
    p, q = binned(r, c, bins)
    out["psi"] = (psi(p, q), None)
    out["jensenshannon"] = (float(distance.jensenshannon(p, q, base=2)), None)
    out["hellinger"] = (hellinger(p, q), None)
    return out


def close(a, b, rtol):
    if a is None or b is None:
        return a is None and b is None
    if a == b:
        return True
    # p-values far in the tail: compare on the log scale
    if 0 < a < 1e-10 and 0 < b < 1e-10:
        return abs(math.log(a) - math.log(b)) < 1e-3
    return abs(a - b) <= rtol * max(abs(a), abs(b)) + 1e-12


def check_shape(doc, errors):
    top = {"model": str, "dataset_drift": bool, "drift_share": (int, float), "drifted_features": int,
           "n_features": int, "features": list, "baseline": dict, "window": dict}
    for k, t in top.items():
        if k not in doc or not isinstance(doc[k], t):
            errors.append(f"top-level '{k}' missing or not {t}")
    for k in ("rows", "from", "to"):
        if k not in doc.get("window", {}):
            errors.append(f"window.{k} missing")
    for k in ("path", "rows", "md5", "data_version"):
        if k not in doc.get("baseline", {}):
            errors.append(f"baseline.{k} missing")
    for f in doc.get("features", []):
        for k in ("name", "type", "method", "statistic", "p_value", "threshold", "drift", "missing_share",
                  "tests"):
            if k not in f:
                errors.append(f"feature {f.get('name')}: '{k}' missing")
        if f.get("type") not in ("numeric", "categorical"):
            errors.append(f"feature {f.get('name')}: bad type {f.get('type')}")
        for m, t in f.get("tests", {}).items():
            if set(t) != {"statistic", "p_value"}:
                errors.append(f"feature {f.get('name')}: tests.{m} keys {sorted(t)}")
    counted = [f for f in doc.get("features", []) if "role" not in f]
    drifted = sum(1 for f in counted if f["drift"])
    if doc.get("drifted_features") != drifted or doc.get("n_features") != len(counted):
        errors.append("drifted_features/n_features do not match the features list")
    if counted and abs(doc["drift_share"] - drifted / len(counted)) > 1e-12:
        errors.append("drift_share is not drifted_features / n_features")


P_METHODS = ("ks", "cramervonmises", "chisquare")


def check_correction(doc, errors):
    """The p-values of the deciding tests that have one, adjusted across features as the verdict's
    `correction` says: Benjamini-Hochberg (statsmodels' multipletests(method='fdr_bh'), written out
    here: p_(i) * m / i, made monotone from the largest rank down, capped at 1) or Bonferroni."""
    corr = doc.get("correction")
    feats = [f for f in doc.get("features", []) if f["method"] in P_METHODS and f["p_value"] is not None]
    if corr == "none" or not feats:
        for f in feats:
            if "p_value_adjusted" in f:
                errors.append(f"{f['name']}: p_value_adjusted without a correction")
        return
    m = len(feats)
    order = sorted(range(m), key=lambda i: feats[i]["p_value"])
    want = [0.0] * m
    if corr == "bonferroni":
        want = [min(1.0, f["p_value"] * m) for f in feats]
    elif corr == "fdr":
        run = 1.0
        for rank in range(m, 0, -1):
            i = order[rank - 1]
            run = min(run, feats[i]["p_value"] * m / rank)
            want[i] = run
    else:
        errors.append(f"unknown correction {corr!r}")
        return
    for f, w in zip(feats, want):
        if not close(f.get("p_value_adjusted"), w, 1e-12):
            errors.append(f"{f['name']}: p_value_adjusted {f.get('p_value_adjusted')} != {corr} {w}")


def main():
    args = sys.argv[1:]
    rtol = 1e-7
    forced_cat = set()
    if "--rtol" in args:
        i = args.index("--rtol")
        rtol = float(args[i + 1])
        del args[i:i + 2]
    if "--categorical" in args:
        i = args.index("--categorical")
        forced_cat = set(args[i + 1].split(","))
        del args[i:i + 2]
    base_path, cur_path, json_path = args
    _, base = read_csv(base_path)
    _, cur = read_csv(cur_path)
    with open(json_path) as f:
        doc = json.load(f)
    errors = []
    check_shape(doc, errors)
    for feat in doc["features"]:
        name = feat["name"]
        rv = base[name]
        cv = cur.get(name, [])
        numeric = numeric_column(rv) and name not in forced_cat
        if (feat["type"] == "numeric") != numeric:
            errors.append(f"{name}: type {feat['type']}, reference says {'numeric' if numeric else 'categorical'}")
            continue
        base_missing = sum(1 for v in rv if is_missing(v)) / len(rv)
        if numeric:
            r = [as_float(v) for v in rv if not is_missing(v)]
            c = [x for x in (as_float(v) for v in cv if not is_missing(v)) if x is not None]
            cur_missing = 1 - len(c) / len(cv) if cv else 1.0
            u = len(set(r) | set(c))
            ref = numeric_tests(r, c) if r and c else {}
            if u <= 5 and r and c:
                ref.update(categorical_tests(r, c))
                tested_cat = True
            else:
                tested_cat = False
            if feat.get("method") in ("chisquare", "jensenshannon") and not tested_cat and feat["method"] == "chisquare":
                errors.append(f"{name}: chisquare on a numeric feature with {u} distinct values")
            auto = (("chisquare" if len(r) <= 1000 else "jensenshannon") if tested_cat
                    else ("ks" if len(r) <= 1000 else "wasserstein_normed"))
        else:
            r = [v for v in rv if not is_missing(v)]
            c = [v for v in cv if not is_missing(v)]
            cur_missing = 1 - len(c) / len(cv) if cv else 1.0
            ref = categorical_tests(r, c) if r and c else {}
            auto = "chisquare" if len(r) <= 1000 else "jensenshannon"
        if doc.get("methods") in ("auto", "all") and feat["method"] != auto:
            errors.append(f"{name}: method {feat['method']}, the auto rule gives {auto}")
        if not close(feat["missing_share"], cur_missing, 1e-12):
            errors.append(f"{name}: missing_share {feat['missing_share']} != {cur_missing}")
        for m, got in feat["tests"].items():
            if m not in ref:
                if got["statistic"] is not None:
                    errors.append(f"{name}: {m} has a statistic but the reference cannot run it")
                continue
            stat, pv = ref[m]
            if not close(got["statistic"], float(stat), rtol):
                errors.append(f"{name}: {m} statistic {got['statistic']} != scipy {stat}")
            if pv is not None and not close(got["p_value"], float(pv), max(rtol, 1e-6)):
                errors.append(f"{name}: {m} p_value {got['p_value']} != scipy {pv}")
        # the decision, re-derived
        stat, pv = feat["statistic"], feat["p_value"]
        if feat["method"] in ("ks", "cramervonmises", "chisquare"):
            p_use = feat.get("p_value_adjusted", pv)
            by_test = p_use is not None and p_use < feat["threshold"]
        else:
            by_test = stat is not None and stat >= feat["threshold"]
        by_missing = cur_missing - base_missing >= 0.1 - 1e-12
        if feat["drift"] != (by_test or by_missing):
            errors.append(f"{name}: drift {feat['drift']} but test={by_test} missing={by_missing}")
    check_correction(doc, errors)
    if errors:
        print("\n".join(errors))
        return 1
    print(f"ok: {len(doc['features'])} features match scipy")
    return 0


if __name__ == "__main__":
    sys.exit(main())
