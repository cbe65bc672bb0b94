#!/usr/bin/python3
"""Prints the demo's findings. Usage: summarize.py verdict|alerts|prom FILE"""
import json
import sys


def verdict(v):
    if not v:
        print("  no verdict yet")
        return
    print(f"  last window: dataset_drift={v['dataset_drift']} drift_share={v['drift_share']:.2f}"
          f" ({v['drifted_features']} of {v['n_features']} features drifted, {v['window']['rows']} rows)")
    for f in sorted(v["features"], key=lambda f: not f["drift"]):
        mark = "DRIFT" if f["drift"] else "ok   "
        stat = "-" if f["statistic"] is None else f"{f['statistic']:.4f}"
        p = "" if f["p_value"] is None else f"  p={f['p_value']:.3g}"
        print(f"  {mark} {f['name']:<18} {f['method'] or '-':<20} {stat}{p}")


def alerts(items):
    if not items:
        print("  no alert (yet)")
    for a in items:
        labels, ann = a["labels"], a.get("annotations", {})
        print(f"  {a['status']['state']}: {labels.get('alertname')} model={labels.get('model')}"
              f" severity={labels.get('severity')}")
        print(f"    {ann.get('summary', '')}")


def prom(answer):
    result = answer["data"]["result"]
    values = [r["value"][1] for r in result]
    print(f"  driftwatch_dataset_drifted{{model=\"fraud\"}} = {values[0] if values else 'not scraped yet'}")


def main():
    kind, path = sys.argv[1], sys.argv[2]
    with open(path) as f:
        text = f.read().strip()
    data = json.loads(text) if text else {}
    {"verdict": verdict, "alerts": alerts, "prom": prom}[kind](data)


if __name__ == "__main__":
    main()
