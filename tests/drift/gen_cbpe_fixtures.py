#!/usr/bin/python3
"""Writes tests/drift/fixtures/{isotonic,cbpe,detectors}.json: what scikit-learn and reference
implementations written here compute for isotonic calibration, CBPE and the error-stream detectors.

Run with Debian's /usr/bin/python3 (scikit-learn 1.2.1, numpy 1.24):
    /usr/bin/python3 tests/drift/gen_cbpe_fixtures.py
Every expected value carries a "source" naming the call or the definition that produced it.

Real data: scikit-learn's bundled load_breast_cancer (569 tumours, target 1 = benign). Its rows are
shuffled with a fixed seed and cut into a training part (a logistic regression on the ten "mean ..."
features), a reference part (the model's scores on it fit the calibration) and held-out rows. The
covariate-shifted window is the held-out rows whose "mean radius" lies between the 30 % and 70 %
quantiles of the whole data: tumours of middling size, where benign and malignant overlap and the
model errs more often than on the reference.

The detectors' streams are drawn from xoshiro256** seeded through splitmix64, written out below
from the published reference so the C test can draw the same numbers with core/util/prng.c: the
expected firing indices come from the reference detectors in this file, not from our C code.
"""
import json
import math
import os
import sys

import numpy as np
import sklearn
from sklearn.datasets import load_breast_cancer
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
ISO_CALL = "IsotonicRegression(out_of_bounds='clip', y_min=0, y_max=1).fit(score, target)"


def header(what):
    return {"generator": "tests/drift/gen_cbpe_fixtures.py", "sklearn": sklearn.__version__,
            "numpy": np.__version__, "what": what}


def floats(values):
    return [float(v) for v in values]


def nullable(v):
    return None if math.isnan(v) else float(v)


# ---------------------------------------------------------------- isotonic calibration

def isotonic_case(name, score, target, predict_at):
    score = np.asarray(score, dtype=float)
    target = np.asarray(target, dtype=float)
    iso = IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1).fit(score, target)
    predict_at = np.asarray(predict_at, dtype=float)
    return {"name": name, "score": floats(score), "target": floats(target),
            "x": floats(iso.X_thresholds_), "y": floats(iso.y_thresholds_),
            "x_y_source": ISO_CALL + ".X_thresholds_, .y_thresholds_",
            "predict_at": floats(predict_at), "predicted": floats(iso.predict(predict_at)),
            "predicted_source": ISO_CALL + ".predict(predict_at)"}


def probe_points(score, rng, k=40):
    """Points to predict at: outside the fitted range, on fitted scores, and between them."""
    lo, hi = float(np.min(score)), float(np.max(score))
    pts = [lo - 1.0, lo, hi, hi + 1.0, (lo + hi) / 2]
    pts += list(np.unique(score)[:10])
    pts += list(rng.uniform(lo, hi, k))
    return pts


# ---------------------------------------------------------------- CBPE (the definition, with numpy)

def cbpe(iso, score, predicted):
    """Expected confusion counts and metrics from calibrated scores, as the definition says."""
    # sklearn refuses to predict on no scores; an empty window has no calibrated scores to sum
    c = iso.predict(np.asarray(score, dtype=float)) if len(score) else np.zeros(0)
    yhat = (np.asarray(score) >= 0.5).astype(float) if predicted is None \
        else np.asarray(predicted, dtype=float)
    tp = np.sum(c * yhat)
    fp = np.sum((1 - c) * yhat)
    fn = np.sum(c * (1 - yhat))
    tn = np.sum((1 - c) * (1 - yhat))
    n = len(c)

    def ratio(a, b):
        return float("nan") if b == 0 else a / b
    return {"tp": float(tp), "fp": float(fp), "fn": float(fn), "tn": float(tn),
            "accuracy": ratio(tp + tn, n), "precision": ratio(tp, tp + fp),
            "recall": ratio(tp, tp + fn), "f1": ratio(2 * tp, 2 * tp + fp + fn)}


