#!/usr/bin/python3
"""Writes tests/quality/data/*.csv and tests/quality/data/expected.json: model outputs on real
bundled data, and what scikit-learn 1.2.1 / numpy compute for them, for the CLI tests of
`driftwatch baseline --task ...` and `check` (performance and fairness).

Run with Debian's /usr/bin/python3 (python3-sklearn):
    /usr/bin/python3 tests/quality/gen_quality_data.py
The tests read only the committed files (no scikit-learn at run time). Every expected value names
the call that produced it.

- cancer_*.csv (binary): load_breast_cancer, a logistic regression fit on a seeded third; the
  reference is the second third, window_ok the last third, window_shifted the last third with
  Gaussian noise of 1.5 standard deviations added to every feature (covariate shift: the model
  gets worse), window_concept the last third with a quarter of its labels moved to other rows
  (concept drift: inputs and label shares unchanged, performance worse). Columns: 5 features, target, prediction, score (P(target = 1)).
- wine_*.csv (multiclass): load_wine, a logistic regression on 2 features; labels as text
  (class_0, class_1, class_2) to exercise non-numeric labels.
- diabetes_*.csv (regression): load_diabetes, a linear regression.
- diabetes_sex_*.csv (binary, fairness): load_diabetes with its real `sex` attribute (the scaled
  values mapped back to the original codes 1 and 2), target = progression > 140, a logistic
  regression on the other features; privileged sex = 2, favorable outcome 1. Fairness values are
  computed with numpy by the definitions (spd, dir, eod, aod) below, independently of the C code.
"""
import json
import math
import os
import warnings

import numpy as np
import sklearn
from sklearn import datasets, metrics
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "data")
warnings.simplefilter("ignore")

RANGE = {"log_loss": (0, math.inf), "mae": (0, math.inf), "rmse": (0, math.inf), "mape": (0, math.inf),
         "r2": (-math.inf, 1)}


def binary_metrics(y, p, s):
    return {
        "accuracy": (metrics.accuracy_score(y, p), "accuracy_score(y, yhat)"),
        "precision": (metrics.precision_score(y, p, zero_division=0), "precision_score(y, yhat, zero_division=0)"),
        "recall": (metrics.recall_score(y, p, zero_division=0), "recall_score(y, yhat, zero_division=0)"),
        "f1": (metrics.f1_score(y, p, zero_division=0), "f1_score(y, yhat, zero_division=0)"),
        "roc_auc": (metrics.roc_auc_score(y, s) if len(set(y)) == 2 else math.nan, "roc_auc_score(y, score)"),
        "log_loss": (metrics.log_loss(y, s, labels=[0, 1]), "log_loss(y, score, labels=[0, 1])"),
        "brier": (metrics.brier_score_loss(y, s), "brier_score_loss(y, score)"),
    }


def multiclass_metrics(y, p, s):
    labels = sorted(set(y) | set(p))
    kw = dict(labels=labels, average="macro", zero_division=0)
    return {
        "accuracy": (metrics.accuracy_score(y, p), "accuracy_score(y, yhat)"),
        "precision_macro": (metrics.precision_score(y, p, **kw), "precision_score(y, yhat, labels=union, average='macro', zero_division=0)"),
        "recall_macro": (metrics.recall_score(y, p, **kw), "recall_score(..., average='macro', zero_division=0)"),
        "f1_macro": (metrics.f1_score(y, p, **kw), "f1_score(..., average='macro', zero_division=0)"),
    }


def regression_metrics(y, p, s):
    return {
        "mae": (metrics.mean_absolute_error(y, p), "mean_absolute_error(y, yhat)"),
        "rmse": (metrics.mean_squared_error(y, p, squared=False), "mean_squared_error(y, yhat, squared=False)"),
        "mape": (metrics.mean_absolute_percentage_error(y, p), "mean_absolute_percentage_error(y, yhat)"),
        "r2": (metrics.r2_score(y, p), "r2_score(y, yhat)"),
    }


def num(x):
    x = float(x)
    return None if math.isnan(x) else x


