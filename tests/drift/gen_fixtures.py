#!/usr/bin/python3
"""Writes tests/drift/fixtures/*.json: seeded datasets and what scipy computes for them.

Run with Debian's /usr/bin/python3 (scipy 1.10, numpy 1.24):
    /usr/bin/python3 tests/drift/gen_fixtures.py
Every expected value carries a "source" naming the scipy/numpy call that produced it. Data are
rounded to 4 decimals (to keep the files small; it also makes ties), except where noted.
"""
import json
import math
import os
import sys
import warnings

import numpy as np
import scipy
import scipy.stats as st
from scipy.spatial.distance import jensenshannon

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
rng = np.random.default_rng(20240611)
datasets = {}


def add(name, values):
    datasets[name] = [float(v) for v in values]
    return name


def normal(n, loc=0.0, decimals=4):
    return np.round(rng.standard_normal(n) + loc, decimals)


def header(what):
    return {"generator": "tests/drift/gen_fixtures.py", "scipy": scipy.__version__,
            "numpy": np.__version__, "what": what}


def kolmogn_branch(n, x):
    """Which method scipy's _kolmogn(n, x, cdf=False) uses (documentation of the coverage)."""
    if x <= 0.5 / n or x >= 1:
        return "outside support"
    t = n * x
    if t <= 1:
        return "ruben-gambino x<=1/n" + (" product" if n <= 140 else " stirling")
    if t >= n - 1:
        return "ruben-gambino x>=1-1/n"
    smirnov = "2*smirnov (n > 1e6 approximation)" if n > 1000000 else "2*smirnov"
    if -2 * n * x * x < -708.396418532264106224:
        smirnov = "2*smirnov underflow (0)"
    if x >= 0.5:
        return smirnov + " x>=0.5"
    if n <= 140:
        return "durbin-mtw" if t * x <= 0.754693 else ("pomeranz" if t * x <= 4 else smirnov)
    if t * x >= 370:
        return "zero nx^2>=370"
    if t * x >= 2.2:
        return smirnov
    return "1-durbin-mtw" if n <= 100000 and n * x ** 1.5 <= 1.4 else "1-pelz-good"


# ---------------------------------------------------------------- numeric datasets
add("normal_200", normal(200))
add("normal_150", normal(150))
add("shift05_250", normal(250, 0.5))
add("normal_300", normal(300))
add("ties_400", np.round(rng.standard_normal(400), 1))
add("ties_shift02_300", np.round(rng.standard_normal(300) + 0.2, 1))
add("discrete_500", rng.integers(0, 5, 500))
add("discrete_450", rng.integers(0, 6, 450))
add("small_5", normal(5))
add("small_shift1_7", normal(7, 1.0))
add("small_20", normal(20))
add("small_shift03_20", normal(20, 0.3))
add("small_13", normal(13))
add("small_3", normal(3))
add("small_4", normal(4, 0.5))
add("tiny_ties_8", [1, 1, 2, 2, 3, 3, 3, 4])
add("tiny_ties_6", [2, 3, 3, 5, 5, 6])
add("single_1", [0.25])
add("normal_30", normal(30))
add("normal_1000", normal(1000))
add("normal_1000b", normal(1000, 0.05))
add("normal_10000", normal(10000))
add("shift02_500", normal(500, 0.2))
add("shift1_3", normal(3, 1.0))
add("const1_50", [1.0] * 50)
add("const1_40", [1.0] * 40)
add("const2_40", [2.0] * 40)
add("signed_zeros_6", [-0.0, 0.0, -0.0, 1.0, -1.0, 0.0])
add("signed_zeros_5", [0.0, -0.0, 0.5, -0.5, 0.0])
# n == m with D = h/n, h small: scipy's exact sum rounds above 1 and it falls back to kstwo
add("fallback_7", [1, 2, 3, 4, 5, 6, 7])
add("fallback_7b", [1, 2, 3, 4, 5, 6, 7.5])
add("fallback_60", np.arange(1, 61))
add("fallback_60b", list(range(3, 61)) + [60.5, 61])
# exact-branch tails: complete separation gives 2 / C(n+m, n)
add("sep_500", normal(500))
add("sep_shift20_500", normal(500, 20.0))
add("sep_480", normal(480))
add("sep_shift20_520", normal(520, 20.0))
add("tail_150", normal(150))
add("tail_shift15_170", normal(170, 1.5))
add("tail_400", normal(400))
add("tail_shift3_600", normal(600, 3.0))
# asymptotic branch: one sample above 10000 values
add("big_12000", normal(12000))
add("big_shift005_11000", normal(11000, 0.05))
add("big_shift02_11000", normal(11000, 0.2))


