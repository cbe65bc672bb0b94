#!/usr/bin/python3
"""Writes tests/drift/fixtures/perf.json: model performance metrics as scikit-learn computes them.

Run with Debian's /usr/bin/python3 (scikit-learn 1.2.1 from python3-sklearn, numpy 1.24):
    /usr/bin/python3 tests/drift/gen_perf_fixtures.py
Every expected value carries "call", the scikit-learn/numpy expression that produced it; where
scikit-learn raises, the value is null and "error" holds the exception. The unit test
(test_drift_perf.c) reads only the committed JSON: it needs no Python at run time.

Cases: real data (load_breast_cancer with a logistic regression trained on one half and scored on
the other; load_wine for multiclass; load_diabetes for regression) and edge cases (tied scores, one
class present, perfect and inverted scores, a class present only in the predictions, zeros in
y_true for mape). "chunks" holds the reference thresholds of the binary, multiclass and regression
real cases: K chunks of floor(N/K) rows, the remainder joining the last, mean -/+ 3 std (ddof 0)
of the defined chunk values, clipped to the metric's range.
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

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "perf.json")
warnings.simplefilter("ignore")

BINARY = ["accuracy", "precision", "recall", "f1", "roc_auc", "log_loss", "brier"]
MULTICLASS = ["accuracy", "precision_macro", "recall_macro", "f1_macro"]
REGRESSION = ["mae", "rmse", "mape", "r2"]
RANGE = {"log_loss": (0, math.inf), "mae": (0, math.inf), "rmse": (0, math.inf), "mape": (0, math.inf),
         "r2": (-math.inf, 1)}

# metric -> (call text, function of (y, yhat, score, labels))
CALLS = {
    "accuracy": ("accuracy_score(y, yhat)", lambda y, p, s, l: metrics.accuracy_score(y, p)),
    "precision": ("precision_score(y, yhat, zero_division=0)",
                  lambda y, p, s, l: metrics.precision_score(y, p, zero_division=0)),
    "recall": ("recall_score(y, yhat, zero_division=0)",
               lambda y, p, s, l: metrics.recall_score(y, p, zero_division=0)),
    "f1": ("f1_score(y, yhat, zero_division=0)", lambda y, p, s, l: metrics.f1_score(y, p, zero_division=0)),
    "roc_auc": ("roc_auc_score(y, score)", lambda y, p, s, l: metrics.roc_auc_score(y, s)),
    "log_loss": ("log_loss(y, score, labels=[0, 1])", lambda y, p, s, l: metrics.log_loss(y, s, labels=[0, 1])),
    "brier": ("brier_score_loss(y, score)", lambda y, p, s, l: metrics.brier_score_loss(y, s)),
    "precision_macro": ("precision_score(y, yhat, labels=sorted(set(y) | set(yhat)), average='macro', zero_division=0)",
                        lambda y, p, s, l: metrics.precision_score(y, p, labels=l, average="macro", zero_division=0)),
    "recall_macro": ("recall_score(y, yhat, labels=sorted(set(y) | set(yhat)), average='macro', zero_division=0)",
                     lambda y, p, s, l: metrics.recall_score(y, p, labels=l, average="macro", zero_division=0)),
    "f1_macro": ("f1_score(y, yhat, labels=sorted(set(y) | set(yhat)), average='macro', zero_division=0)",
                 lambda y, p, s, l: metrics.f1_score(y, p, labels=l, average="macro", zero_division=0)),
    "mae": ("mean_absolute_error(y, yhat)", lambda y, p, s, l: metrics.mean_absolute_error(y, p)),
    "rmse": ("mean_squared_error(y, yhat, squared=False)",
             lambda y, p, s, l: metrics.mean_squared_error(y, p, squared=False)),
    "mape": ("mean_absolute_percentage_error(y, yhat)",
             lambda y, p, s, l: metrics.mean_absolute_percentage_error(y, p)),
    "r2": ("r2_score(y, yhat)", lambda y, p, s, l: metrics.r2_score(y, p)),
}


def num(x):
    x = float(x)
    return None if math.isnan(x) else x


def evaluate(names, y, yhat, score):
    labels = sorted(set(np.asarray(y).tolist()) | set(np.asarray(yhat).tolist()))
    out = {}
    for m in names:
        call, fn = CALLS[m]
        entry = {"call": call}
        try:
            entry["value"] = num(fn(np.asarray(y), np.asarray(yhat), None if score is None else np.asarray(score), labels))
        except ValueError as e:
            entry["value"] = None
            entry["error"] = "ValueError: " + str(e)
        out[m] = entry
    return out


def case(name, task, y, yhat, score=None, note=""):
    names = {"binary": BINARY, "multiclass": MULTICLASS, "regression": REGRESSION}[task]
    if score is None:
        names = [m for m in names if m not in ("roc_auc", "log_loss", "brier")]
    c = {"name": name, "task": task, "note": note,
         "y": [float(v) if task == "regression" else int(v) for v in y],
         "yhat": [float(v) if task == "regression" else int(v) for v in yhat]}
    if score is not None:
        c["score"] = [float(v) for v in score]
    c["expected"] = evaluate(names, y, yhat, score)
    return c


def chunks(name, task, y, yhat, score, k):
    """Per-chunk values and the band of every metric of the task over k chunks."""
    names = {"binary": BINARY, "multiclass": MULTICLASS, "regression": REGRESSION}[task]
    n = len(y)
    size = n // k
    bounds = [(i * size, n if i == k - 1 else (i + 1) * size) for i in range(k)]
    per_chunk = [evaluate(names, y[lo:hi], yhat[lo:hi], None if score is None else score[lo:hi])
                 for lo, hi in bounds]
    out = {"case": name, "k": k, "bounds": bounds, "metrics": {}}
    for m in names:
        vals = [c[m]["value"] for c in per_chunk]
        defined = np.array([v for v in vals if v is not None])
        lower = upper = None
        if len(defined) >= 2:
            lo, hi = RANGE.get(m, (0, 1))
            mean, std = np.mean(defined), np.std(defined)
            lower = num(min(max(mean - 3 * std, lo), hi))
            upper = num(min(max(mean + 3 * std, lo), hi))
        out["metrics"][m] = {"values": vals, "lower": lower, "upper": upper,
                             "call": CALLS[m][0] + " per chunk; np.mean/np.std (ddof 0) of the defined values "
                                                   "-/+ 3 std, clipped to " + str(RANGE.get(m, (0, 1)))}
    return out


def halves(n, seed):
    idx = np.random.default_rng(seed).permutation(n)
    return idx[: n // 2], idx[n // 2:]


def main():
    cases, chunk_sets = [], []

    # binary: breast cancer, positive class 1 (benign), logistic regression on the first half
    X, y = datasets.load_breast_cancer(return_X_y=True)
    tr, te = halves(len(y), 12)
    model = make_pipeline(StandardScaler(), LogisticRegression(C=0.05, max_iter=10000)).fit(X[tr], y[tr])
    s = model.predict_proba(X[te])[:, 1]
    p = model.predict(X[te])
    cases.append(case("breast_cancer_logreg", "binary", y[te], p, s,
                      "load_breast_cancer; StandardScaler+LogisticRegression(C=0.05) fit on a seeded half "
                      "(numpy default_rng(12) permutation), scored on the other half"))
    chunk_sets.append(chunks("breast_cancer_logreg", "binary", y[te], p, s, 10))
    # the same rows sorted by target: most chunks hold one class, so roc_auc is undefined there
    order = np.argsort(y[te], kind="stable")
    ys, ps, ss = y[te][order], p[order], s[order]
    cases.append(case("breast_cancer_sorted", "binary", ys, ps, ss,
                      "breast_cancer_logreg's rows sorted by target (stable)"))
    chunk_sets.append(chunks("breast_cancer_sorted", "binary", ys, ps, ss, 10))

    # multiclass: wine, a weak model so that every metric is below 1
    X, y = datasets.load_wine(return_X_y=True)
    tr, te = halves(len(y), 7)
    model = LogisticRegression(max_iter=10000).fit(X[tr][:, :2], y[tr])
    p = model.predict(X[te][:, :2])
    cases.append(case("wine_logreg", "multiclass", y[te], p, None,
                      "load_wine; LogisticRegression on the first 2 features fit on a seeded half "
                      "(default_rng(7)), predicted on the other half"))
    chunk_sets.append(chunks("wine_logreg", "multiclass", y[te], p, None, 5))

    # regression: diabetes
    X, y = datasets.load_diabetes(return_X_y=True)
    tr, te = halves(len(y), 3)
    p = LinearRegression().fit(X[tr], y[tr]).predict(X[te])
    cases.append(case("diabetes_linreg", "regression", y[te], p, None,
                      "load_diabetes; LinearRegression fit on a seeded half (default_rng(3)), predicted on "
                      "the other half"))
    chunk_sets.append(chunks("diabetes_linreg", "regression", y[te], p, None, 10))

    # binary edge cases
    cases.append(case("ties", "binary", [0, 1, 0, 1, 1, 0, 1, 0], [0, 1, 1, 1, 0, 0, 1, 0],
                      [0.2, 0.5, 0.5, 0.5, 0.2, 0.2, 0.9, 0.5], "tied scores across both classes"))
    cases.append(case("one_class_positive", "binary", [1, 1, 1, 1], [1, 0, 1, 1], [0.9, 0.4, 0.7, 1.0],
                      "only positives: roc_auc undefined; log_loss defined with labels=[0, 1]"))
    cases.append(case("one_class_negative_none_predicted", "binary", [0, 0, 0], [0, 0, 0], [0.0, 0.1, 0.3],
                      "only negatives and no positive prediction: precision/recall/f1 0 by zero_division=0"))
    cases.append(case("perfect", "binary", [0, 0, 1, 1, 0, 1], [0, 0, 1, 1, 0, 1], [0.1, 0.2, 0.8, 0.9, 0.3, 1.0],
                      "perfect scores; a score of exactly 1 is clipped by log_loss"))
    cases.append(case("inverted", "binary", [0, 0, 1, 1, 0, 1], [1, 1, 0, 0, 1, 0], [0.9, 0.8, 0.2, 0.1, 1.0, 0.0],
                      "inverted scores: roc_auc 0, log_loss at the clipping bound"))
    cases.append(case("score_above_one", "binary", [0, 1, 1, 0], [0, 1, 1, 1], [0.1, 1.5, 0.7, 0.6],
                      "a score outside [0, 1]: brier_score_loss raises (null), log_loss clips"))
    # multiclass edge cases
    cases.append(case("class_only_predicted", "multiclass", [0, 1, 1, 0, 1, 0], [0, 2, 1, 0, 2, 1],
                      None, "class 2 occurs only in the predictions: it counts in the macro average"))
    cases.append(case("multiclass_sparse_labels", "multiclass", [3, 7, 7, 11, 3, 11, 11], [3, 7, 11, 11, 7, 11, 3],
                      None, "labels that are not 0..k-1"))
    # regression edge cases
    cases.append(case("mape_zeros", "regression", [0.0, 2.0, 0.0, -4.0, 5.0], [0.5, 2.0, 0.0, -3.0, 4.0],
                      None, "zeros in y_true: mape divides by machine epsilon"))
    cases.append(case("constant_target_exact", "regression", [3.0, 3.0, 3.0], [3.0, 3.0, 3.0], None,
                      "constant y_true, exact predictions: r2 = 1 (force_finite)"))
    cases.append(case("constant_target_off", "regression", [3.0, 3.0, 3.0], [3.0, 2.0, 3.0], None,
                      "constant y_true, one error: r2 = 0 (force_finite)"))
    cases.append(case("single_pair", "regression", [2.0], [1.0], None, "one pair: r2 undefined (nan)"))

    doc = {"generator": "tests/drift/gen_perf_fixtures.py", "sklearn": sklearn.__version__,
           "numpy": np.__version__,
           "what": "performance metrics per case; per-chunk values and thresholds of the real-data cases",
           "cases": cases, "chunks": chunk_sets}
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
