#!/usr/bin/python3
"""numpy's SVD path for pca_reconstruction on the rows bench_multivariate wrote (same data):
standardise, centre, np.linalg.svd, keep k at 0.65, chunk thresholds, reconstruction of the window.
    numpy_pca.py DIR REF_ROWS WINDOW_ROWS FEATURES"""
import sys
import time

import numpy as np

d, nr, nw, p = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
R = np.fromfile(f"{d}/ref.f64").reshape(nr, p)
W = np.fromfile(f"{d}/win.f64").reshape(nw, p)
mean, std = R.mean(0), R.std(0)
t0 = time.perf_counter()
Z, ZW = (R - mean) / std, (W - mean) / std
t1 = time.perf_counter()
mu = Z.mean(0)
U, S, Vt = np.linalg.svd(Z - mu, full_matrices=False)
lam = S ** 2
k = int(np.argmax(np.cumsum(lam) / lam.sum() >= 0.65)) + 1
Wk = Vt[:k].T
t2 = time.perf_counter()
def err(X):
    D = X - mu
    return np.linalg.norm(D - D @ Wk @ Wk.T, axis=1).mean()
size = nr // 10
vals = [err(Z[c * size:(nr if c == 9 else (c + 1) * size)]) for c in range(10)]
t3 = time.perf_counter()
e = err(ZW)
t4 = time.perf_counter()
print(f"numpy standardise {t1 - t0:.4f}")
print(f"numpy pca_fit {t2 - t1:.4f} (components {k})")
print(f"numpy pca_thresholds {t3 - t2:.4f}")
print(f"numpy pca_error {t4 - t3:.4f} (error {e:.6f})")
print(f"numpy pca_total {t4 - t1:.4f}")