def asym_partner(m, loc, tag=None):
    return add(tag or f"asym_{m}_shift{loc:g}", normal(m, loc))


asym_pairs = []
for m, locs in [(3, [0.0, 1.5, 4.0]), (5, [0.0, 0.8, 2.0, 5.0]), (60, [0.0, 0.3, 0.6, 1.2, 3.0]),
                (100, [0.0, 0.1, 0.25, 0.5, 1.0]), (141, [0.0, 0.4]),
                (300, [0.0, 0.05, 0.3, 0.8]), (2000, [0.0, 0.1, 0.5])]:
    for loc in locs:
        asym_pairs.append(("big_12000", asym_partner(m, loc)))


def tail_search(target_log10, m, lo, hi):
    """A shift of an m-value normal sample against big_12000 whose ks p-value is near 10^target."""
    base = np.array(datasets["big_12000"])
    best = None
    state = rng.bit_generator.state
    for loc in np.linspace(lo, hi, 200):
        rng.bit_generator.state = state
        c = normal(m, loc)
        p = st.ks_2samp(base, c).pvalue
        if p > 0:
            err = abs(math.log10(p) - target_log10)
            if best is None or err < best[0]:
                best = (err, loc, c)
    rng.bit_generator.state = state
    normal(m, 0.0)  # advance the generator past the searched draws
    return add(f"asym_{m}_tail1e{target_log10}", best[2])


asym_pairs.append(("big_12000", tail_search(-30, 2000, 0.3, 0.8)))
asym_pairs.append(("big_12000", tail_search(-100, 2000, 0.6, 1.2)))
asym_pairs.append(("big_12000", tail_search(-300, 2000, 1.0, 1.6)))
asym_pairs.append(("big_12000", tail_search(-300, 800, 1.5, 2.5)))

pairs = [
    ("normal_200", "normal_150"), ("normal_200", "shift05_250"), ("normal_300", "normal_200"),
    ("ties_400", "ties_shift02_300"), ("discrete_500", "discrete_450"),
    ("small_5", "small_shift1_7"), ("small_20", "small_shift03_20"), ("small_20", "small_13"),
    ("small_3", "small_4"), ("tiny_ties_8", "tiny_ties_6"), ("single_1", "normal_30"),
    ("normal_30", "single_1"), ("normal_1000", "normal_1000b"), ("small_3", "normal_10000"),
    ("normal_10000", "shift02_500"), ("shift1_3", "normal_10000"),
    ("fallback_7", "fallback_7b"), ("fallback_60", "fallback_60b"),
    ("signed_zeros_6", "signed_zeros_5"), ("const1_50", "const1_40"), ("const1_50", "const2_40"),
    ("sep_500", "sep_shift20_500"), ("sep_480", "sep_shift20_520"),
    ("tail_150", "tail_shift15_170"), ("tail_400", "tail_shift3_600"),
    ("big_12000", "big_shift005_11000"), ("big_12000", "big_shift02_11000"),
] + asym_pairs


