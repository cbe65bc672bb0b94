#!/usr/bin/python3
"""A tiny fraud model server for the demo, speaking the Vertex AI / KServe v1 predict shape.

POST /v1/models/fraud:predict  {"instances": [{"amount": 12.5, "age": 40, ...}, ...]}
  -> {"predictions": [0.13, ...], "deployedModelId": "demo-1"}
GET  /health -> {"status": "ok"}

The score is the same logistic function that generated examples/data (generate.py).
Usage: model_server.py PORT
"""
import json
import math
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def score(x):
    def num(key, default):
        v = x.get(key)
        return default if v is None else float(v)

    amount = max(num("amount", 30.0), 0.01)
    hour = num("hour", 12)
    z = (-4.0 + 0.6 * math.log(amount) - 0.02 * (num("age", 40) - 40)
         + 0.8 * (x.get("device") == "mobile") + 0.5 * (hour < 6 or hour > 22)
         - 0.001 * num("account_age_days", 300))
    return round(1.0 / (1.0 + math.exp(-z)), 4)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def reply(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/health":
            self.reply(200, {"status": "ok"})
        else:
            self.reply(404, {"error": "not found"})

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        try:
            req = json.loads(self.rfile.read(n))
            instances = req["instances"]
            preds = [score(x) for x in instances]
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            self.reply(400, {"error": f"bad request: {e}"})
            return
        self.reply(200, {"predictions": preds, "deployedModelId": "demo-1"})

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