CBPE_SOURCE = ("c = " + ISO_CALL + ".predict(window_score); yhat = predicted or window_score >= 0.5; "
               "tp = np.sum(c*yhat), fp = np.sum((1-c)*yhat), fn = np.sum(c*(1-yhat)), "
               "tn = np.sum((1-c)*(1-yhat)); accuracy = (tp+tn)/n, precision = tp/(tp+fp), "
               "recall = tp/(tp+fn), f1 = 2tp/(2tp+fp+fn), null where a denominator is 0")


def cbpe_case(name, calibration, iso, score, predicted, target=None, tolerance=None):
    est = cbpe(iso, score, predicted)
    case = {"name": name, "calibration": calibration, "score": floats(score),
            "predicted": None if predicted is None else [int(v) for v in predicted],
            "expected": {k: nullable(v) for k, v in est.items()}, "source": CBPE_SOURCE}
    if target is not None:
        yhat = (np.asarray(score) >= 0.5).astype(int) if predicted is None else np.asarray(predicted)
        case["realized"] = {
            "accuracy": float(accuracy_score(target, yhat)),
            "precision": float(precision_score(target, yhat, zero_division=0)),
            "recall": float(recall_score(target, yhat, zero_division=0)),
            "f1": float(f1_score(target, yhat, zero_division=0))}
        case["realized_source"] = ("sklearn.metrics.{accuracy,precision,recall,f1}_score(target, "
                                   "yhat, zero_division=0)")
        case["tracking_tolerance"] = tolerance
    return case


def breast_cancer():
    data = load_breast_cancer()
    X, y = data.data, data.target
    names = list(data.feature_names)
    perm = np.random.default_rng(20261206).permutation(len(y))
    train, reference, held_out = perm[:170], perm[170:370], perm[370:]
    mean_features = [i for i, f in enumerate(names) if f.startswith("mean ")]
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    model.fit(X[train][:, mean_features], y[train])
    radius = X[:, names.index("mean radius")]
    lo, hi = np.quantile(radius, [0.3, 0.7])
    shifted = held_out[(radius[held_out] >= lo) & (radius[held_out] <= hi)]

    def scores(rows):
        return model.predict_proba(X[rows][:, mean_features])[:, 1]

    def predictions(rows):
        return model.predict(X[rows][:, mean_features])
    return {"X": X, "y": y, "names": names, "reference": reference, "held_out": held_out,
            "shifted": shifted, "scores": scores, "predictions": predictions}


