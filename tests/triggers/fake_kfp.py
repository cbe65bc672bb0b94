#!/usr/bin/python3
"""Fake Kubeflow Pipelines API server (REST v2beta1) for driftwatch's kfp trigger tests.
Stdlib only, loopback only.

Serves what the kfp plugin calls, with the shapes of backend/api/v2beta1/run.proto and filter.proto:
  POST /apis/v2beta1/runs            CreateRun: the body is checked (400 with the reason otherwise)
  GET  /apis/v2beta1/runs?filter=..  ListRuns: filter = url-encoded JSON Filter {"predicates": [...]},
                                     every predicate must hold: display_name (or name) with
                                     EQUALS / NOT_EQUALS / IS_SUBSTRING and a string_value, or
                                     created_at with EQUALS / NOT_EQUALS / GREATER_THAN(_EQUALS) /
                                     LESS_THAN(_EQUALS) and a timestamp_value (RFC 3339); v2beta1 has
                                     no prefix operation. Also experiment_id, namespace, sort_by,
                                     page_size and page_token (the previous answer's next_page_token)
  GET  /apis/v2beta1/runs/{run_id}   GetRun: each GET moves the run one step along
                                     PENDING -> RUNNING -> outcome (SUCCEEDED, or FAILED / CANCELED)
Errors use the API server's grpc-gateway shape {"error", "code", "message", "details"}.

Control (no auth), for tests:
  GET  /_fake/requests   every API request received: {method, path, query (raw), params (decoded),
                         headers (names lowercased), body}
  GET  /_fake/runs       the runs held
  POST /_fake/reset      forget runs, requests and faults; config back to defaults
  POST /_fake/config     merge {"outcome": "SUCCEEDED"|"FAILED"|"CANCELED", "steps_per_state": n,
                         "tokens": [...] (accepted bearer tokens; empty: no auth), "error_message": "...",
                         "hold": true (GETs do not move runs on), "max_page_size": n (list pages hold
                         at most n runs)}
  POST /_fake/runs       add a run as if created earlier: {"display_name", "state", "created_at"
                         (RFC 3339, default now), ...}
  POST /_fake/run_state  {"run_id", "state"}: set a run's state (with "hold": true in the config,
                         GETs leave runs where they are, so a test decides when a run ends)
  POST /_fake/faults     {"faults": [{"method", "path" (regex on the path), "times" (default 1),
                         "status" (answer with this error), "message", "delay_after" (seconds: act,
                         then sleep before answering, so the client times out although the run exists)}]}

Usage: fake_kfp.py PORT (0: any free port); prints "PORT <n>" once listening.
"""
import copy
import datetime
import http.server
import itertools
import json
import re
import sys
import threading
import time
import urllib.parse
import uuid

LOCK = threading.Lock()
COUNTER = itertools.count(1)

DEFAULT_CONFIG = {
    "outcome": "SUCCEEDED",
    "steps_per_state": 1,
    "tokens": [],
    "error_message": "The pipeline run failed: task train exited with status 1.",
    "hold": False,
    "max_page_size": 100,
}
STATE = {}

# grpc codes for the HTTP statuses the fake answers with (google/rpc/code.proto).
GRPC_CODES = {400: 3, 401: 16, 403: 7, 404: 5, 409: 6, 429: 8, 500: 13, 503: 14, 504: 4}

RUN_FIELDS = {"display_name", "experiment_id", "description", "pipeline_version_reference", "pipeline_spec",
              "runtime_config", "service_account", "recurring_run_id"}
STATES = ["PENDING", "RUNNING"]


def reset_state():
    STATE.clear()
    STATE.update({"requests": [], "faults": [], "config": copy.deepcopy(DEFAULT_CONFIG), "runs": []})