def thresholds(fn, y, p, s, k=10):
    """NannyML's rule: k chunks of floor(n/k) rows (the rest to the last), mean -/+ 3 std (ddof 0)."""
    n = len(y)
    size = n // k
    per = []
    for i in range(k):
        lo, hi = i * size, (n if i == k - 1 else (i + 1) * size)
        per.append(fn(y[lo:hi], p[lo:hi], None if s is None else s[lo:hi]))
    out = {}
    for m in per[0]:
        vals = np.array([c[m][0] for c in per], dtype=float)
        vals = vals[~np.isnan(vals)]
        lo, hi = RANGE.get(m, (0, 1))
        if len(vals) < 2:
            out[m] = {"lower": None, "upper": None}
        else:
            mean, std = np.mean(vals), np.std(vals)
            out[m] = {"lower": num(min(max(mean - 3 * std, lo), hi)), "upper": num(min(max(mean + 3 * std, lo), hi))}
    return out


def realized(fn, y, p, s, th):
    out = {}
    for m, (v, call) in fn(y, p, s).items():
        lo, hi = th[m]["lower"], th[m]["upper"]
        direction = None
        if not math.isnan(v) and lo is not None and v < lo:
            direction = "low"
        elif not math.isnan(v) and hi is not None and v > hi:
            direction = "high"
        out[m] = {"value": num(v), "lower": lo, "upper": hi, "alert": direction is not None,
                  "direction": direction, "call": call}
    return out


def fairness(group_priv, outcome_fav, truth_fav):
    """AIF360 definitions over numpy boolean arrays (u = unprivileged, p = privileged)."""
    u, p = ~group_priv, group_priv
    pu, pp = outcome_fav[u].mean(), outcome_fav[p].mean()
    tpr = lambda g: outcome_fav[g & truth_fav].mean()
    fpr = lambda g: outcome_fav[g & ~truth_fav].mean()
    spd = pu - pp
    dir_ = pu / pp if pp != 0 else None
    eod = tpr(u) - tpr(p)
    aod = ((fpr(u) - fpr(p)) + (tpr(u) - tpr(p))) / 2
    alert = abs(spd) > 0.1 or (dir_ is not None and not (0.8 <= dir_ <= 1.2))
    return {"spd": num(spd), "dir": None if dir_ is None else num(dir_), "eod": num(eod), "aod": num(aod),
            "alert": bool(alert),
            "call": "numpy: spd = mean(fav[u]) - mean(fav[p]); dir = mean(fav[u]) / mean(fav[p]); "
                    "eod = TPR_u - TPR_p; aod = ((FPR_u - FPR_p) + (TPR_u - TPR_p)) / 2"}


def write_csv(path, header, rows):
    with open(os.path.join(OUT, path), "w") as f:
        f.write(",".join(header) + "\n")
        for r in rows:
            f.write(",".join(r) + "\n")


def fmt(x):
    return repr(float(x))


