#!/usr/bin/python3
"""Fake MLflow tracking server (REST API 2.0) for driftwatch tests (stdlib only, loopback only).

Serves the calls driftwatch makes under /api/2.0/mlflow/, with the request fields, types and
limits of MLflow's REST API reference and its error shape {"error_code", "message"}:
  GET  experiments/get-by-name?experiment_name=N  -> {"experiment": {...}}; 404 RESOURCE_DOES_NOT_EXIST
  POST experiments/create {"name", "artifact_location"?, "tags"?}  -> {"experiment_id"};
                                                     400 RESOURCE_ALREADY_EXISTS for a taken name
  POST runs/create {"experiment_id", "user_id"?, "run_name"?, "start_time"?, "tags"?}
                                                  -> {"run": {"info": {...}, "data": {"tags": [...]}}}
  POST runs/search {"experiment_ids", "filter"?, "run_view_type"?, "max_results"?, "order_by"?,
                    "page_token"?}                -> {"runs": [...]} or {} when nothing matches
  POST runs/log-batch {"run_id", "metrics"?, "params"?, "tags"?}  -> {}
  POST runs/update {"run_id", "status"?, "end_time"?, "run_name"?}  -> {"run_info": {...}}
  GET  runs/get?run_id=R                          -> {"run": {...}}
Validation (400 INVALID_PARAMETER_VALUE unless said otherwise): a body that is not a JSON object
(400 MALFORMED_REQUEST), a missing required field, a field of the wrong type (int64 fields take a
JSON integer or a string of digits, as protobuf JSON does), an unknown field, an unknown experiment
or run (404 RESOURCE_DOES_NOT_EXIST), a metric or param key outside [A-Za-z0-9_./ -] or longer than
250, more than 1000 metrics / 100 params / 100 tags / 1000 items in one log-batch, a param logged
again with another value, a status that is not a RunStatus, a filter this fake cannot parse.
Filters: clauses joined by AND, each <entity>.<key> = '<value>' or != with entity tags, params or
attributes (status, run_name, run_id); the key bare, `back-ticked` or "double-quoted".

Auth: with --token values, each request needs "Authorization: Bearer <one of them>"; with --user
U:P values, "Authorization: Basic base64(U:P)"; else 401 {"error_code": "UNAUTHENTICATED"}.

Control (no auth), for tests:
  GET  /_fake/requests  every API request received (method, path, query, headers, body)
  GET  /_fake/state     experiments and runs (with their tags, params and metric history)
  POST /_fake/faults    {"faults": [{"method", "path" (regex), "times" (default 1, -1 forever),
                        "status", "error_code", "message", "delay_after"}]}: the next `times`
                        matching requests are answered with that error instead (delay_after:
                        handled normally, then answered late, so the client times out although
                        the server acted); {"clear": true} drops the faults left
  POST /_fake/reset     forget everything but the auth settings

Usage: fake_mlflow.py [--port 0] [--token T]... [--user U:P]... [--fault JSON]...; prints
"PORT <n>" when listening.
"""
import argparse
import base64
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
EXP_IDS = itertools.count(1)
STATE = {}
AUTH = {"tokens": [], "users": []}
API = "/api/2.0/mlflow/"
KEY_RE = re.compile(r"^[/\w.\- ]*$", re.ASCII)
RUN_STATUSES = {"RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"}
VIEW_TYPES = {"ACTIVE_ONLY", "DELETED_ONLY", "ALL"}
ERROR_STATUS = {"INVALID_PARAMETER_VALUE": 400, "MALFORMED_REQUEST": 400, "RESOURCE_ALREADY_EXISTS": 400,
                "RESOURCE_DOES_NOT_EXIST": 404, "ENDPOINT_NOT_FOUND": 404, "UNAUTHENTICATED": 401,
                "PERMISSION_DENIED": 403, "REQUEST_LIMIT_EXCEEDED": 429, "INTERNAL_ERROR": 500,
                "TEMPORARILY_UNAVAILABLE": 503}


def reset_state():
    STATE.clear()
    STATE.update({"requests": [], "faults": [], "experiments": {}, "runs": {}})
    # MLflow servers start with the "Default" experiment, id 0.
    STATE["experiments"]["0"] = {"experiment_id": "0", "name": "Default", "artifact_location": "mlflow-artifacts:/0",
                                 "lifecycle_stage": "active", "tags": []}