def isotonic_and_cbpe(rng, bc):
    ref_score = bc["scores"](bc["reference"])
    ref_target = bc["y"][bc["reference"]].astype(float)
    iso = IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1).fit(ref_score, ref_target)

    iso_cases = [isotonic_case("breast_cancer_reference", ref_score, ref_target,
                               probe_points(ref_score, rng))]
    ties = np.round(rng.uniform(0, 1, 300), 1)
    iso_cases.append(isotonic_case("ties", ties, (rng.uniform(0, 1, 300) < ties).astype(float),
                                   probe_points(ties, rng)))
    s = rng.uniform(0, 1, 50)
    iso_cases.append(isotonic_case("one_class_0", s, np.zeros(50), probe_points(s, rng, 5)))
    iso_cases.append(isotonic_case("one_class_1", s, np.ones(50), probe_points(s, rng, 5)))
    iso_cases.append(isotonic_case("single_score", np.full(20, 0.3), (np.arange(20) % 3 == 0),
                                   [0.0, 0.3, 0.9]))
    iso_cases.append(isotonic_case("single_pair", [0.7], [1.0], [0.1, 0.7, 0.9]))
    # Scores closer than 1e-15 to the first of their run are merged by sklearn's _make_unique;
    # 0.5 + 1e-15 and beyond are not.
    near = [0.5, np.nextafter(0.5, 1), 0.5 + 4e-16, 0.5 + 1e-15, 0.5 + 2e-15, 0.25,
            np.nextafter(0.25, 0), 0.75]
    iso_cases.append(isotonic_case("near_equal_scores", near, [1, 0, 1, 0, 1, 0, 1, 1],
                                   near + [0.4, 0.6]))
    s = np.sort(rng.uniform(0, 1, 40))
    iso_cases.append(isotonic_case("perfect", s, (s > 0.5).astype(float), probe_points(s, rng, 10)))
    iso_cases.append(isotonic_case("inverted", s, (s < 0.5).astype(float), probe_points(s, rng, 10)))
    # Targets that are not 0/1 exercise the weighted pooling arithmetic; values above 1 the clip.
    f = rng.uniform(0, 1, 200)
    iso_cases.append(isotonic_case("float_targets", np.round(f, 2),
                                   np.clip(f + rng.normal(0, 0.3, 200), -0.2, 1.3),
                                   probe_points(np.round(f, 2), rng)))

    n_ref = len(ref_score)
    chunk = n_ref // 10
    chunks = [ref_score[k * chunk:(k + 1) * chunk if k < 9 else n_ref] for k in range(10)]
    cbpe_cases = []
    cbpe_cases.append(cbpe_case("breast_cancer_reference", "breast_cancer_reference", iso,
                                ref_score, None, bc["y"][bc["reference"]], 0.03))
    shifted_score = bc["scores"](bc["shifted"])
    cbpe_cases.append(cbpe_case("breast_cancer_shifted", "breast_cancer_reference", iso,
                                shifted_score, None, bc["y"][bc["shifted"]], 0.05))
    held_score = bc["scores"](bc["held_out"])
    cbpe_cases.append(cbpe_case("breast_cancer_held_out_predicted", "breast_cancer_reference", iso,
                                held_score, bc["predictions"](bc["held_out"]),
                                bc["y"][bc["held_out"]], 0.05))
    for k, c in enumerate(chunks):
        cbpe_cases.append(cbpe_case(f"breast_cancer_reference_chunk_{k}", "breast_cancer_reference",
                                    iso, c, None))
    lows = rng.uniform(0, 0.4, 30)
    cbpe_cases.append(cbpe_case("no_predicted_positive", "breast_cancer_reference", iso, lows, None))
    zero = next(c for c in iso_cases if c["name"] == "one_class_0")
    zero_iso = IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1).fit(zero["score"],
                                                                             zero["target"])
    cbpe_cases.append(cbpe_case("all_calibrated_zero", "one_class_0", zero_iso,
                                rng.uniform(0, 1, 30), None))
    cbpe_cases.append(cbpe_case("empty_window", "breast_cancer_reference", iso, [], None))
    iso_file = {**header("isotonic calibration: fitted points and predictions"), "cases": iso_cases}
    cbpe_file = {**header("CBPE estimates (and realized metrics on the breast cancer windows)"),
                 "cases": cbpe_cases}
    return iso_file, cbpe_file


# ---------------------------------------------------------------- error-stream detectors

MASK = (1 << 64) - 1


class Xoshiro256:
    """xoshiro256** 1.0 (Blackman & Vigna), state from splitmix64 of seed ^ (stream * 0xd1b5...)."""

    def __init__(self, seed, stream):
        x = (seed ^ (stream * 0xd1b54a32d192ed03)) & MASK
        self.s = []
        for _ in range(4):
            x = (x + 0x9e3779b97f4a7c15) & MASK
            z = x
            z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & MASK
            z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & MASK
            self.s.append(z ^ (z >> 31))

    @staticmethod
    def rotl(v, k):
        return ((v << k) | (v >> (64 - k))) & MASK

    def next(self):
        s = self.s
        result = (self.rotl((s[1] * 5) & MASK, 7) * 9) & MASK
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = self.rotl(s[3], 45)
        return result

    def uniform(self):
        return (self.next() >> 11) * 2.0 ** -53


