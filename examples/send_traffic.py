#!/usr/bin/python3
"""Sends rows of a CSV file as predict requests (Vertex AI / KServe v1 shape), in batches.

Usage: send_traffic.py URL FILE.csv [BATCH]
Prints one line: how many requests and instances were sent and how many answers were 200.
"""
import csv
import json
import sys
import urllib.request

CATEGORICAL = {"country", "device", "merchant_category"}


def instance(row):
    out = {}
    for k, v in row.items():
        if k == "prediction":
            continue
        if v == "":
            out[k] = None
        elif k in CATEGORICAL:
            out[k] = v
        else:
            out[k] = float(v)
    return out


def main():
    url, path = sys.argv[1], sys.argv[2]
    batch = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    with open(path, newline="") as f:
        rows = [instance(r) for r in csv.DictReader(f)]
    ok = requests = 0
    for i in range(0, len(rows), batch):
        body = json.dumps({"instances": rows[i:i + batch]}).encode()
        req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            ok += resp.status == 200
            json.load(resp)
        requests += 1
    print(f"sent {requests} requests ({len(rows)} instances) from {path}: {ok} answered 200")


if __name__ == "__main__":
    main()