class ApiError(Exception):
    def __init__(self, error_code, message, status=None):
        super().__init__(message)
        self.error_code, self.message = error_code, message
        self.status = status or ERROR_STATUS.get(error_code, 400)


def invalid(message):
    return ApiError("INVALID_PARAMETER_VALUE", message)


def now_ms():
    return int(time.time() * 1000)


# ---- request fields, checked as MLflow's request protos declare them ----

def check_fields(body, spec, what):
    """spec: name -> (type, required). Types: str, int64, int32, double, [str], tags, metrics, params."""
    if not isinstance(body, dict):
        raise ApiError("MALFORMED_REQUEST", f"Malformed request: {what} body must be a JSON object")
    unknown = set(body) - set(spec)
    if unknown:
        raise invalid(f"Invalid request: unknown field {sorted(unknown)[0]!r} for {what}")
    for name, (typ, required) in spec.items():
        if name not in body or body[name] is None:
            if required:
                raise invalid(f"Missing value for required parameter '{name}'. See the API docs for more "
                              f"information about request parameters.")
            continue
        body[name] = check_type(body[name], typ, name)


def check_type(v, typ, name):
    if typ == "str":
        if not isinstance(v, str):
            raise invalid(f"Invalid value {v!r} for parameter '{name}' supplied: expected a string")
        return v
    if typ in ("int64", "int32"):
        if isinstance(v, bool) or not (isinstance(v, int) or (isinstance(v, str) and re.fullmatch(r"-?\d+", v))):
            raise invalid(f"Invalid value {v!r} for parameter '{name}' supplied: expected an integer")
        return int(v)
    if typ == "double":
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            if isinstance(v, str) and v in ("NaN", "Infinity", "-Infinity"):
                return float(v.replace("Infinity", "inf"))
            raise invalid(f"Invalid value {v!r} for parameter '{name}' supplied: expected a number")
        return float(v)
    if typ == "[str]":
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise invalid(f"Invalid value {v!r} for parameter '{name}' supplied: expected a list of strings")
        return v
    if typ in ("tags", "params"):
        if not isinstance(v, list):
            raise invalid(f"Invalid value for parameter '{name}': expected a list of {{key, value}}")
        for item in v:
            check_fields(item, {"key": ("str", True), "value": ("str", True)}, f"{name} item")
        return v
    if typ == "metrics":
        if not isinstance(v, list):
            raise invalid(f"Invalid value for parameter '{name}': expected a list of metrics")
        for item in v:
            check_fields(item, {"key": ("str", True), "value": ("double", True), "timestamp": ("int64", True),
                                "step": ("int64", False)}, "metric")
        return v
    raise AssertionError(typ)


def check_key(key, kind):
    if not KEY_RE.match(key) or not key:
        raise invalid(f"Invalid {kind} name: '{key}'. Names may only contain alphanumerics, underscores (_), "
                      f"dashes (-), periods (.), spaces ( ), and slashes (/).")
    if len(key) > 250:
        raise invalid(f"{kind.capitalize()} name '{key[:40]}...' had length {len(key)}, which exceeded length "
                      f"limit of 250")


def check_tags(tags):
    for t in tags or []:
        if not t["key"] or len(t["key"]) > 250:
            raise invalid(f"Tag key '{t['key'][:40]}' must be 1 to 250 characters")
        if len(t["value"]) > 8000:
            raise invalid(f"Tag value for '{t['key']}' exceeded length limit of 8000")


# ---- experiments ----

def find_experiment_by_name(name):
    for e in STATE["experiments"].values():
        if e["name"] == name:
            return e
    return None


def get_by_name(query, _body):
    names = query.get("experiment_name")
    if not names or not names[0]:
        raise invalid("Missing value for required parameter 'experiment_name'. See the API docs for more "
                      "information about request parameters.")
    e = find_experiment_by_name(names[0])
    if not e:
        raise ApiError("RESOURCE_DOES_NOT_EXIST", f"Could not find experiment with name '{names[0]}'")
    return {"experiment": e}