def draw_stream(spec):
    """u_i uniform in [0, 1) from the generator; before change_at the 'before' regime, then 'after'.
    ddm: error_i = 1 if u_i < rate else 0; page_hinkley: error_i = low + width * u_i."""
    g = Xoshiro256(spec["seed"], spec["stream"])
    out = []
    for i in range(spec["n"]):
        regime = spec["before"] if spec["change_at"] is None or i < spec["change_at"] else spec["after"]
        u = g.uniform()
        if spec["detector"] == "ddm":
            out.append(1 if u < regime["rate"] else 0)
        else:
            out.append(regime["low"] + regime["width"] * u)
    return out


def ddm_reference(errors):
    """DDM as docs/statistics.md defines it: running error rate p and s = sqrt(p(1-p)/n); from pair
    31 on, the minimum of p + s is tracked; above it, drift when p + s >= p_min + 3 s_min (then
    reset), else warning when p + s >= p_min + 2 s_min."""
    drifts, warnings = [], []
    n, p = 0, 0.0
    p_min = s_min = ps_min = math.inf
    for i, e in enumerate(errors):
        n += 1
        p += (e - p) / n
        s = math.sqrt(p * (1 - p) / n)
        if n <= 30:
            continue
        if p + s <= ps_min:
            p_min, s_min, ps_min = p, s, p + s
        if p + s <= ps_min:
            continue
        if p + s >= p_min + 3 * s_min:
            drifts.append(i)
            n, p = 0, 0.0
            p_min = s_min = ps_min = math.inf
        elif p + s >= p_min + 2 * s_min:
            warnings.append(i)
    return drifts, warnings


def page_hinkley_reference(errors, delta=0.005, threshold=50.0, alpha=0.9999, min_instances=30):
    """river.drift.PageHinkley(mode='up'): mean_n = mean + (x - mean)/n; S = alpha*S + (x - mean_n)
    - delta; S_min = min(S_min, S); from pair 30 on, drift when S - S_min > threshold (then reset)."""
    drifts = []
    n, mean, total, total_min = 0, 0.0, 0.0, math.inf
    for i, x in enumerate(errors):
        n += 1
        mean += (x - mean) / n
        total = alpha * total + (x - mean) - delta
        total_min = min(total_min, total)
        if n >= min_instances and total - total_min > threshold:
            drifts.append(i)
            n, mean, total, total_min = 0, 0.0, 0.0, math.inf
    return drifts


def detector_cases():
    cases = []
    ddm_before, ddm_after = {"rate": 0.1}, {"rate": 0.3}
    ph_before, ph_after = {"low": 0.0, "width": 0.2}, {"low": 0.2, "width": 0.2}
    specs = []
    for seed in range(1, 4):
        specs.append({"name": f"ddm_stationary_rate_0.3_seed_{seed}", "detector": "ddm", "seed": seed,
                      "stream": 1, "n": 100000, "change_at": None, "before": {"rate": 0.3},
                      "after": None})
    specs.append({"name": "ddm_stationary_rate_0.1_seed_1", "detector": "ddm", "seed": 1, "stream": 1,
                  "n": 100000, "change_at": None, "before": ddm_before, "after": None})
    for seed in range(5):
        specs.append({"name": f"ddm_change_0.1_to_0.3_seed_{seed}", "detector": "ddm", "seed": seed,
                      "stream": 4, "n": 20000, "change_at": 5000, "before": ddm_before,
                      "after": ddm_after})
    for seed in range(1, 4):
        specs.append({"name": f"page_hinkley_stationary_seed_{seed}", "detector": "page_hinkley",
                      "seed": seed, "stream": 2, "n": 100000, "change_at": None, "before": ph_before,
                      "after": None})
    for seed in range(5):
        specs.append({"name": f"page_hinkley_change_seed_{seed}", "detector": "page_hinkley",
                      "seed": seed, "stream": 3, "n": 20000, "change_at": 5000, "before": ph_before,
                      "after": ph_after})
    for spec in specs:
        errors = draw_stream(spec)
        g = Xoshiro256(spec["seed"], spec["stream"])
        spec["first_draws"] = [str(g.next()) for _ in range(3)]
        if spec["detector"] == "ddm":
            spec["drifts"], warnings = ddm_reference(errors)
            # a stream that keeps warning would make the file large: its count and first ones
            spec["warnings_count"], spec["first_warnings"] = len(warnings), warnings[:20]
            spec["source"] = "ddm_reference (this file) over draw_stream(spec)"
        else:
            spec["drifts"] = page_hinkley_reference(errors)
            spec["source"] = "page_hinkley_reference (this file) over draw_stream(spec)"
        cases.append(spec)
        print(spec["name"], "drifts", spec["drifts"][:6], file=sys.stderr)
    return cases


