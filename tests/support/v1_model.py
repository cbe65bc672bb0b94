#!/usr/bin/env python3
"""A v1 predict model server for the shell tests (one copy instead of one per test): POST with
{"instances": [...]} -> {"predictions": [0.25, ...]}, one per instance, with X-Model-Version: 7.
Any other body (not JSON, or no "instances"): with --other one, {"predictions": [0.25]}; with
--other result, {"result": [0.25]} (a shape neither v1 nor v2, for taps that must reject it).
Injected faults, per request: a header X-Delay-Ms: N makes it wait N ms before answering, and
X-Status: S answers status S with {"error": "injected"} instead of a prediction.
Usage: v1_model.py PORT [--other one|result]"""
import argparse, json, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ap = argparse.ArgumentParser()
ap.add_argument("port", type=int)
ap.add_argument("--other", choices=("one", "result"), default="one")
args = ap.parse_args()


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        raw = self.rfile.read(int(self.headers["Content-Length"]))
        time.sleep(int(self.headers.get("X-Delay-Ms", "0")) / 1000)
        status = int(self.headers.get("X-Status", "200"))
        try:
            out = {"predictions": [0.25] * len(json.loads(raw)["instances"])}
        except Exception:
            out = {"predictions": [0.25]} if args.other == "one" else {"result": [0.25]}
        if status != 200:
            out = {"error": "injected"}
        body = json.dumps(out).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Model-Version", "7")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


ThreadingHTTPServer(("127.0.0.1", args.port), H).serve_forever()