def create_experiment(_query, body):
    check_fields(body, {"name": ("str", True), "artifact_location": ("str", False), "tags": ("tags", False)},
                 "CreateExperiment")
    if not body["name"]:
        raise invalid("Invalid experiment name: ''")
    if find_experiment_by_name(body["name"]):
        raise ApiError("RESOURCE_ALREADY_EXISTS", f"Experiment '{body['name']}' already exists.")
    eid = str(next(EXP_IDS))
    t = now_ms()
    STATE["experiments"][eid] = {"experiment_id": eid, "name": body["name"],
                                 "artifact_location": body.get("artifact_location") or f"mlflow-artifacts:/{eid}",
                                 "lifecycle_stage": "active", "tags": body.get("tags") or [],
                                 "creation_time": t, "last_update_time": t}
    return {"experiment_id": eid}


# ---- runs ----

def run_view(r):
    info = {k: r[k] for k in ("run_id", "run_uuid", "run_name", "experiment_id", "user_id", "status",
                              "start_time", "artifact_uri", "lifecycle_stage")}
    if r.get("end_time") is not None:
        info["end_time"] = r["end_time"]
    latest = {}
    for m in r["metrics"]:
        latest[m["key"]] = m
    data = {"tags": [{"key": k, "value": v} for k, v in r["tags"].items()],
            "params": [{"key": k, "value": v} for k, v in r["params"].items()],
            "metrics": list(latest.values())}
    return {"info": info, "data": {k: v for k, v in data.items() if v}}


def get_run(run_id):
    r = STATE["runs"].get(run_id)
    if not r:
        raise ApiError("RESOURCE_DOES_NOT_EXIST", f"Run '{run_id}' not found")
    return r


def create_run(_query, body):
    check_fields(body, {"experiment_id": ("str", False), "user_id": ("str", False), "run_name": ("str", False),
                        "start_time": ("int64", False), "tags": ("tags", False)}, "CreateRun")
    eid = body.get("experiment_id") or "0"
    if eid not in STATE["experiments"]:
        raise ApiError("RESOURCE_DOES_NOT_EXIST", f"No Experiment with id={eid} exists")
    check_tags(body.get("tags"))
    run_id = uuid.uuid4().hex
    r = {"run_id": run_id, "run_uuid": run_id, "run_name": body.get("run_name") or f"run-{run_id[:8]}",
         "experiment_id": eid, "user_id": body.get("user_id") or "", "status": "RUNNING",
         "start_time": body.get("start_time", now_ms()), "end_time": None,
         "artifact_uri": f"mlflow-artifacts:/{eid}/{run_id}/artifacts", "lifecycle_stage": "active",
         "tags": {t["key"]: t["value"] for t in body.get("tags") or []}, "params": {}, "metrics": []}
    r["tags"].setdefault("mlflow.runName", r["run_name"])
    STATE["runs"][run_id] = r
    return {"run": run_view(r)}


def log_batch(_query, body):
    check_fields(body, {"run_id": ("str", True), "metrics": ("metrics", False), "params": ("params", False),
                        "tags": ("tags", False)}, "LogBatch")
    metrics, params, tags = body.get("metrics") or [], body.get("params") or [], body.get("tags") or []
    if len(metrics) > 1000 or len(params) > 100 or len(tags) > 100 or len(metrics) + len(params) + len(tags) > 1000:
        raise invalid(f"A batch logging request can contain at most 1000 metrics, 100 params, 100 tags and 1000 "
                      f"items in total; got {len(metrics)} metrics, {len(params)} params and {len(tags)} tags")
    r = get_run(body["run_id"])
    for m in metrics:
        check_key(m["key"], "metric")
    for p in params:
        check_key(p["key"], "param")
        if len(p["value"]) > 6000:
            raise invalid(f"Param value for '{p['key']}' exceeded length limit of 6000")
        old = r["params"].get(p["key"])
        if old is not None and old != p["value"]:
            raise invalid(f"Changing param values is not allowed. Param with key='{p['key']}' was already logged "
                          f"with value='{old}' for run ID='{r['run_id']}'. Attempted logging new value "
                          f"'{p['value']}'.")
    check_tags(tags)
    for m in metrics:
        entry = {"key": m["key"], "value": m["value"], "timestamp": m["timestamp"], "step": m.get("step", 0)}
        if entry not in r["metrics"]:  # the SQL store's primary key takes a repeat as the same row
            r["metrics"].append(entry)
    for p in params:
        r["params"][p["key"]] = p["value"]
    for t in tags:
        r["tags"][t["key"]] = t["value"]
    return {}