numeric_cases = []
for rn, cn in pairs:
    r, c = np.array(datasets[rn]), np.array(datasets[cn])
    case = {"r": rn, "c": cn}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ks = st.ks_2samp(r, c, method="auto")
    fell_back = any("Exact calculation unsuccessful" in str(w.message) for w in caught)
    case["ks"] = {"statistic": ks.statistic, "p_value": ks.pvalue,
                  "branch": "asymp" if max(len(r), len(c)) > 10000 or fell_back else "exact",
                  "source": "scipy.stats.ks_2samp(r, c, method='auto')"}
    if fell_back:
        case["ks"]["note"] = "exact computation unsuccessful (p > 1 after rounding): scipy switched to asymp"

    if len(r) >= 2 and len(c) >= 2:  # scipy rejects one-value samples; so does drift_cramervonmises
        cvm = st.cramervonmises_2samp(r, c)
        case["cramervonmises"] = {"statistic": cvm.statistic, "p_value": cvm.pvalue,
                                  "source": "scipy.stats.cramervonmises_2samp(r, c)"}
    if len(r) + len(c) >= 4 and len(np.unique(np.concatenate([r, c]))) >= 2:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ad = st.anderson_ksamp([r, c])
        case["anderson"] = {"statistic": ad.statistic, "p_value": ad.significance_level,
                            "source": "scipy.stats.anderson_ksamp([r, c]) (.statistic, .significance_level)"}
    w = st.wasserstein_distance(r, c)
    case["wasserstein"] = {"statistic": w, "p_value": None,
                           "source": "scipy.stats.wasserstein_distance(r, c)"}
    case["wasserstein_normed"] = {"statistic": w / max(np.std(r), 0.001), "p_value": None,
                                  "source": "scipy.stats.wasserstein_distance(r, c) / max(numpy.std(r), 0.001)"}
    if case["ks"]["branch"] == "asymp":
        big, small = max(len(r), len(c)), min(len(r), len(c))
        case["ks"]["kstwo_branch"] = kolmogn_branch(round(big * small / (big + small)), ks.statistic)
    numeric_cases.append(case)

# ---------------------------------------------------------------- kstwo grid
kstwo = []
for n in [1, 2, 3, 5, 10, 50, 100, 140, 141, 200, 1000, 10000, 50000, 100000, 100001, 500000, 2000000]:
    xs = {0.4 / n, 0.5 / n, 0.7 / n, 1.0 / n, 1.5 / n, 0.5, 0.6, 0.9, 0.999, (n - 1) / n, (n - 0.5) / n, 1.0}
    for cc in [0.2, 0.5, 0.7, 0.75, 0.76, 1.0, 1.5, 2.0, 2.19, 2.21, 3.0, 3.9, 4.0, 4.1, 10.0, 17.9,
               18.1, 50.0, 100.0, 200.0, 300.0, 345.0, 354.0, 355.0, 369.0, 371.0]:
        xs.add(math.sqrt(cc / n))
    # n * x^1.5 around 1.4 (DMTW versus Pelz-Good)
    xs.add((1.39 / n) ** (2 / 3))
    xs.add((1.41 / n) ** (2 / 3))
    for x in sorted(xs):
        if 0 < x <= 1:
            kstwo.append({"n": n, "x": x, "sf": float(st.kstwo.sf(x, n)), "branch": kolmogn_branch(n, x)})
coverage = {}
for pt in kstwo:
    coverage[pt["branch"]] = coverage.get(pt["branch"], 0) + 1
print("kstwo grid branches:", coverage, file=sys.stderr)

# ---------------------------------------------------------------- binned
binned = []


def binned_case(rn, cn, bins):
    r, c = np.sort(np.array(datasets[rn])), np.sort(np.array(datasets[cn]))
    edges = np.unique(np.quantile(r, np.arange(1, bins) / bins))
    p = np.bincount(np.searchsorted(edges, r, side="right"), minlength=len(edges) + 1) / len(r)
    q = np.bincount(np.searchsorted(edges, c, side="right"), minlength=len(edges) + 1) / len(c)
    binned.append({"r": rn, "c": cn, "bins": bins, **distances(p, q),
                   "edges": list(map(float, edges)), "p": list(map(float, p)), "q": list(map(float, q)),
                   "source": "edges = numpy.unique(numpy.quantile(r, numpy.arange(1, bins) / bins)); "
                             "shares = numpy.bincount(numpy.searchsorted(edges, x, 'right')) / len(x)"})


