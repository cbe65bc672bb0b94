#!/usr/bin/python3
"""The drift battery of bench_drift.c done with scipy 1.10 on the same generated data.

Prints the same "time", "check" and "peak_rss_kb" lines as bench_drift, so run.sh can compare.
Usage: /usr/bin/python3 bench/drift/scipy_battery.py [features [rows]]
"""
import resource
import sys
import time
import warnings

import numpy as np
import scipy.stats as st
from scipy.spatial.distance import jensenshannon


def splitmix(x):
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def generate(n, stream, scale, shift):
    """Bit for bit the doubles of bench_drift.c's generate()."""
    i = np.arange(4 * n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        x = splitmix(np.uint64(stream) * np.uint64(0x100000000) + i * np.uint64(0x9E3779B97F4A7C15))
    u = (x >> np.uint64(11)).astype(np.float64) * 2.0 ** -53
    u = u.reshape(n, 4)
    s = ((u[:, 0] + u[:, 1]) + u[:, 2]) + u[:, 3]
    return (s - 2.0) * 1.7320508075688772 * scale + shift


def feature_shift(f):
    return 0.5 if f % 10 == 0 else (0.02 if f % 5 == 0 else 0.0)


NAMES = ["ks", "cramervonmises", "anderson", "wasserstein", "wasserstein_normed", "bins", "psi",
         "jensenshannon", "hellinger"]


def run_feature(r, c, t):
    def timed(name, fn):
        t0 = time.perf_counter()
        out = fn()
        t["sec"][name] = t["sec"].get(name, 0.0) + time.perf_counter() - t0
        return out

    res = timed("ks", lambda: st.ks_2samp(r, c))
    t["chk"].setdefault("ks", [0, 0])
    t["chk"]["ks"][0] += res.statistic
    t["chk"]["ks"][1] += res.pvalue
    res = timed("cramervonmises", lambda: st.cramervonmises_2samp(r, c))
    t["chk"].setdefault("cramervonmises", [0, 0])
    t["chk"]["cramervonmises"][0] += res.statistic
    t["chk"]["cramervonmises"][1] += res.pvalue
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = timed("anderson", lambda: st.anderson_ksamp([r, c]))
    t["chk"].setdefault("anderson", [0, 0])
    t["chk"]["anderson"][0] += res.statistic
    t["chk"]["anderson"][1] += res.significance_level
    w = timed("wasserstein", lambda: st.wasserstein_distance(r, c))
    wn = timed("wasserstein_normed", lambda: st.wasserstein_distance(r, c) / max(np.std(r), 0.001))
    for name, v in (("wasserstein", w), ("wasserstein_normed", wn)):
        t["chk"].setdefault(name, [0, 0])
        t["chk"][name][0] += v

    def bins():
        edges = np.unique(np.quantile(r, np.arange(1, 10) / 10))
        p = np.bincount(np.searchsorted(edges, r, side="right"), minlength=len(edges) + 1) / len(r)
        q = np.bincount(np.searchsorted(edges, c, side="right"), minlength=len(edges) + 1) / len(c)
        return p, q

    p, q = timed("bins", bins)

    def psi():
        pp, qq = np.maximum(p, 1e-4), np.maximum(q, 1e-4)
        return np.sum((qq - pp) * np.log(qq / pp))

    for name, fn in (("psi", psi), ("jensenshannon", lambda: jensenshannon(p, q, base=2)),
                     ("hellinger", lambda: np.sqrt(max(0.0, 1.0 - np.sum(np.sqrt(p * q)))))):
        v = timed(name, fn)
        t["chk"].setdefault(name, [0, 0])
        t["chk"][name][0] += v


def report(scenario, t):
    total = 0.0
    for name in NAMES:
        print(f"time {scenario} {name} {t['sec'][name]:.6f}")
        total += t["sec"][name]
    print(f"time {scenario} total {total:.6f}")
    for name in NAMES:
        if name != "bins":
            s, p = t["chk"][name]
            print(f"check {scenario} {name} {s:.12g} {p:.12g}")


def main():
    features = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 100000
    a = {"sec": {}, "chk": {}}
    for f in range(features):
        scale = 1.0 + f % 4
        r = generate(rows, 2 * f + 1, scale, 0.0)
        c = generate(rows, 2 * f + 2, scale, feature_shift(f) * scale)
        run_feature(r, c, a)
    print(f"# scenario a: {features} features, {rows} vs {rows} rows")
    report("a", a)
    b = {"sec": {}, "chk": {}}
    run_feature(generate(1000000, 1001, 1.0, 0.0), generate(1000000, 1002, 1.0, 0.01), b)
    print("# scenario b: 1 feature, 1000000 vs 1000000 rows")
    report("b", b)
    print(f"peak_rss_kb {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}")


if __name__ == "__main__":
    main()
