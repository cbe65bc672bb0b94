#!/usr/bin/python3
"""Writes dashboards/rules/driftwatch-fleet.test.yml, the promtool tests of the fleet rules.

Three replicas of model "shop" and of model "steady" each check their own window of serving data.
For every replica this script exports what an agent exports after its check (docs/metrics.md,
"Fleet-wide drift"): driftwatch_window_bin_count per baseline bin (numeric: the quantile bins of
docs/statistics.md; categorical: the categories, __unseen__, missing) and driftwatch_baseline_bin_share.
The expected fleet PSI and Jensen-Shannon are computed with numpy and scipy directly on the union of
the three windows' raw values, from the definitions of docs/statistics.md, not from those series:
  psi = sum((q' - p') * ln(q' / p')), p' = max(p, 1e-4), q' = max(q, 1e-4)
  jensenshannon = scipy.spatial.distance.jensenshannon(p, q, base=2)
so the test shows that summing the replicas' bins and the recording rules give the union's values.
The categorical feature has fewer than 50 categories and one unseen value, where the fleet bins and
the method's categories coincide (docs/metrics.md says where they do not).

Usage: gen_fleet_rule_test.py [OUT]   (default: stdout). The ctest dashboards_fleet_rule_test_fresh
runs it again and compares with the committed file.
"""
import sys

import numpy as np
from scipy.spatial.distance import jensenshannon

B = 10            # the profile's default --bins
PSI_FLOOR = 1e-4  # docs/statistics.md
THRESHOLD = 0.1   # FleetFeatureDrift: the default threshold of psi and jensenshannon
REPLICAS = ["r1:9464", "r2:9464", "r3:9464"]
POINTS = 30       # one sample a minute for 30 minutes
TOLERANCE = 1e-12


def psi(p, q):
    p, q = np.maximum(p, PSI_FLOOR), np.maximum(q, PSI_FLOOR)
    return float(np.sum((q - p) * np.log(q / p)))


class Numeric:
    def __init__(self, name, baseline, windows):
        self.name, self.baseline, self.windows = name, baseline, windows
        r = baseline[~np.isnan(baseline)]
        self.edges = np.unique(np.quantile(r, np.arange(1, B) / B))
        self.p = self.shares(r)

    def shares(self, x):
        counts = np.bincount(np.searchsorted(self.edges, x, side="right"), minlength=len(self.edges) + 1)
        return counts / len(x)

    def replica_bins(self, window):
        """What one agent exports: {bin: (window count, baseline share)}."""
        c = window[~np.isnan(window)]
        counts = np.bincount(np.searchsorted(self.edges, c, side="right"), minlength=len(self.edges) + 1)
        bins = {str(i): (int(counts[i]), float(self.p[i])) for i in range(len(counts))}
        bins["missing"] = (int(np.isnan(window).sum()), float(np.isnan(self.baseline).mean()))
        return bins

    def expected(self):
        union = np.concatenate(self.windows)
        q = self.shares(union[~np.isnan(union)])
        return psi(self.p, q), float(jensenshannon(self.p, q, base=2))


class Categorical:
    def __init__(self, name, baseline, windows):
        self.name, self.baseline, self.windows = name, baseline, windows
        values, counts = np.unique([v for v in baseline if v is not None], return_counts=True)
        assert len(values) <= 50, "more than 50 categories fold into __other__"
        self.base = dict(zip(values.tolist(), counts.tolist()))
        self.total = sum(self.base.values())

    def replica_bins(self, window):
        bins = {c: [0, n / self.total] for c, n in self.base.items()}
        bins["__unseen__"] = [0, 0.0]
        for v in window:
            if v is not None:
                bins[v if v in self.base else "__unseen__"][0] += 1
        bins["missing"] = [sum(v is None for v in window), sum(v is None for v in self.baseline) / len(self.baseline)]
        return {b: tuple(x) for b, x in bins.items()}

    def expected(self):
        """The methods' categories: the union of the baseline's and the windows' values."""
        union = [v for w in self.windows for v in w if v is not None]
        cats = sorted(set(self.base) | set(union))
        unseen = set(union) - set(self.base)
        assert len(unseen) <= 1, "two unseen categories would share __unseen__ (PSI differs)"
        p = np.array([self.base.get(c, 0) for c in cats], float) / self.total
        q = np.array([union.count(c) for c in cats], float) / len(union)
        return psi(p, q), float(jensenshannon(p, q, base=2))


def with_missing(rng, x, share):
    x = x.copy()
    x[rng.random(len(x)) < share] = np.nan
    return x


def models():
    rng = np.random.default_rng(20261206)
    sizes = [400, 700, 1000]  # the replicas' windows differ in size and in how far they moved
    countries = ["de", "fr", "it", "nl", "pl", 'quo"te', "back\\slash"]
    weights = np.array([30, 25, 15, 10, 10, 5, 5], float)

    def country_window(n, w, unseen):
        vals = list(rng.choice(countries, size=n, p=w / w.sum()))
        vals = [None if rng.random() < 0.05 else v for v in vals]
        for i in rng.choice(n, size=unseen, replace=False):
            vals[i] = "XX"
        return vals

    shop = [
        Numeric("amount", with_missing(rng, rng.lognormal(3.0, 1.0, 3000), 0.02),
                [with_missing(rng, rng.lognormal(3.0 + shift, 1.0, n), 0.03)
                 for n, shift in zip(sizes, [0.1, 0.4, 0.6])]),
        Categorical("country", country_window(3000, weights, 0),
                    [country_window(n, weights * np.array(m, float), u)
                     for n, m, u in zip(sizes, [[1] * 7, [1, 1, 1, 3, 3, 1, 1], [1, 2, 1, 4, 4, 1, 1]], [0, 20, 60])]),
    ]
    steady = [
        Numeric("age", rng.normal(40, 12, 3000).round(), [rng.normal(40, 12, n).round() for n in sizes]),
    ]
    return {"shop": shop, "steady": steady}


