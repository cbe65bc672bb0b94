#!/usr/bin/env python3
"""Drives a running agent for the scale benchmark (bench/scale/run.sh) and prints figures; asserts
nothing. Per model: one full window pushed (the tumbling window closes and is checked), then half a
window; then RSS, the time of a second check of the first model (its half window, on demand),
/metrics size and the time of SCRAPES curl scrapes with and without gzip.

Usage: drive.py PORT PID MODELS WINDOW BODY.ndjson SCRAPES BATCH"""
import http.client
import re
import statistics
import subprocess
import sys
import time


def rss(pid):
    got = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "Threads"):
                got[k] = int(v.split()[0])
    return f"VmRSS {got['VmRSS'] / 1024:.1f} MB, VmHWM {got['VmHWM'] / 1024:.1f} MB, {got['Threads']} threads"


def scrape(port, gzip=False):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", "/metrics", headers={"Accept-Encoding": "gzip"} if gzip else {})
    r = conn.getresponse()
    body = r.read()
    conn.close()
    return body


def family_sum(text, name, suffix=""):
    total = 0.0
    for m in re.finditer(rf"^{name}{suffix}(?:{{[^}}]*}})? (\S+)$", text, re.M):
        total += float(m.group(1))
    return total


def push(port, models, lines, batch):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    for m in range(models):
        for i in range(0, len(lines), batch):
            body = "".join(lines[i:i + batch]).encode()
            conn.request("POST", f"/v1/models/m{m:03d}/samples", body, {"Content-Type": "application/x-ndjson"})
            r = conn.getresponse()
            r.read()
            if r.status != 202:
                sys.exit(f"push to m{m:03d}: HTTP {r.status}")
    conn.close()


def curl_times(port, scrapes, gzip):
    times, size = [], 0
    for _ in range(scrapes):
        cmd = ["curl", "-sS", "-o", "/dev/null", "-w", "%{time_total} %{size_download}"]
        if gzip:
            cmd += ["-H", "Accept-Encoding: gzip"]
        out = subprocess.run(cmd + [f"http://127.0.0.1:{port}/metrics"], check=True, capture_output=True,
                             text=True).stdout.split()
        times.append(float(out[0]) * 1000)
        size = int(out[1])
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(0.9 * len(times)))], size


def main():
    port, pid, models, window = map(int, sys.argv[1:5])
    body_path, scrapes, batch = sys.argv[5], int(sys.argv[6]), int(sys.argv[7])
    with open(body_path) as f:
        lines = f.readlines()[:window]

    print(f"  started:                 {rss(pid)}")
    t0 = time.monotonic()
    push(port, models, lines, batch)
    t1 = time.monotonic()
    n = models * len(lines)
    print(f"  ingest:                  {n} samples in {t1 - t0:.2f} s = {n / (t1 - t0):.0f} samples/s "
          f"(batches of {batch}, one connection)")
    while True:
        text = scrape(port).decode()
        if family_sum(text, "driftwatch_checks_total") >= models:
            break
        if time.monotonic() - t1 > 600:
            sys.exit("checks did not finish within 600 s")
        time.sleep(0.2)
    t2 = time.monotonic()
    secs = family_sum(text, "driftwatch_check_duration_seconds", "_sum")
    cnt = family_sum(text, "driftwatch_check_duration_seconds", "_count")
    print(f"  checks:                  {int(cnt)} of {len(lines)} samples, {secs / cnt * 1000:.1f} ms each "
          f"(driftwatch_check_duration_seconds mean); all done {t2 - t0:.2f} s after the first push")
    print(f"  one checked window each: {rss(pid)}")
    push(port, models, lines[:len(lines) // 2], batch)
    time.sleep(1)
    print(f"  + half a window each:    {rss(pid)}")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    t3 = time.monotonic()
    conn.request("POST", "/v1/models/m000/check")
    r = conn.getresponse()
    r.read()
    t4 = time.monotonic()
    conn.close()
    print(f"  a second check of m000:  {(t4 - t3) * 1000:.1f} ms (POST .../check of its half window, HTTP {r.status})")
    plain = scrape(port)
    gz = scrape(port, gzip=True)
    lines_out = plain.split(b"\n")
    series = sum(1 for line in lines_out if line and not line.startswith(b"#"))
    print(f"  /metrics:                {len(plain)} bytes, {series} samples; "
          f"with Accept-Encoding: gzip {len(gz)} bytes")
    for gzip in (False, True):
        med, p90, size = curl_times(port, scrapes, gzip)
        print(f"  scrape{' (gzip)' if gzip else '       '}:          median {med:.2f} ms, p90 {p90:.2f} ms "
              f"over {scrapes} curl scrapes ({size} bytes)")
    print(f"  after the scrapes:       {rss(pid)}")


if __name__ == "__main__":
    main()