def update_run(_query, body):
    check_fields(body, {"run_id": ("str", False), "run_uuid": ("str", False), "status": ("str", False),
                        "end_time": ("int64", False), "run_name": ("str", False)}, "UpdateRun")
    run_id = body.get("run_id") or body.get("run_uuid")
    if not run_id:
        raise invalid("Missing value for required parameter 'run_id'.")
    if "status" in body and body["status"] not in RUN_STATUSES:
        raise invalid(f"Invalid value {body['status']!r} for parameter 'status': expected one of "
                      f"{sorted(RUN_STATUSES)}")
    r = get_run(run_id)
    for k in ("status", "end_time", "run_name"):
        if k in body:
            r[k] = body[k]
    return {"run_info": run_view(r)["info"]}


def get_run_route(query, _body):
    ids = query.get("run_id") or query.get("run_uuid")
    if not ids:
        raise invalid("Missing value for required parameter 'run_id'.")
    return {"run": run_view(get_run(ids[0]))}


CLAUSE_RE = re.compile(r"""^\s*(tags|tag|params|param|attributes|attribute|attr|run)\.(`[^`]+`|"[^"]+"|[\w.]+)
                           \s*(=|!=)\s*'([^']*)'\s*$""", re.X)


def parse_filter(text):
    clauses = []
    if not text or not text.strip():
        return clauses
    for part in re.split(r"\s+(?i:and)\s+", text.strip()):
        m = CLAUSE_RE.match(part)
        if not m:
            raise invalid(f"Invalid filter '{text}'. Could not be parsed.")
        entity, key, op, value = m.groups()
        if key[0] in "`\"":
            key = key[1:-1]
        entity = {"tag": "tags", "param": "params", "attribute": "attributes", "attr": "attributes",
                  "run": "attributes"}.get(entity, entity)
        if entity == "attributes" and key not in ("status", "run_name", "run_id"):
            raise invalid(f"Invalid attribute key '{key}' specified.")
        clauses.append((entity, key, op, value))
    return clauses


def matches(r, clauses):
    for entity, key, op, value in clauses:
        if entity == "tags":
            have = r["tags"].get(key)
        elif entity == "params":
            have = r["params"].get(key)
        else:
            have = r[key]
        if (have == value) != (op == "="):
            return False
    return True


def search_runs(_query, body):
    check_fields(body, {"experiment_ids": ("[str]", False), "filter": ("str", False),
                        "run_view_type": ("str", False), "max_results": ("int32", False),
                        "order_by": ("[str]", False), "page_token": ("str", False)}, "SearchRuns")
    view = body.get("run_view_type", "ACTIVE_ONLY")
    if view not in VIEW_TYPES:
        raise invalid(f"Invalid value {view!r} for parameter 'run_view_type'")
    max_results = body.get("max_results", 1000)
    if not 1 <= max_results <= 50000:
        raise invalid(f"Invalid value {max_results} for parameter 'max_results' supplied. It must be at most "
                      f"50000, but got value {max_results}")
    clauses = parse_filter(body.get("filter"))
    ids = body.get("experiment_ids") or []
    for eid in ids:
        if eid not in STATE["experiments"]:
            raise ApiError("RESOURCE_DOES_NOT_EXIST", f"No Experiment with id={eid} exists")
    found = [run_view(r) for r in STATE["runs"].values()
             if r["experiment_id"] in ids and (view != "DELETED_ONLY") and matches(r, clauses)]
    found.sort(key=lambda v: -v["info"]["start_time"])
    # Protobuf JSON leaves out an empty repeated field: nothing found is {}.
    return {"runs": found[:max_results]} if found else {}


ROUTES = {
    ("GET", "experiments/get-by-name"): get_by_name,
    ("POST", "experiments/create"): create_experiment,
    ("POST", "runs/create"): create_run,
    ("POST", "runs/search"): search_runs,
    ("POST", "runs/log-batch"): log_batch,
    ("POST", "runs/update"): update_run,
    ("GET", "runs/get"): get_run_route,
}