def num(x):
    return repr(float(x)) if x != int(x) else str(int(x))


def input_series(features_by_model):
    lines = []
    for model, features in features_by_model.items():
        for f in features:
            for replica, window in zip(REPLICAS, f.windows):
                for b, (count, share) in f.replica_bins(window).items():
                    labels = f'job="driftwatch",instance="{replica}",model="{model}",feature="{f.name}",bin="{esc(b)}"'
                    lines.append(f"      - series: 'driftwatch_window_bin_count{{{labels}}}'\n"
                                 f"        values: '{count}x{POINTS}'")
                    lines.append(f"      - series: 'driftwatch_baseline_bin_share{{{labels}}}'\n"
                                 f"        values: '{num(share)}x{POINTS}'")
    return "\n".join(lines)


def esc(s):
    """A label value in PromQL's double-quoted string, inside a single-quoted YAML scalar."""
    return s.replace("\\", "\\\\").replace('"', '\\"').replace("'", "''")


def union_counts(features_by_model):
    out = []
    for model, features in features_by_model.items():
        for f in features:
            total = {}
            for window in f.windows:
                for b, (count, _) in f.replica_bins(window).items():
                    if b != "missing":
                        total[b] = total.get(b, 0) + count
            for b, count in total.items():
                out.append((model, f.name, b, count))
    return out


def main(argv):
    all_models = models()
    steady_only = {"steady": all_models["steady"]}
    scores = {(m, f.name): f.expected() for m, fs in all_models.items() for f in fs}
    firing = sorted(k for k, (p, j) in scores.items() if p >= THRESHOLD or j >= THRESHOLD)
    assert ("shop", "amount") in firing and ("shop", "country") in firing and ("steady", "age") not in firing

    o = []
    o.append("# GENERATED by tests/alerts/gen_fleet_rule_test.py: do not edit, run it again (the ctest")
    o.append("# dashboards_fleet_rule_test_fresh fails when this file and the script's output differ).")
    o.append("# promtool tests of the fleet rules (driftwatch.fleet in driftwatch-rules.yml): three replicas per")
    o.append("# model export their windows' bin counts; the expected PSI and Jensen-Shannon were computed by")
    o.append("# numpy/scipy on the union of the three windows' raw values. promtool compares values exactly,")
    o.append(f"# so each score is checked as abs(rule - expected) < {TOLERANCE} (1 = within).")
    o.append("rule_files:\n  - driftwatch-rules.yml\nevaluation_interval: 1m\n\ntests:")
    o.append("  # ---- fleet PSI and Jensen-Shannon, FleetFeatureDrift firing ----")
    o.append("  - interval: 1m\n    input_series:")
    o.append(input_series(all_models))
    o.append("    promql_expr_test:")
    o.append("      # the union's counts per bin, missing left out")
    o.append("      - expr: model_feature_bin:driftwatch_window_bin_count:sum\n        eval_time: 10m\n        exp_samples:")
    for model, feature, b, count in union_counts(all_models):
        o.append(f"          - labels: 'model_feature_bin:driftwatch_window_bin_count:sum"
                 f"{{model=\"{model}\",feature=\"{feature}\",bin=\"{esc(b)}\"}}'\n            value: {count}")
    for (model, feature), (p, j) in sorted(scores.items()):
        for method, value in (("psi", p), ("jensenshannon", j)):
            o.append(f"      # {model}/{feature} {method} = {value!r} (numpy/scipy on the union)")
            o.append(f"      - expr: abs(model_feature:driftwatch_fleet_drift_score{{model=\"{model}\","
                     f"feature=\"{feature}\",method=\"{method}\"}} - {value!r}) < bool {TOLERANCE}")
            o.append("        eval_time: 10m\n        exp_samples:")
            o.append(f"          - labels: '{{model=\"{model}\",feature=\"{feature}\",method=\"{method}\"}}'\n"
                     "            value: 1")
    o.append("    alert_rule_test:")
    o.append("      - eval_time: 20m\n        alertname: FleetFeatureDrift\n        exp_alerts:")
    for model, feature in firing:
        p, j = scores[(model, feature)]
        o.append("          - exp_labels:")
        o.append(f"              severity: warning\n              model: {model}\n              feature: {feature}")
        o.append("            exp_annotations:")
        o.append(f'              summary: "Feature {feature} of model {model} drifted across the fleet"')
        desc = (f"Over the last checked windows of all replicas of model {model}, feature {feature} has differed "
                f"from its training baseline for 15 minutes: PSI {p:.3f}, Jensen-Shannon {j:.3f} (threshold 0.1). "
                f'Per replica: driftwatch_feature_drift_score{{model="{model}",feature="{feature}"}}.')
        o.append(f"              description: '{desc}'")
    o.append("")
    o.append("  # ---- FleetFeatureDrift silent: every replica's window is like the baseline ----")
    o.append("  - interval: 1m\n    input_series:")
    o.append(input_series(steady_only))
    o.append("    alert_rule_test:")
    o.append("      - eval_time: 20m\n        alertname: FleetFeatureDrift\n        exp_alerts: []")
    text = "\n".join(o) + "\n"
    if len(argv) > 1:
        with open(argv[1], "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main(sys.argv)
