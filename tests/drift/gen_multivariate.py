#!/usr/bin/python3
"""Writes tests/drift/fixtures/multivariate.json (and the correlation-flip CSVs): what numpy computes
for docs/statistics.md's pca_reconstruction and mmd on real and edge-case data.

Run with Debian's /usr/bin/python3 (numpy 1.24; python3-sklearn 1.2 for its bundled datasets,
which ship inside the package: no download):
    /usr/bin/python3 tests/drift/gen_multivariate.py
Each expected value names the numpy call that produced it ("source"). The reference implementation
below is docs/statistics.md written in numpy, independently of the C code.
"""
import json
import os

import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")
rng = np.random.default_rng(20240613)


def standardise(X, mean, std):
    """(x - mean) / std, std 0 -> 1, missing imputed with the mean (-> 0); no mean -> column 0."""
    s = np.where((std == 0) | ~np.isfinite(std), 1.0, std)
    with np.errstate(invalid="ignore"):
        Z = (X - mean) / s
    Z = np.where(np.isnan(X), 0.0, Z)
    Z[:, ~np.isfinite(mean)] = 0.0
    return Z


def ref_moments(X):
    """The profile's per-feature mean/std over non-missing values, ddof=0 (NaN when none)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return np.nanmean(X, axis=0), np.nanstd(X, axis=0, ddof=0)


def pca_fit(Z, ratio=0.65):
    mu = Z.mean(axis=0)
    Xc = Z - mu
    U, S, Vt = np.linalg.svd(Xc, full_matrices=False)  # the numpy path: np.linalg.svd
    lam = S ** 2
    total = lam.sum()
    if not total > 0:
        return mu, Vt[:0].T, 0, None
    cum = np.cumsum(lam) / total
    k = int(np.argmax(cum >= ratio)) + 1
    return mu, Vt[:k].T, k, float(cum[k - 1])


def pca_error(mu, W, Z):
    D = Z - mu
    R = D - D @ W @ W.T
    return float(np.mean(np.linalg.norm(R, axis=1)))


def chunk_thresholds(mu, W, Z, chunks=10):
    n = len(Z)
    size = n // chunks
    vals = []
    for c in range(chunks):
        lo = c * size
        hi = n if c == chunks - 1 else lo + size
        if hi > lo:
            vals.append(pca_error(mu, W, Z[lo:hi]))
    if len(vals) < 2:
        return vals, None, None
    v = np.array(vals)
    m, s = v.mean(), v.std(ddof=0)
    return vals, float(max(0.0, m - 3 * s)), float(m + 3 * s)


def mmd(X, Y, cap=1000):
    nx, ny = min(len(X), cap), min(len(Y), cap)
    P = np.vstack([X[(np.arange(nx) * len(X)) // nx], Y[(np.arange(ny) * len(Y)) // ny]])
    N = len(P)
    D = ((P[:, None, :] - P[None, :, :]) ** 2).sum(-1)
    sigma2 = float(np.median(D[np.triu_indices(N, 1)]))
    if sigma2 == 0:
        sigma2 = 1.0
    K = np.exp(-D / (2 * sigma2))
    kxx, kyy, kxy = K[:nx, :nx], K[nx:, nx:], K[:nx, nx:]
    stat = ((kxx.sum() - np.trace(kxx)) / (nx * (nx - 1)) + (kyy.sum() - np.trace(kyy)) / (ny * (ny - 1))
            - 2 * kxy.sum() / (nx * ny))
    return float(stat), sigma2, nx, ny


def rows_json(X):
    return [[None if np.isnan(v) else float(v) for v in row] for row in X]


def case(name, what, ref_all, sample, window, with_mmd=True, data=None):
    """ref_all: the whole reference (moments); sample: the row sample; window: current rows."""
    mean, std = ref_moments(ref_all)
    Zs = standardise(sample, mean, std)
    Zw = standardise(window, mean, std)
    mu, W, k, explained = pca_fit(Zs)
    chunk_vals, lower, upper = chunk_thresholds(mu, W, Zs)
    c = {
        "name": name, "what": what,
        "mean": [None if not np.isfinite(v) else float(v) for v in mean],
        "std": [None if not np.isfinite(v) else float(v) for v in std],
        "expected": {
            "components": k,
            "explained": explained,
            "window_error": pca_error(mu, W, Zw),
            "reference_error": pca_error(mu, W, Zs),
            "chunk_errors": chunk_vals,
            "lower": lower,
            "upper": upper,
            "source": "np.linalg.svd(Z - Z.mean(0), full_matrices=False); k = argmax(cumsum(S**2)/sum(S**2) >= 0.65)+1; "
                      "np.mean(np.linalg.norm(D - D @ W @ W.T, axis=1)); chunks: np.std(ddof=0)",
        },
    }
    if data is None:
        c["sample"] = rows_json(sample)
        c["window"] = rows_json(window)
    else:
        c["data"] = data
    if with_mmd and len(sample) >= 2 and len(window) >= 2:
        stat, sigma2, nx, ny = mmd(Zs, Zw)
        c["expected"]["mmd"] = {"statistic": stat, "sigma2": sigma2, "n": nx, "m": ny,
                                "source": "np.median(D[np.triu_indices(N, 1)]); unbiased MMD^2 from K = np.exp(-D/(2*sigma2))"}
    return c


def with_missing(X, share, seed):
    r = np.random.default_rng(seed)
    X = X.copy()
    X[r.random(X.shape) < share] = np.nan
    return X


def formula_rows(n, p, offset):
    """Integer-valued data both sides compute exactly: x[i][j] = (i*31 + j*17) % 101 + ((i%7)*(j%11)) % 19."""
    i = np.arange(offset, offset + n)[:, None]
    j = np.arange(p)[None, :]
    return ((i * 31 + j * 17) % 101 + ((i % 7) * (j % 11)) % 19).astype(float)


cases = []

bc = load_breast_cancer().data  # 569 x 30, sklearn's bundled copy of the UCI data
ref = with_missing(bc[:400], 0.01, 1)
sample = ref[(np.arange(300) * 400) // 300]  # a subset, so the profile's moments differ from the sample's
win = bc[400:].copy()
cases.append(case("breast_cancer_same", "breast cancer (30 features), 1% missing in the reference; window = the last 169 rows",
                  ref, sample, win))
win2 = win.copy()
win2[:, 0] *= 1.5
win2[:, 20] *= 0.7
cases.append(case("breast_cancer_drifted", "as breast_cancer_same, window features 0 and 20 rescaled", ref, sample, win2))

db = load_diabetes().data  # 442 x 10
cases.append(case("diabetes", "diabetes (10 features): reference rows 0-299, window rows 300-441", db[:300], db[:300], db[300:]))

X = bc[:200, :8].copy()
X = np.hstack([X, np.full((200, 1), 3.0), np.full((200, 1), np.nan)])
W = bc[200:300, :8].copy()
W = np.hstack([W, np.full((100, 1), 3.0), rng.standard_normal((100, 1)).round(4)])
cases.append(case("constant_and_missing_column", "8 breast cancer features + a constant column + a column missing in the "
                  "whole reference (present in the window)", X, X, W))

Xw = rng.standard_normal((20, 50)).round(4)
Ww = (rng.standard_normal((10, 50)) + 0.3).round(4)
cases.append(case("more_features_than_rows", "50 features, 20 reference rows (SVD path), 10 window rows", Xw, Xw, Ww))

X1 = np.array([[1.0, 2.0, 3.0, 4.0]])
W1 = np.array([[1.0, 2.0, 3.0, 4.0], [2.0, 2.0, 3.0, 5.0], [0.5, 1.0, 3.0, 4.0]])
big = rng.standard_normal((50, 4)).round(4) + [1, 2, 3, 4]
cases.append(case("one_row", "a one-row sample (no variance: 0 components, thresholds undefined); moments from 50 rows",
                  big, X1, W1, with_mmd=False))

F = formula_rows(120, 1000, 0)
FW = formula_rows(40, 1000, 1000)
cases.append(case("wide_1000", "1000 features x 120 rows (formula data, exact in both)", F, F, FW, with_mmd=True,
                  data={"formula": "(i*31 + j*17) % 101 + ((i%7)*(j%11)) % 19", "p": 1000, "sample_rows": [0, 120],
                        "window_rows": [1000, 1040]}))

L = rng.standard_normal((1500, 4)).round(4)
LW = (rng.standard_normal((1200, 4)) + [0.1, 0, 0, 0]).round(4)
cases.append(case("mmd_subsampled", "1500 vs 1200 rows of 4 features: each side subsampled evenly to 1000", L, L, LW))

doc = {"generator": "tests/drift/gen_multivariate.py", "numpy": np.__version__,
       "what": "docs/statistics.md pca_reconstruction and mmd; sample/window rows are raw values (null = missing), "
               "mean/std the whole reference's (np.nanmean, np.nanstd ddof=0)", "cases": cases}
with open(os.path.join(OUT, "multivariate.json"), "w") as f:
    json.dump(doc, f, separators=(",", ":"))
    f.write("\n")

# The correlation flip (README, tests): X, Y ~ N(0, 1), corr +0.9 in the reference, -0.9 in the window.
def corr_rows(n, rho, r):
    a = r.standard_normal(n)
    b = rho * a + np.sqrt(1 - rho * rho) * r.standard_normal(n)
    return np.column_stack([a, b]).round(4)


flip = np.random.default_rng(7)
for name, n, rho in (("corrflip_reference.csv", 2000, 0.9), ("corrflip_window.csv", 1000, -0.9)):
    with open(os.path.join(OUT, name), "w") as f:
        f.write("x,y\n")
        for a, b in corr_rows(n, rho, flip):
            f.write(f"{a:.4f},{b:.4f}\n")
print("wrote", len(cases), "cases")