def now_rfc3339():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class BadRequest(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


def check_create_body(body):
    """The CreateRun body as the v2beta1 API takes it; raises BadRequest naming the problem."""
    if not isinstance(body, dict):
        raise BadRequest(400, "body must be a JSON object (a Run)")
    unknown = set(body) - RUN_FIELDS
    if unknown:
        raise BadRequest(400, "unknown field(s) in Run: %s" % ", ".join(sorted(unknown)))
    name = body.get("display_name")
    if not isinstance(name, str) or not name:
        raise BadRequest(400, "Invalid input error: run display_name is required")
    if "experiment_id" in body and not isinstance(body["experiment_id"], str):
        raise BadRequest(400, "experiment_id must be a string")
    ref = body.get("pipeline_version_reference")
    if not isinstance(ref, dict) or not isinstance(ref.get("pipeline_id"), str) or not ref["pipeline_id"]:
        raise BadRequest(400, "Invalid input error: pipeline_version_reference.pipeline_id is required")
    if set(ref) - {"pipeline_id", "pipeline_version_id"}:
        raise BadRequest(400, "unknown field(s) in pipeline_version_reference")
    if "pipeline_version_id" in ref and not isinstance(ref["pipeline_version_id"], str):
        raise BadRequest(400, "pipeline_version_id must be a string")
    rc = body.get("runtime_config")
    if not isinstance(rc, dict):
        raise BadRequest(400, "runtime_config must be an object")
    if set(rc) - {"parameters", "pipeline_root"}:
        raise BadRequest(400, "unknown field(s) in runtime_config")
    if not isinstance(rc.get("parameters", {}), dict):
        raise BadRequest(400, "runtime_config.parameters must be an object (map<string, Value>)")
    if "pipeline_root" in rc and not isinstance(rc["pipeline_root"], str):
        raise BadRequest(400, "runtime_config.pipeline_root must be a string")


def parse_time(text):
    try:
        t = datetime.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except (ValueError, AttributeError):
        raise BadRequest(400, "Invalid input error: %r is not an RFC 3339 timestamp" % (text,))
    if t.tzinfo is None:
        raise BadRequest(400, "Invalid input error: %r has no time zone" % (text,))
    return t


TIME_OPS = {"EQUALS": lambda a, b: a == b, "NOT_EQUALS": lambda a, b: a != b,
            "GREATER_THAN": lambda a, b: a > b, "GREATER_THAN_EQUALS": lambda a, b: a >= b,
            "LESS_THAN": lambda a, b: a < b, "LESS_THAN_EQUALS": lambda a, b: a <= b}


def predicate_matches(run, pred):
    key = pred.get("key")
    op = pred.get("operation", pred.get("op"))
    if key == "created_at":
        stamp = pred.get("timestamp_value", pred.get("timestampValue"))
        if op not in TIME_OPS or not isinstance(stamp, str):
            raise BadRequest(400, "Invalid input error: unsupported filter predicate %s" % json.dumps(pred))
        return TIME_OPS[op](parse_time(run["created_at"]), parse_time(stamp))
    value = pred.get("string_value", pred.get("stringValue"))
    if key not in ("display_name", "name") or not isinstance(value, str):
        raise BadRequest(400, "Invalid input error: unsupported filter predicate %s" % json.dumps(pred))
    have = run.get("display_name", "")
    if op in ("EQUALS", 1):
        return have == value
    if op in ("NOT_EQUALS", 2):
        return have != value
    if op in ("IS_SUBSTRING", 9):
        return value in have
    raise BadRequest(400, "Invalid input error: unsupported operation %r" % (op,))


def list_runs(query):
    runs = list(STATE["runs"])
    if "filter" in query:
        try:
            flt = json.loads(query["filter"][0])
        except ValueError as e:
            raise BadRequest(400, "Invalid input error: failed to parse filter: %s" % e)
        preds = flt.get("predicates") if isinstance(flt, dict) else None
        if not isinstance(preds, list):
            raise BadRequest(400, "Invalid input error: filter has no predicates list")
        runs = [r for r in runs if all(predicate_matches(r, p) for p in preds)]
    if "experiment_id" in query:
        runs = [r for r in runs if r.get("experiment_id") == query["experiment_id"][0]]
    sort_by = query.get("sort_by", ["created_at"])[0]
    runs.sort(key=lambda r: parse_time(r["created_at"]), reverse=sort_by.endswith(" desc"))
    size = min(int(query.get("page_size", ["20"])[0]), STATE["config"]["max_page_size"])
    try:
        start = int(query.get("page_token", ["0"])[0] or 0)
    except ValueError:
        raise BadRequest(400, "Invalid input error: bad page_token")
    page = runs[start:start + size]
    # Like the API server's JSON marshaller, empty fields are left out: no runs, no "runs".
    out = {"runs": [public(r) for r in page], "total_size": len(runs)} if page else {}
    if start + size < len(runs):
        out["next_page_token"] = str(start + size)
    return out


def new_run(body):
    cfg = STATE["config"]
    run = copy.deepcopy(body)
    run.setdefault("experiment_id", "default-experiment")
    run["run_id"] = str(uuid.UUID(int=next(COUNTER)))
    run["state"] = body.get("state", "PENDING")
    run["created_at"] = body.get("created_at") or now_rfc3339()
    run["storage_state"] = "AVAILABLE"
    run["_gets"] = 0
    run["_outcome"] = cfg["outcome"]
    return run


def public(run):
    return {k: v for k, v in run.items() if not k.startswith("_")}


def advance(run):
    """One GET: after steps_per_state GETs in a state, the run moves on."""
    if run["state"] in ("SUCCEEDED", "FAILED", "CANCELED", "SKIPPED") or STATE["config"]["hold"]:
        return
    run["_gets"] += 1
    if run["_gets"] < STATE["config"]["steps_per_state"]:
        return
    run["_gets"] = 0
    if run["state"] == "PENDING":
        run["state"] = "RUNNING"
    else:
        run["state"] = run["_outcome"]
        run["finished_at"] = now_rfc3339()
        if run["state"] != "SUCCEEDED":
            run["error"] = {"code": 2, "message": STATE["config"]["error_message"], "details": []}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def answer(self, status, obj):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def error(self, status, message):
        self.answer(status, {"error": message, "code": GRPC_CODES.get(status, 2), "message": message,
                             "details": []})

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def handle_any(self, method):
        url = urllib.parse.urlsplit(self.path)
        path, query = url.path, urllib.parse.parse_qs(url.query)
        raw = self.read_body()
        if path.startswith("/_fake/"):
            return self.control(method, path, raw)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        delay_after = 0
        with LOCK:
            STATE["requests"].append({"method": method, "path": path, "query": url.query,
                                      "params": {k: v[0] for k, v in query.items()},
                                      "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
            fault = self.take_fault(method, path)
            tokens = STATE["config"]["tokens"]
        if tokens:
            auth = self.headers.get("Authorization", "")
            if not auth.startswith("Bearer ") or auth[len("Bearer "):] not in tokens:
                return self.error(401, "Unauthenticated: invalid or missing bearer token")
        if fault and fault.get("status"):
            return self.error(fault["status"], fault.get("message", "injected fault"))
        if fault:
            delay_after = fault.get("delay_after", 0)
        try:
            with LOCK:
                status, obj = self.api(method, path, query, body)
        except BadRequest as e:
            return self.error(e.status, e.message)
        if delay_after:
            time.sleep(delay_after)
        try:
            self.answer(status, obj)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (delay_after): the run exists all the same

    def take_fault(self, method, path):
        for f in STATE["faults"]:
            if f.get("times", 1) == 0:
                continue
            if f.get("method", method) != method or not re.search(f.get("path", ""), path):
                continue
            if f.get("times", 1) > 0:
                f["times"] = f.get("times", 1) - 1
            return f
        return None

    def api(self, method, path, query, body):
        if path == "/apis/v2beta1/runs" and method == "POST":
            check_create_body(body)
            run = new_run(body)
            STATE["runs"].append(run)
            return 200, public(run)
        if path == "/apis/v2beta1/runs" and method == "GET":
            return 200, list_runs(query)
        m = re.fullmatch(r"/apis/v2beta1/runs/([^/]+)", path)
        if m and method == "GET":
            run_id = urllib.parse.unquote(m.group(1))
            for run in STATE["runs"]:
                if run["run_id"] == run_id:
                    advance(run)
                    return 200, public(run)
            raise BadRequest(404, "Run %s not found" % run_id)
        raise BadRequest(404, "Not Found: %s %s" % (method, path))

    def control(self, method, path, raw):
        body = json.loads(raw) if raw else {}
        with LOCK:
            if path == "/_fake/requests" and method == "GET":
                return self.answer(200, STATE["requests"])
            if path == "/_fake/runs" and method == "GET":
                return self.answer(200, [public(r) for r in STATE["runs"]])
            if path == "/_fake/reset" and method == "POST":
                reset_state()
                return self.answer(200, {})
            if path == "/_fake/config" and method == "POST":
                STATE["config"].update(body)
                return self.answer(200, STATE["config"])
            if path == "/_fake/faults" and method == "POST":
                STATE["faults"].extend(body.get("faults", []))
                return self.answer(200, {})
            if path == "/_fake/run_state" and method == "POST":
                for run in STATE["runs"]:
                    if run["run_id"] == body.get("run_id"):
                        run["state"] = body["state"]
                        if run["state"] in ("FAILED", "CANCELED"):
                            run["error"] = {"code": 2, "message": STATE["config"]["error_message"], "details": []}
                        return self.answer(200, public(run))
                return self.error(404, "no such run")
            if path == "/_fake/runs" and method == "POST":
                run = new_run(body)
                STATE["runs"].append(run)
                return self.answer(200, public(run))
        self.error(404, "no such control path")


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    reset_state()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    print("PORT %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
