#!/usr/bin/python3
"""Generates the demo data: a fraud-like training set and two serving files.

train.csv            5000 rows, the reference distribution
serving_ok.csv       2000 rows from the same distribution (check exits 0)
serving_drifted.csv  2000 rows after a shift: bigger amounts, a new market, more mobile traffic,
                     night-time activity and missing ages (check exits 2)
serving_drifted.jsonl the drifted rows as driftwatch sample objects (for the push/tail probes)

Deterministic: numpy's PCG64 with fixed seeds. Run: /usr/bin/python3 examples/data/generate.py
"""
import csv
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
COLUMNS = ["amount", "age", "country", "device", "hour", "merchant_category", "account_age_days",
           "prediction"]


def generate(n, seed, drifted=False):
    rng = np.random.default_rng(seed)
    if drifted:
        amount = rng.lognormal(mean=4.1, sigma=1.1, size=n)
        countries, cp = ["US", "GB", "DE", "FR", "BR", "NG"], [0.30, 0.10, 0.10, 0.05, 0.15, 0.30]
        devices, dp = ["mobile", "desktop", "tablet"], [0.80, 0.15, 0.05]
        hour = np.where(rng.random(n) < 0.5, rng.integers(0, 5, n), rng.integers(0, 24, n))
        age = np.clip(rng.normal(31, 9, n), 18, 90).round()
    else:
        amount = rng.lognormal(mean=3.5, sigma=1.0, size=n)
        countries, cp = ["US", "GB", "DE", "FR", "BR"], [0.45, 0.20, 0.15, 0.12, 0.08]
        devices, dp = ["mobile", "desktop", "tablet"], [0.55, 0.35, 0.10]
        hour = np.clip(rng.normal(14, 4.5, n), 0, 23).astype(int)
        age = np.clip(rng.normal(41, 12, n), 18, 90).round()
    country = rng.choice(countries, size=n, p=cp)
    device = rng.choice(devices, size=n, p=dp)
    merchant = rng.choice(["grocery", "travel", "electronics", "fashion", "gaming", "other"],
                          size=n, p=[0.3, 0.1, 0.15, 0.2, 0.1, 0.15])
    account_age = rng.gamma(shape=2.0, scale=300.0, size=n).round()
    # the model's fraud score: a logistic function of the features
    z = (-4.0 + 0.6 * np.log(amount) - 0.02 * (age - 40) + 0.8 * (device == "mobile")
         + 0.5 * ((hour < 6) | (hour > 22)) - 0.001 * account_age)
    prediction = 1.0 / (1.0 + np.exp(-z))
    rows = []
    missing_age = rng.random(n) < (0.25 if drifted else 0.01)
    for i in range(n):
        rows.append([f"{amount[i]:.2f}", "" if missing_age[i] else str(int(age[i])), country[i],
                     device[i], str(int(hour[i])), merchant[i], str(int(account_age[i])),
                     f"{prediction[i]:.4f}"])
    return rows


def write_csv(name, rows):
    with open(os.path.join(HERE, name), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(COLUMNS)
        w.writerows(rows)


def write_jsonl(name, rows):
    with open(os.path.join(HERE, name), "w") as f:
        for i, r in enumerate(rows):
            feats = {}
            for col, val in zip(COLUMNS[:-1], r[:-1]):
                if val == "":
                    feats[col] = None
                elif col in ("country", "device", "merchant_category"):
                    feats[col] = val
                else:
                    feats[col] = float(val) if "." in val else int(val)
            ts = f"2026-03-01T{(i // 120) % 24:02d}:{(i // 2) % 60:02d}:{i % 60:02d}Z"
            f.write(json.dumps({"features": feats, "prediction": float(r[-1]), "timestamp": ts,
                                "request_id": f"req-{i:05d}"}) + "\n")


def main():
    write_csv("train.csv", generate(5000, seed=20260301))
    write_csv("serving_ok.csv", generate(2000, seed=20260302))
    drifted = generate(2000, seed=20260303, drifted=True)
    write_csv("serving_drifted.csv", drifted)
    write_jsonl("serving_drifted.jsonl", drifted)


if __name__ == "__main__":
    main()