def ddm_false_alarm_rate(seeds=20, n=100000, rate=0.3):
    """How many stationary streams DDM fires on at all (documented in docs/statistics.md)."""
    fired = 0
    for seed in range(100, 100 + seeds):
        errors = draw_stream({"detector": "ddm", "seed": seed, "stream": 9, "n": n, "change_at": None,
                              "before": {"rate": rate}, "after": None})
        fired += bool(ddm_reference(errors)[0])
    return {"streams": seeds, "pairs": n, "rate": rate, "fired": fired,
            "source": "ddm_reference over draw_stream seeds 100.., stream 9"}


# ---------------------------------------------------------------- CSV files for the CLI test

CLI_DIR = os.path.join(os.path.dirname(OUT), "..", "quality", "data")
CLI_METRICS = ("accuracy", "precision", "recall", "f1")


def band(values):
    """The reference band of a metric from its chunk values (mean -/+ 3 std, ddof 0, of the defined
    ones, clipped to [0, 1]; both null with fewer than 2)."""
    defined = [v for v in values if not math.isnan(v)]
    if len(defined) < 2:
        return None, None
    m, sd = float(np.mean(defined)), float(np.std(defined))
    return max(m - 3 * sd, 0.0), min(m + 3 * sd, 1.0)


def cli_files(bc):
    """tests/quality/data/cbpe_*.csv and cbpe_expected.json: the breast cancer reference and windows
    as `baseline` and `check` read them, and what the CLI must report for them."""
    X, y, names = bc["X"], bc["y"], bc["names"]
    features = [i for i, f in enumerate(names) if f.startswith("mean ")]
    header = [names[i].replace(" ", "_") for i in features] + ["target", "prediction", "score"]

    def write(fname, rows, with_target=True, with_prediction=True):
        cols = [c for c in header if (with_target or c != "target")
                and (with_prediction or c != "prediction")]
        score, pred = bc["scores"](rows), bc["predictions"](rows)
        with open(os.path.join(CLI_DIR, fname), "w") as f:
            f.write(",".join(cols) + "\n")
            for k, r in enumerate(rows):
                cells = {names[i].replace(" ", "_"): repr(float(X[r, i])) for i in features}
                cells.update(target=str(int(y[r])), prediction=str(int(pred[k])), score=repr(float(score[k])))
                f.write(",".join(cells[c] for c in cols) + "\n")
        return score, pred

    ref = bc["reference"]
    ref_score, ref_pred = write("cbpe_reference.csv", ref)
    iso = IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1).fit(ref_score, y[ref].astype(float))
    n, k = len(ref), 10
    size = n // k
    chunk_est = {m: [] for m in CLI_METRICS}
    for c in range(k):
        lo, hi = c * size, (n if c == k - 1 else (c + 1) * size)
        est = cbpe(iso, ref_score[lo:hi], ref_pred[lo:hi])
        for m in CLI_METRICS:
            chunk_est[m].append(est[m])
    thresholds = {m: dict(zip(("lower", "upper"), band(chunk_est[m]))) for m in CLI_METRICS}
    expected = {"generator": "tests/drift/gen_cbpe_fixtures.py", "sklearn": sklearn.__version__,
                "numpy": np.__version__, "cbpe": {
                    "calibration": {"x": floats(iso.X_thresholds_), "y": floats(iso.y_thresholds_),
                                    "call": ISO_CALL + " on cbpe_reference.csv's score, target"},
                    "estimated_chunks": {m: [nullable(v) for v in chunk_est[m]] for m in CLI_METRICS},
                    "estimated_thresholds": thresholds,
                    "call": "estimated_chunks: the definition (" + CBPE_SOURCE + ") over 10 chunks of "
                            "20 reference rows, yhat = the prediction column; thresholds: mean -/+ 3 "
                            "std (ddof 0) of the chunk values, clipped to [0, 1]"}}
    # the held-out rows the model is unsure of (score in [0.05, 0.95]): a stronger covariate shift
    held_score = bc["scores"](bc["held_out"])
    uncertain = bc["held_out"][(held_score >= 0.05) & (held_score <= 0.95)]
    windows = (("window_shifted", bc["shifted"], True), ("window_held_out", bc["held_out"], True),
               ("window_shifted_unlabelled", bc["shifted"], False), ("window_uncertain", uncertain, True))
    for name, rows, labelled in windows:
        score, pred = write(f"cbpe_{name}.csv", rows, with_target=labelled)
        est = cbpe(iso, score, pred)
        report = {}
        for m in CLI_METRICS:
            lo, hi = thresholds[m]["lower"], thresholds[m]["upper"]
            v = est[m]
            side = None if math.isnan(v) or lo is None else ("low" if v < lo else "high" if v > hi else None)
            report[m] = {"value": nullable(v), "lower": lo, "upper": hi, "alert": side is not None,
                         "direction": side}
        entry = {"estimated": report, "call": "the definition over the window's score and prediction "
                                              "columns, against estimated_thresholds"}
        if labelled:
            entry["realized_accuracy"] = float(accuracy_score(y[rows], pred))
            entry["realized_f1"] = float(f1_score(y[rows], pred))
        expected["cbpe"][name] = entry
    with open(os.path.join(CLI_DIR, "cbpe_expected.json"), "w") as f:
        json.dump(expected, f, indent=1, allow_nan=False)
        f.write("\n")
    print("cbpe_expected.json", json.dumps({w: expected["cbpe"][w]["estimated"]["accuracy"]
                                            for w, _, _ in windows}), file=sys.stderr)


def main():
    rng = np.random.default_rng(20261206)
    bc = breast_cancer()
    iso_file, cbpe_file = isotonic_and_cbpe(rng, bc)
    os.makedirs(CLI_DIR, exist_ok=True)
    cli_files(bc)
    det_file = {**header("seeded error streams and where the reference detectors fire"),
                "prng": "xoshiro256** seeded as core/util/prng.c prng_seed(seed, stream); "
                        "u = (next >> 11) * 2^-53",
                "delay_bound": 500, "cases": detector_cases(),
                "ddm_stationary_false_alarms": ddm_false_alarm_rate()}
    print("ddm false alarms", det_file["ddm_stationary_false_alarms"], file=sys.stderr)
    os.makedirs(OUT, exist_ok=True)
    for fname, obj in (("isotonic.json", iso_file), ("cbpe.json", cbpe_file),
                       ("detectors.json", det_file)):
        with open(os.path.join(OUT, fname), "w") as f:
            json.dump(obj, f, separators=(",", ":"), allow_nan=False)
            f.write("\n")
        print(fname, os.path.getsize(os.path.join(OUT, fname)), "bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
