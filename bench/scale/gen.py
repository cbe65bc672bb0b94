#!/usr/bin/env python3
"""Input of the scale benchmark (bench/scale/run.sh): a training CSV of ROWS rows x FEATURES numeric
features (Gaussian, 4 decimals), the agent's config with MODELS models sharing its baseline (each a
tumbling window of WINDOW samples and a push probe), and one NDJSON body of WINDOW samples (shifted
by 0.1 so checks see a little drift).

Usage: gen.py DIR PORT MODELS FEATURES ROWS WINDOW"""
import json
import random
import sys


def main():
    out, port, models, features, rows, window = sys.argv[1], *map(int, sys.argv[2:7])
    rnd = random.Random(7)
    names = [f"f{i:04d}" for i in range(features)]
    with open(f"{out}/train.csv", "w") as f:
        f.write(",".join(names) + "\n")
        for _ in range(rows):
            f.write(",".join(f"{rnd.gauss(0, 1):.4f}" for _ in names) + "\n")
    with open(f"{out}/window.ndjson", "w") as f:
        for _ in range(window):
            f.write(json.dumps({"features": {n: round(rnd.gauss(0.1, 1), 4) for n in names}}) + "\n")
    with open(f"{out}/agent.yaml", "w") as f:
        f.write(f"agent: {{listen: 127.0.0.1:{port}, state_dir: {out}/state, durability: {{interval: 100ms}}}}\n")
        f.write("models:\n")
        for m in range(models):
            f.write(f"  - name: m{m:03d}\n"
                    f"    baseline: {out}/baseline.json\n"
                    f"    window: {{size: {window}}}\n"
                    f"    probes: [{{plugin: push, model: m{m:03d}}}]\n")


if __name__ == "__main__":
    main()
