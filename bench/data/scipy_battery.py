#!/usr/bin/python3
"""The `check --methods all` battery in scipy/numpy, for comparison with driftwatch in the same run.

usage: scipy_battery.py BASELINE.csv CURRENT.csv [DRIFTWATCH.json]
Prints the time to load the CSVs and the time of the battery (every numeric method of docs/statistics.md
on every column), and, given driftwatch's JSON for the same files, the largest relative
difference per method between the two.
"""
import json
import sys
import time
import warnings

import numpy as np
from scipy import stats
from scipy.spatial import distance

warnings.filterwarnings("ignore")


def binned(r, c, bins=10):
    edges = np.unique(np.quantile(r, [k / bins for k in range(1, bins)]))
    k = len(edges) + 1
    p = np.bincount(np.searchsorted(edges, r, side="right"), minlength=k) / len(r)
    q = np.bincount(np.searchsorted(edges, c, side="right"), minlength=k) / len(c)
    return p, q


def battery(r, c):
    out = {}
    ks = stats.ks_2samp(r, c, method="auto")
    out["ks"] = (ks.statistic, ks.pvalue)
    cvm = stats.cramervonmises_2samp(r, c)
    out["cramervonmises"] = (cvm.statistic, cvm.pvalue)
    out["anderson"] = (stats.anderson_ksamp([r, c]).statistic, None)
    w = stats.wasserstein_distance(r, c)
    out["wasserstein"] = (w, None)
    out["wasserstein_normed"] = (w / max(np.std(r), 0.001), None)
    p, q = binned(r, c)
    p2, q2 = np.maximum(p, 1e-4), np.maximum(q, 1e-4)
    out["psi"] = (float(np.sum((q2 - p2) * np.log(q2 / p2))), None)
    out["jensenshannon"] = (float(distance.jensenshannon(p, q, base=2)), None)
    out["hellinger"] = (float(np.sqrt(max(0.0, 1 - np.sum(np.sqrt(p * q))))), None)
    return out


def main():
    t0 = time.perf_counter()
    with open(sys.argv[1]) as f:
        names = f.readline().strip().split(",")
    # one contiguous array per column, so scipy is not slowed by strided access
    base = np.ascontiguousarray(np.loadtxt(sys.argv[1], delimiter=",", skiprows=1).T)
    cur = np.ascontiguousarray(np.loadtxt(sys.argv[2], delimiter=",", skiprows=1).T)
    t1 = time.perf_counter()
    results = {}
    for j, name in enumerate(names):
        results[name] = battery(base[j], cur[j])
    t2 = time.perf_counter()
    print(f"scipy: load {t1 - t0:.2f} s, battery {t2 - t1:.2f} s for {len(names)} features "
          f"({base.shape[1]} vs {cur.shape[1]} rows)")
    if len(sys.argv) > 3:
        doc = json.load(open(sys.argv[3]))
        worst = {}
        for feat in doc["features"]:
            ref = results[feat["name"]]
            for m, got in feat["tests"].items():
                for k, want in zip(("statistic", "p_value"), ref[m]):
                    if want is None or got[k] is None:
                        continue
                    rel = abs(got[k] - want) / max(abs(want), 1e-300)
                    if want < 1e-10 and got[k] < 1e-10:
                        rel = 0.0  # both far in the tail
                    key = f"{m}.{k}"
                    worst[key] = max(worst.get(key, 0.0), rel)
        print("largest relative difference driftwatch vs scipy: " +
              ", ".join(f"{k} {v:.1e}" for k, v in sorted(worst.items())))


if __name__ == "__main__":
    main()
