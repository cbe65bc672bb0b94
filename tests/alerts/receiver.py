#!/usr/bin/env python3
"""Loopback HTTP receiver for the alert-sink tests: records every request (method, path, headers,
body) and answers with injected failures, so tests check what a sink sent and how it retried.

Paths choose the answer:
  /status/<code>/<n>/...      answers <code> to the first <n> requests on that exact path, then 200
  /status/<code>/always/...   always answers <code>
  anything else               200 "ok" (what Slack's incoming webhooks answer)
Control (not recorded):
  GET  /_requests[?prefix=/x] JSON array of recorded requests, oldest first
  POST /_reset                forget everything
With --secret, each request's X-Driftwatch-Signature-256 is checked with Python's hmac module (the
independent reference for the webhook sink): "signature_valid" is true/false, or null when absent.

Usage: receiver.py --port-file FILE [--secret S] [--port N]  (binds 127.0.0.1 on port N, default a free
one, and writes it to FILE)
"""
import argparse
import hashlib
import hmac
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LOCK = threading.Lock()
REQUESTS = []
HITS = {}  # path -> requests seen
SECRET = None

REASONS = {400: "invalid_payload", 403: "action_prohibited", 404: "no_service", 410: "channel_is_archived",
           429: "rate_limited", 500: "injected server error", 503: "unavailable"}


def check_signature(headers, body):
    sig = headers.get("x-driftwatch-signature-256")
    ts = headers.get("x-driftwatch-timestamp")
    if SECRET is None or sig is None or ts is None:
        return None
    expected = "sha256=" + hmac.new(SECRET.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, sig)


class Handler(BaseHTTPRequestHandler):
    server_version = "dw-test-receiver/1"

    def log_message(self, fmt, *args):  # quiet: the tests print what matters
        pass

    def reply(self, code, body, ctype="text/plain"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        if code == 429:
            self.send_header("Retry-After", "0")
        self.end_headers()
        self.wfile.write(data)

    def handle_any(self):
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if url.path == "/_requests":
            prefix = parse_qs(url.query).get("prefix", [""])[0]
            with LOCK:
                out = [r for r in REQUESTS if r["path"].startswith(prefix)]
            return self.reply(200, json.dumps(out), "application/json")
        if url.path == "/_reset":
            with LOCK:
                REQUESTS.clear()
                HITS.clear()
            return self.reply(200, "reset")

        code = 200
        parts = url.path.split("/")
        with LOCK:
            HITS[url.path] = HITS.get(url.path, 0) + 1
            seen = HITS[url.path]
            if len(parts) > 3 and parts[1] == "status" and parts[2].isdigit():
                times = parts[3]
                if times == "always" or (times.isdigit() and seen <= int(times)):
                    code = int(parts[2])
            headers = {k.lower(): v for k, v in self.headers.items()}
            REQUESTS.append({
                "method": self.command,
                "path": url.path,
                "query": url.query,
                "headers": headers,
                "body": body.decode("utf-8", "replace"),
                "status": code,
                "received_at": time.time(),
                "signature_valid": check_signature(headers, body),
            })
        if code == 200:
            return self.reply(200, "ok")
        return self.reply(code, json.dumps({"ok": False, "error": REASONS.get(code, "injected")}),
                          "application/json")

    do_GET = do_POST = do_PUT = handle_any


def main():
    global SECRET
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--secret")
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    SECRET = args.secret
    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, args.port_file)  # readers never see a half-written port
    srv.serve_forever()


if __name__ == "__main__":
    main()
