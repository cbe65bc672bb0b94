#!/usr/bin/env python3
"""Validates the Grafana dashboard dashboards/driftwatch.json (stdlib only).

Checks: the JSON parses; schemaVersion is current (36..41); a Prometheus datasource variable (or a
DS_PROMETHEUS input) and every panel and query use it; a `model` variable from
label_values(driftwatch_dataset_drift_share, model); unique panel ids and in-grid positions; every
query's metric names are docs/metrics.md metrics (histograms with _bucket/_sum/_count; each listed
name must be in docs/metrics.md), the model-quality families (QUALITY_METRICS, below) or recording
rules from driftwatch-rules.yml; and the panels the dashboard promises are there.

Usage: check_dashboard.py DASHBOARD.json RULES.yml [--emit-rules OUT.yml]
--emit-rules writes each query, Grafana variables substituted, as a recording rule so that
`promtool check rules OUT.yml` parses the PromQL.
"""
import json
import os
import re
import sys

# docs/metrics.md, verbatim names. Histograms are exposed as <name>_bucket, _sum and _count.
DESIGN_METRICS = {
    "driftwatch_build_info", "driftwatch_samples_received_total", "driftwatch_samples_kept_total",
    "driftwatch_samples_rejected_total", "driftwatch_window_samples", "driftwatch_feature_drift_score",
    "driftwatch_feature_drift_p_value", "driftwatch_feature_drifted", "driftwatch_feature_missing_ratio",
    "driftwatch_dataset_drift_share", "driftwatch_dataset_drifted", "driftwatch_checks_total",
    "driftwatch_retrain_triggers_total", "driftwatch_alerts_sent_total", "driftwatch_plugin_up",
    "driftwatch_baseline_info", "driftwatch_upstream_responses_total", "driftwatch_canary_responses_total",
    "driftwatch_performance", "driftwatch_performance_alert", "driftwatch_performance_estimated",
    "driftwatch_window_bin_count", "driftwatch_baseline_bin_share", "driftwatch_labels_total",
    "driftwatch_labels_pending", "driftwatch_performance_threshold",
}
DESIGN_HISTOGRAMS = {"driftwatch_check_duration_seconds", "driftwatch_probe_request_duration_seconds",
                     "driftwatch_upstream_request_duration_seconds", "driftwatch_canary_request_duration_seconds"}
# Model-quality families the dashboard may show before the code exports them (none now): allowed
# by name so a misspelt one is still caught; move a name to DESIGN_METRICS once docs/metrics.md
# describes it.
QUALITY_METRICS = set()

# What the dashboard must show (metric names that some query has to use).
REQUIRED = {
    "feature drift score": "driftwatch_feature_drift_score",
    "dataset drift share": "driftwatch_dataset_drift_share",
    "samples received": "driftwatch_samples_received_total",
    "samples kept": "driftwatch_samples_kept_total",
    "samples rejected": "driftwatch_samples_rejected_total",
    "check duration": "driftwatch_check_duration_seconds_bucket",
    "retrain triggers": "driftwatch_retrain_triggers_total",
    "alerts sent": "driftwatch_alerts_sent_total",
    "probe latency": "driftwatch_probe_request_duration_seconds_bucket",
    "plugin up": "driftwatch_plugin_up",
    "realized performance": "driftwatch_performance",
    "estimated performance": "driftwatch_performance_estimated",
    "performance alerts": "driftwatch_performance_alert",
    "performance thresholds": "driftwatch_performance_threshold",
    "labels joined and pending": "driftwatch_labels_total",
    "model latency": "driftwatch_upstream_request_duration_seconds_bucket",
    "model answers by code": "driftwatch_upstream_responses_total",
    "model error rate": "model:driftwatch_upstream_errors:ratio_rate5m",
    "fleet drift score": "model_feature:driftwatch_fleet_drift_score",
}

KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left",
            "group_right", "inf", "nan", "atan2"}

GRAFANA_DURATIONS = {"__rate_interval": "5m", "__interval": "1m", "__range": "1h"}


def substitute_variables(expr):
    """Grafana variables: durations become durations, anything else a plain label value."""
    def repl(m):
        name = m.group(1) or m.group(2) or m.group(3)
        return GRAFANA_DURATIONS.get(name, "x")
    return re.sub(r"\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(\w+)", repl, expr)