def authorized(header):
    if not AUTH["tokens"] and not AUTH["users"]:
        return True
    if header.startswith("Bearer ") and header[7:] in AUTH["tokens"]:
        return True
    if header.startswith("Basic "):
        try:
            pair = base64.b64decode(header[6:], validate=True).decode()
        except ValueError:
            return False
        return pair in AUTH["users"]
    return False


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, code, obj):
        raw = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def error_reply(self, e):
        self.reply(e.status, {"error_code": e.error_code, "message": e.message})

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        if not raw:
            return raw, None
        try:
            return raw, json.loads(raw)
        except ValueError:
            return raw, ValueError

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def handle_any(self, method):
        url = urllib.parse.urlsplit(self.path)
        path, query = url.path, urllib.parse.parse_qs(url.query, keep_blank_values=True)
        raw, body = self.read_body()
        if path.startswith("/_fake/"):
            return self.control(method, path, body)
        with LOCK:
            STATE["requests"].append({
                "method": method, "path": path, "query": url.query,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body if body is not ValueError else raw.decode("utf-8", "replace"),
            })
            fault = self.take_fault(method, path)
        if fault and fault.get("status"):
            code = fault["status"]
            error_code = fault.get("error_code") or next((c for c, s in ERROR_STATUS.items() if s == code),
                                                         "INTERNAL_ERROR")
            return self.reply(code, {"error_code": error_code, "message": fault.get("message", "Injected fault.")})
        try:
            obj = self.dispatch(method, path, query, body)
            if fault and fault.get("delay_after"):
                time.sleep(fault["delay_after"])
            self.reply(200, obj)
        except ApiError as e:
            self.error_reply(e)

    def take_fault(self, method, path):
        for f in STATE["faults"]:
            if f.get("times", 1) == 0:
                continue
            if f.get("method") and f["method"] != method:
                continue
            if f.get("path") and not re.search(f["path"], path):
                continue
            if f.get("times", 1) > 0:
                f["times"] = f.get("times", 1) - 1
            return f
        return None

    def dispatch(self, method, path, query, body):
        if not authorized(self.headers.get("Authorization", "")):
            raise ApiError("UNAUTHENTICATED", "You are not authenticated. Please see "
                           "https://www.mlflow.org/docs/latest/auth/index.html#authenticating-to-mlflow on how to "
                           "authenticate.")
        if not path.startswith(API) or (method, path[len(API):]) not in ROUTES:
            raise ApiError("ENDPOINT_NOT_FOUND", f"No API endpoint found for {method} {path}")
        if method == "POST":
            if body is ValueError:
                raise ApiError("MALFORMED_REQUEST", "Malformed request: the body is not JSON")
            body = {} if body is None else body
        with LOCK:
            return ROUTES[(method, path[len(API):])](query, body)

    def control(self, method, path, body):
        with LOCK:
            if method == "GET" and path == "/_fake/requests":
                return self.reply(200, STATE["requests"])
            if method == "GET" and path == "/_fake/state":
                return self.reply(200, {"experiments": STATE["experiments"], "runs": STATE["runs"]})
            if method == "POST" and path == "/_fake/faults" and isinstance(body, dict):
                if body.get("clear"):
                    STATE["faults"].clear()
                STATE["faults"].extend(body.get("faults", []))
                return self.reply(200, {"faults": len(STATE["faults"])})
            if method == "POST" and path == "/_fake/reset":
                reset_state()
                return self.reply(200, {})
        self.reply(404, {"error_code": "ENDPOINT_NOT_FOUND", "message": "unknown control call"})


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--token", action="append", default=[], help="accepted bearer token (repeatable)")
    ap.add_argument("--user", action="append", default=[], help="accepted basic auth USER:PASSWORD (repeatable)")
    ap.add_argument("--fault", action="append", default=[], help="a fault as JSON (see /_fake/faults)")
    args = ap.parse_args()
    AUTH["tokens"], AUTH["users"] = args.token, args.user
    reset_state()
    STATE["faults"].extend(json.loads(f) for f in args.fault)
    server = http.server.ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    print(f"PORT {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