def thirds(n, seed):
    idx = np.random.default_rng(seed).permutation(n)
    return idx[: n // 3], idx[n // 3: 2 * n // 3], idx[2 * n // 3:]


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = {"generator": "tests/quality/gen_quality_data.py", "sklearn": sklearn.__version__,
                "numpy": np.__version__}

    # ---- binary: breast cancer ----
    X, y = datasets.load_breast_cancer(return_X_y=True)
    names = ["mean_radius", "mean_texture", "mean_perimeter", "mean_area", "mean_smoothness"]
    tr, ref, win = thirds(len(y), 20)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=10000)).fit(X[tr], y[tr])
    shifted = X[win] + np.random.default_rng(5).standard_normal(X[win].shape) * X.std(axis=0) * 1.5
    # concept drift: the same inputs, a quarter of the labels moved to other rows (the target's
    # distribution and the features stay as they were; only the model's performance changes)
    moved = y[win].copy()
    pick = np.random.default_rng(6).choice(len(moved), len(moved) // 4, replace=False)
    moved[pick] = moved[np.roll(pick, 1)]
    sets = {"reference": (X[ref], y[ref]), "window_ok": (X[win], y[win]), "window_shifted": (shifted, y[win]),
            "window_concept": (X[win], moved)}
    cancer = {}
    for name, (x, t) in sets.items():
        s = model.predict_proba(x)[:, 1]
        p = model.predict(x)
        write_csv("cancer_%s.csv" % name, names + ["target", "prediction", "score"],
                  [[fmt(v) for v in x[i, :5]] + [str(t[i]), str(p[i]), fmt(s[i])] for i in range(len(t))])
        cancer[name] = (t, p, s)
    th = thresholds(binary_metrics, *cancer["reference"])
    expected["cancer"] = {"thresholds": th,
                          "reference": {m: num(v[0]) for m, v in binary_metrics(*cancer["reference"]).items()},
                          "window_ok": realized(binary_metrics, *cancer["window_ok"], th),
                          "window_shifted": realized(binary_metrics, *cancer["window_shifted"], th),
                          "window_concept": realized(binary_metrics, *cancer["window_concept"], th)}

    # ---- multiclass: wine, text labels ----
    X, y = datasets.load_wine(return_X_y=True)
    tr, ref, win = thirds(len(y), 4)
    model = LogisticRegression(max_iter=10000).fit(X[tr][:, :2], y[tr])
    lab = np.array(["class_%d" % v for v in range(3)])
    wine = {}
    for name, idx in (("reference", ref), ("window", win)):
        p = lab[model.predict(X[idx][:, :2])]
        t = lab[y[idx]]
        write_csv("wine_%s.csv" % name, ["alcohol", "malic_acid", "target", "prediction"],
                  [[fmt(X[i, 0]), fmt(X[i, 1]), t[k], p[k]] for k, i in enumerate(idx)])
        wine[name] = (list(t), list(p), None)
    th = thresholds(multiclass_metrics, *wine["reference"], k=5)
    expected["wine"] = {"thresholds": th, "window": realized(multiclass_metrics, *wine["window"], th)}

    # ---- regression: diabetes ----
    X, y = datasets.load_diabetes(return_X_y=True)
    tr, ref, win = thirds(len(y), 8)
    model = LinearRegression().fit(X[tr], y[tr])
    diab = {}
    for name, idx in (("reference", ref), ("window", win)):
        p = model.predict(X[idx])
        write_csv("diabetes_%s.csv" % name, ["age", "bmi", "bp", "target", "prediction"],
                  [[fmt(X[i, 0]), fmt(X[i, 2]), fmt(X[i, 3]), fmt(y[i]), fmt(p[k])] for k, i in enumerate(idx)])
        diab[name] = (y[idx], p, None)
    th = thresholds(regression_metrics, *diab["reference"])
    expected["diabetes"] = {"thresholds": th, "window": realized(regression_metrics, *diab["window"], th)}

    # ---- fairness: diabetes with its sex attribute ----
    X, y = datasets.load_diabetes(return_X_y=True)
    sex = np.where(X[:, 1] > 0, 2, 1)  # the scaled column has two values; the original codes are 1 and 2
    target = (y > 140).astype(int)
    feats = np.delete(X, 1, axis=1)
    tr, ref, win = thirds(len(y), 9)
    model = LogisticRegression(max_iter=10000).fit(feats[tr], target[tr])
    fair = {}
    for name, idx in (("reference", ref), ("window", win)):
        s = model.predict_proba(feats[idx])[:, 1]
        p = model.predict(feats[idx])
        write_csv("diabetes_sex_%s.csv" % name, ["age", "bmi", "sex", "target", "prediction", "score"],
                  [[fmt(X[i, 0]), fmt(X[i, 2]), str(sex[i]), str(target[i]), str(p[k]), fmt(s[k])]
                   for k, i in enumerate(idx)])
        fair[name] = (sex[idx], target[idx], p)
    s_ref, t_ref, _ = fair["reference"]
    s_win, t_win, p_win = fair["window"]
    expected["diabetes_sex"] = {
        "privileged": ["2"], "favorable": "1",
        # at baseline the target is the outcome (the data's own bias)
        "reference": fairness(s_ref == 2, t_ref == 1, t_ref == 1),
        "window": fairness(s_win == 2, p_win == 1, t_win == 1),
    }

    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