def metric_names(expr):
    """Metric names referenced by a PromQL expression."""
    e = substitute_variables(expr)
    e = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`', '""', e)   # string literals
    names = set()
    if "__name__" in e:
        raise ValueError("selects by __name__; name the metric instead")
    e = re.sub(r"\{[^{}]*\}", " ", e)                                  # label matchers
    e = re.sub(r"\[[^\[\]]*\]", " ", e)                                 # ranges and subqueries
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)", " ", e)
    for m in re.finditer(r"(?<![\w.:])([A-Za-z_:][A-Za-z0-9_:]*)(\s*\()?", e):
        word, call = m.group(1), m.group(2)
        if call or word.lower() in KEYWORDS:
            continue
        names.add(word)
    return names


def recording_rules(rules_text):
    return set(re.findall(r"^\s*- record:\s*(\S+)\s*$", rules_text, re.M))


def walk_panels(panels):
    for p in panels:
        yield p
        yield from walk_panels(p.get("panels", []))


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    dash_path, rules_path = argv[1], argv[2]
    emit = argv[argv.index("--emit-rules") + 1] if "--emit-rules" in argv else None
    errors = []

    with open(dash_path) as f:
        dash = json.load(f)
    with open(rules_path) as f:
        records = recording_rules(f.read())
    allowed = set(DESIGN_METRICS) | QUALITY_METRICS | records
    metrics_doc = os.path.join(os.path.dirname(os.path.abspath(dash_path)), "..", "docs", "metrics.md")
    with open(metrics_doc) as f:
        documented = f.read()
    for n in sorted(DESIGN_METRICS | DESIGN_HISTOGRAMS):
        if f"`{n}`" not in documented:
            errors.append(f"{n} is listed as a docs/metrics.md metric but docs/metrics.md lacks it")
    for h in DESIGN_HISTOGRAMS:
        allowed |= {h + "_bucket", h + "_sum", h + "_count"}

    sv = dash.get("schemaVersion")
    if not isinstance(sv, int) or not 36 <= sv <= 41:
        errors.append(f"schemaVersion {sv!r}: expected 36..41 (Grafana 9.4 to 11)")
    for key in ("title", "uid", "panels", "templating"):
        if key not in dash:
            errors.append(f"missing top-level {key!r}")

    variables = {v.get("name"): v for v in dash.get("templating", {}).get("list", [])}
    ds_refs = set()
    ds_var = next((v for v in variables.values() if v.get("type") == "datasource"), None)
    if ds_var:
        if ds_var.get("query") != "prometheus":
            errors.append(f"datasource variable {ds_var.get('name')} is not of type prometheus")
        ds_refs |= {"${%s}" % ds_var["name"], "$" + ds_var["name"]}
    if any(i.get("name") == "DS_PROMETHEUS" for i in dash.get("__inputs", [])):
        ds_refs |= {"${DS_PROMETHEUS}"}
    if not ds_refs:
        errors.append("no Prometheus datasource variable (type datasource) nor DS_PROMETHEUS input")

    model = variables.get("model")
    if not model:
        errors.append("no `model` template variable")
    else:
        q = model.get("query")
        qtext = q.get("query") if isinstance(q, dict) else q
        if qtext != "label_values(driftwatch_dataset_drift_share, model)":
            errors.append(f"model variable query {qtext!r}")
        if model.get("datasource", {}).get("uid") not in ds_refs:
            errors.append("model variable does not use the datasource variable")
    for name, v in variables.items():
        if v.get("type") == "query":
            q = v.get("query")
            qtext = q.get("query") if isinstance(q, dict) else q
            for n in metric_names(re.sub(r"^label_values\((.*),\s*\w+\)$", r"\1", qtext or "")):
                if n not in allowed:
                    errors.append(f"variable {name}: unknown metric {n}")

    ids, used, queries = set(), set(), []
    for p in walk_panels(dash.get("panels", [])):
        pid, title = p.get("id"), p.get("title", "")
        where = f"panel {pid} {title!r}"
        if pid in ids:
            errors.append(f"{where}: duplicate id")
        ids.add(pid)
        gp = p.get("gridPos", {})
        if not all(isinstance(gp.get(k), int) for k in "hwxy") or gp["x"] + gp["w"] > 24 or gp["w"] < 1:
            errors.append(f"{where}: bad gridPos {gp}")
        if not title:
            errors.append(f"panel {pid}: no title")
        if p.get("type") == "row":
            continue
        if p.get("datasource", {}).get("uid") not in ds_refs:
            errors.append(f"{where}: datasource {p.get('datasource')} is not the datasource variable")
        targets = p.get("targets", [])
        if not targets:
            errors.append(f"{where}: no queries")
        refids = [t.get("refId") for t in targets]
        if len(set(refids)) != len(refids):
            errors.append(f"{where}: duplicate refId")
        for t in targets:
            expr = t.get("expr", "")
            if not expr.strip():
                errors.append(f"{where}: empty query {t.get('refId')}")
                continue
            if t.get("datasource", p.get("datasource", {})).get("uid") not in ds_refs:
                errors.append(f"{where}: query {t.get('refId')} uses another datasource")
            try:
                names = metric_names(expr)
            except ValueError as e:
                errors.append(f"{where}: {e}")
                continue
            if not names:
                errors.append(f"{where}: query {t.get('refId')} names no metric: {expr}")
            for n in sorted(names - allowed):
                errors.append(f"{where}: {n} is neither a docs/metrics.md metric nor a recording rule")
            used |= names
            queries.append((pid, t.get("refId"), substitute_variables(expr)))

    for what, metric in REQUIRED.items():
        # A recording rule built on the metric counts too.
        if metric not in used and not any(metric.removesuffix("_bucket").removesuffix("_total") in r
                                          for r in used & records):
            errors.append(f"no panel shows {what} ({metric})")

    if emit:
        with open(emit, "w") as f:
            f.write("groups:\n  - name: dashboard_queries\n    rules:\n")
            for pid, ref, q in queries:
                f.write(f"      - record: dashboard:panel{pid}:{ref}\n        expr: {json.dumps(q)}\n")

    if errors:
        print(f"{dash_path}: {len(errors)} problem(s):", file=sys.stderr)
        for e in errors:
            print("  " + e, file=sys.stderr)
        return 1
    print(f"{dash_path}: {len(ids)} panels, {len(queries)} queries, metrics used: {len(used)}; ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