def distances(p, q):
    pp, qq = np.maximum(p, 1e-4), np.maximum(q, 1e-4)
    return {"psi": float(np.sum((qq - pp) * np.log(qq / pp))),
            "jensenshannon": float(jensenshannon(p, q, base=2)),
            "hellinger": float(np.sqrt(max(0.0, 1.0 - np.sum(np.sqrt(p * q))))),
            "linf": float(np.max(np.abs(p - q))),
            "distance_sources": {
                "psi": "numpy.sum((q' - p') * numpy.log(q' / p')), p' = numpy.maximum(p, 1e-4)",
                "jensenshannon": "scipy.spatial.distance.jensenshannon(p, q, base=2)",
                "hellinger": "numpy.sqrt(1 - numpy.sum(numpy.sqrt(p * q)))",
                "linf": "numpy.max(numpy.abs(p - q))"}}


for rn, cn, b in [("normal_1000", "normal_1000b", 10), ("normal_200", "shift05_250", 10),
                  ("normal_200", "shift05_250", 5), ("normal_10000", "shift02_500", 20),
                  ("ties_400", "ties_shift02_300", 10), ("discrete_500", "discrete_450", 10),
                  ("small_5", "small_shift1_7", 10), ("single_1", "normal_30", 10),
                  ("sep_500", "sep_shift20_500", 10), ("big_12000", "big_shift02_11000", 100)]:
    binned_case(rn, cn, b)

shares = []
for name, p, q in [
        ("identical", [0.2, 0.3, 0.5], [0.2, 0.3, 0.5]),
        ("zero_share_in_current", [0.25, 0.25, 0.5], [0.5, 0.5, 0.0]),
        ("zero_share_in_baseline", [0.0, 0.4, 0.6], [0.1, 0.4, 0.5]),
        ("disjoint", [1.0, 0.0], [0.0, 1.0]),
        ("many_categories_200", list(rng.dirichlet(np.ones(200))), list(rng.dirichlet(np.ones(200)))),
        ("near_identical_16", list(np.full(16, 1 / 16)), list(np.full(16, 1 / 16) + np.tile([1e-6, -1e-6], 8)))]:
    shares.append({"name": name, "p": [float(v) for v in p], "q": [float(v) for v in q],
                   **distances(np.array(p), np.array(q))})

# ---------------------------------------------------------------- chi-square
chisq = []
for name, cr, cc in [
        ("three_categories", [30, 50, 20], [25, 60, 15]),
        ("category_only_in_current", [10, 0, 5], [8, 4, 0]),
        ("category_only_in_baseline", [12, 7, 3], [10, 9, 0]),
        ("two_categories", [500, 500], [450, 550]),
        ("many_categories_150", list(rng.integers(1, 100, 150)), list(rng.integers(1, 100, 150))),
        ("strong_shift_small_p", [900, 100, 0], [100, 800, 100]),
        ("large_counts", [100000, 200000, 300000], [101000, 199000, 300500])]:
    res = st.chi2_contingency(np.array([cr, cc], dtype=float), correction=False)
    chisq.append({"name": name, "count_r": [float(v) for v in cr], "count_c": [float(v) for v in cc],
                  "statistic": float(res[0]), "p_value": float(res[1]), "dof": int(res[2]),
                  "source": "scipy.stats.chi2_contingency([count_r, count_c], correction=False)"})

os.makedirs(OUT, exist_ok=True)
files = {
    "datasets.json": {**header("numeric samples (unsorted) referenced by name"), "datasets": datasets},
    "numeric.json": {**header("ks, cramervonmises, anderson, wasserstein for pairs of datasets"),
                     "cases": numeric_cases},
    "kstwo.json": {**header("scipy.stats.kstwo.sf(x, n) over a grid crossing every branch of _kolmogn"),
                   "source": "scipy.stats.kstwo.sf(x, n)", "points": kstwo},
    "binned.json": {**header("quantile bins, shares and distances"), "binned": binned, "shares": shares},
    "chisquare.json": {**header("chi-square homogeneity tests on 2 x k tables"), "cases": chisq},
}
for fname, obj in files.items():
    with open(os.path.join(OUT, fname), "w") as f:
        json.dump(obj, f, separators=(",", ":"), allow_nan=False)
        f.write("\n")
    print(fname, os.path.getsize(os.path.join(OUT, fname)), "bytes", file=sys.stderr)
