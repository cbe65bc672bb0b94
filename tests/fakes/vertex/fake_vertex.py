#!/usr/bin/python3
"""Fake Vertex AI REST v1 server for driftwatch tests (stdlib only, loopback only).

Serves the calls driftwatch makes, with Google's documented URLs, bodies and error shape
{"error": {"code", "message", "status", "details"}}:
  POST /v1/{parent}/pipelineJobs?pipelineJobId=ID   GET /v1/{parent}/pipelineJobs/ID   POST ...:cancel
  GET /v1/{parent}/pipelineJobs?filter=F&pageSize=N&pageToken=T&orderBy=create_time desc
  POST /v1/{parent}/customJobs   GET /v1/{parent}/customJobs?filter=F&pageSize=N&pageToken=T   GET .../customJobs/ID
  POST /v1/{parent}/models:upload   GET /v1/{parent}/models/ID   GET /v1/{parent}/models?filter=labels.k="v"
  GET /v1/{parent}/endpoints/E   POST /v1/{parent}/endpoints/E:deployModel | :undeployModel | :predict
  GET /v1/{operation name}
Jobs move one state per GET: QUEUED -> PENDING -> RUNNING -> SUCCEEDED (or FAILED, see config);
operations are done after `lro_polls` GETs. A second pipelineJobs.create with the same pipelineJobId
is 409 ALREADY_EXISTS.
List filters (AIP-160, as ListPipelineJobsRequest / ListCustomJobsRequest document them): terms joined
by AND (or OR, not both in one filter): labels.k="v" (also unquoted), labels.k:* (key present),
create_time / update_time / end_time with = != < > <= >= and an RFC 3339 value, display_name and
state with = and !=; anything else is 400 INVALID_ARGUMENT. Pages: pageSize (default 100, at most
the `max_page_size` config), pageToken = the previous answer's nextPageToken; an empty result is {}.

Control (no auth), for tests:
  GET  /_fake/requests          every request received (method, path, query, headers, body)
  GET  /_fake/state             jobs, models, endpoints, operations
  POST /_fake/reset             forget everything, config back to defaults
  POST /_fake/config            merge {"tokens": [...], "job_outcome": "SUCCEEDED"|"FAILED", "job_error": {...},
                                "steps_per_state": n, "lro_polls": n, "lro_error": {code, message} | null,
                                "max_page_size": n, "filter_ignores": ["create_time", ...] (fields a
                                filter names that this server then leaves unapplied, as a lax server
                                would: the client must check what it adopts)}
  POST /_fake/pipeline_jobs     add a pipeline job as if created earlier: {"parent", "id", "labels",
                                "displayName", "createTime" (RFC 3339, default now), "state"}
  POST /_fake/faults            {"faults": [{"method", "path" (regex), "times" (default 1, -1 forever),
                                "status", "error_status", "message", "retry_after", "delay", "delay_after",
                                "malformed", "body"}]}
  POST /_fake/endpoints         {"id", "displayName", "deployedModels": [...], "trafficSplit": {...}}
  POST /_fake/models            {"id", "displayName", ...}
A fault answers the next `times` matching requests: with `status` (Google error shape), `malformed`
(a 200 with broken JSON), `delay` (sleep, then handle normally) or `delay_after` (handle, then sleep
before answering: the client times out although the server acted).

Usage: fake_vertex.py [--port 0] [--token T]... [--lro-polls N]; prints "PORT <n>" when listening.
"""
import argparse
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

LOCK = threading.Lock()
ID_COUNTER = itertools.count(1)

DEFAULT_CONFIG = {
    "tokens": [],            # accepted bearer tokens; empty: any non-empty token
    "job_outcome": "SUCCEEDED",
    "job_error": {"code": 13, "message": "The replica workerpool0-0 exited with a non-zero status of 1.",
                  "details": []},
    "steps_per_state": 1,    # GETs a job stays in each state
    "lro_polls": 1,          # GETs before an operation is done (0: done at once)
    "lro_error": None,       # google.rpc.Status for the next operations, or None
    "max_page_size": 100,    # list pages hold at most this many items (a test sets 1 to page)
    "filter_ignores": [],    # filter fields left unapplied: a server that filters less than asked
}

STATE = {}

PARENT_RE = r"/v1/(?P<parent>projects/[^/]+/locations/[^/]+)"
LABEL_KEY_RE = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
LABEL_VALUE_RE = re.compile(r"^[a-z0-9_-]{0,63}$")
PIPELINE_ID_RE = re.compile(r"^[a-z][-a-z0-9]{0,127}$")
JOB_STEPS = ["QUEUED", "PENDING", "RUNNING"]


def reset_state(cfg_overrides=None):
    STATE.clear()
    STATE.update({
        "requests": [], "faults": [], "config": copy.deepcopy(DEFAULT_CONFIG),
        "pipeline_jobs": {}, "custom_jobs": {}, "models": {}, "endpoints": {}, "operations": {},
    })
    if cfg_overrides:
        STATE["config"].update(cfg_overrides)


def now_rfc3339():
    # Microseconds make createTime order the order of creation.
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def next_numeric_id():
    return str(1000000000000000000 + next(ID_COUNTER))


class ApiError(Exception):
    def __init__(self, code, status, message, details=None):
        super().__init__(message)
        self.code, self.status, self.message, self.details = code, status, message, details or []


def bad(message):
    return ApiError(400, "INVALID_ARGUMENT", message)


def check_labels(labels):
    if labels is None:
        return
    if not isinstance(labels, dict):
        raise bad("labels must be a map")
    for k, v in labels.items():
        if not LABEL_KEY_RE.match(k) or not isinstance(v, str) or not LABEL_VALUE_RE.match(v):
            raise bad(f"Invalid label {k!r}: {v!r}. Label keys and values can be no longer than 64 characters, "
                      "can only contain lowercase letters, numeric characters, underscores and dashes.")


# ---- jobs ----

def job_view(job, kind):
    """Advances the job one step per `steps_per_state` GETs, as the real service moves on."""
    cfg = STATE["config"]
    prefix = "PIPELINE_STATE_" if kind == "pipeline" else "JOB_STATE_"
    job["_gets"] += 1
    step = job["_gets"] // max(1, cfg["steps_per_state"])
    if job["_final"] is None and step >= len(JOB_STEPS):
        job["_final"] = cfg["job_outcome"]
        if job["_final"] == "FAILED":
            job["error"] = copy.deepcopy(cfg["job_error"])
        job["endTime"] = now_rfc3339()
    if job["_final"]:
        job["state"] = prefix + job["_final"]
    else:
        job["state"] = prefix + JOB_STEPS[min(step, len(JOB_STEPS) - 1)]
        if step >= 2 and "startTime" not in job:
            job["startTime"] = now_rfc3339()
    job["updateTime"] = now_rfc3339()
    return public(job)


def public(obj):
    return {k: v for k, v in obj.items() if not k.startswith("_")}


def create_pipeline_job(parent, query, body):
    job_id = query.get("pipelineJobId", [None])[0]
    if job_id is None:
        job_id = "pipeline-" + next_numeric_id()
    if not PIPELINE_ID_RE.match(job_id):
        raise bad(f"pipelineJobId {job_id!r} must match [a-z][-a-z0-9]{{0,127}}")
    if not isinstance(body, dict):
        raise bad("Invalid JSON payload received.")
    has_template = "templateUri" in body
    has_spec = "pipelineSpec" in body
    if has_template == has_spec:
        raise bad("Exactly one of templateUri and pipelineSpec must be set.")
    if has_template:
        uri = body["templateUri"]
        if not isinstance(uri, str) or not re.match(r"^https://[a-z0-9-]+-kfp\.pkg\.dev/", uri):
            raise bad(f"templateUri {uri!r} is not an Artifact Registry template URI")
    else:
        spec = body["pipelineSpec"]
        if not isinstance(spec, dict) or "pipelineInfo" not in spec or "root" not in spec:
            raise bad("pipelineSpec must be a compiled PipelineSpec with pipelineInfo and root")
    rc = body.get("runtimeConfig")
    if not isinstance(rc, dict) or not isinstance(rc.get("gcsOutputDirectory"), str) or \
            not rc["gcsOutputDirectory"].startswith("gs://"):
        raise bad("runtimeConfig.gcsOutputDirectory is required (a gs:// URI)")
    if "parameterValues" in rc and not isinstance(rc["parameterValues"], dict):
        raise bad("runtimeConfig.parameterValues must be a map")
    check_labels(body.get("labels"))
    known = {"displayName", "templateUri", "pipelineSpec", "runtimeConfig", "labels", "serviceAccount",
             "network", "encryptionSpec", "reservedIpRanges"}
    unknown = set(body) - known
    if unknown:
        raise bad(f"Invalid JSON payload received. Unknown name {sorted(unknown)[0]!r} at 'pipeline_job'")
    name = f"{parent}/pipelineJobs/{job_id}"
    if name in STATE["pipeline_jobs"]:
        raise ApiError(409, "ALREADY_EXISTS", f"PipelineJob {name} already exists.")
    job = dict(body)
    job.update({"name": name, "state": "PIPELINE_STATE_QUEUED", "createTime": now_rfc3339(),
                "updateTime": now_rfc3339(), "_gets": 0, "_final": None})
    STATE["pipeline_jobs"][name] = job
    return public(job)


def create_custom_job(parent, body):
    if not isinstance(body, dict):
        raise bad("Invalid JSON payload received.")
    if not body.get("displayName"):
        raise bad("CustomJob.display_name is required")
    spec = body.get("jobSpec")
    pools = spec.get("workerPoolSpecs") if isinstance(spec, dict) else None
    if not isinstance(pools, list) or not pools:
        raise bad("CustomJob.job_spec.worker_pool_specs is required")
    for pool in pools:
        mt = (pool.get("machineSpec") or {}).get("machineType")
        image = (pool.get("containerSpec") or {}).get("imageUri")
        if not mt or not image:
            raise bad("workerPoolSpecs need machineSpec.machineType and containerSpec.imageUri")
        rcount = pool.get("replicaCount")
        if not isinstance(rcount, (str, int)) or int(rcount) < 1:
            raise bad("replicaCount must be >= 1")
    check_labels(body.get("labels"))
    name = f"{parent}/customJobs/{next_numeric_id()}"
    job = dict(body)
    job.update({"name": name, "state": "JOB_STATE_QUEUED", "createTime": now_rfc3339(),
                "updateTime": now_rfc3339(), "_gets": 0, "_final": None})
    STATE["custom_jobs"][name] = job
    return public(job)


def parse_time(text, field):
    try:
        t = datetime.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise bad(f"Invalid filter: {field} value {text!r} must be in RFC 3339 format")
    if t.tzinfo is None:
        raise bad(f"Invalid filter: {field} value {text!r} must be in RFC 3339 format")
    return t


TERM_RE = re.compile(r'\s*(?P<field>[a-z_]+(?:\.[a-z][a-z0-9_-]*)?)\s*(?P<op>!=|<=|>=|=|<|>|:)\s*'
                     r'(?P<value>"[^"]*"|[^\s"]+)\s*')
TIME_FIELDS = {"create_time": "createTime", "update_time": "updateTime", "end_time": "endTime"}
OPS = {"=": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b, ">": lambda a, b: a > b,
       "<=": lambda a, b: a <= b, ">=": lambda a, b: a >= b}


def term_predicate(text):
    """One AIP-160 comparison as a predicate on a stored object."""
    m = TERM_RE.fullmatch(text)
    if not m:
        raise bad(f"Unsupported filter term {text.strip()!r}")
    field, op, value = m.group("field"), m.group("op"), m.group("value")
    if value.startswith('"'):
        value = value[1:-1]
    if field.startswith("labels."):
        key = field[len("labels."):]
        if op == ":" and value == "*":
            return lambda j: key in (j.get("labels") or {})
        if op in ("=", "!="):
            return lambda j: OPS[op]((j.get("labels") or {}).get(key), value)
        raise bad(f"Unsupported operator {op!r} on labels")
    if field in TIME_FIELDS:
        if op == ":":
            raise bad(f"Unsupported operator ':' on {field}")
        want = parse_time(value, field)
        attr = TIME_FIELDS[field]
        return lambda j: attr in j and OPS[op](parse_time(j[attr], attr), want)
    if field in ("display_name", "state") and op in ("=", "!="):
        attr = "displayName" if field == "display_name" else "state"
        return lambda j: OPS[op](j.get(attr), value)
    raise bad(f"Unsupported filter field {field!r}")


def apply_filter(items, query):
    """The `filter` query parameter: comparisons joined by AND, or by OR."""
    flt = query.get("filter", [""])[0].strip()
    if not flt:
        return items
    has_and, has_or = re.search(r"\sAND\s", flt), re.search(r"\sOR\s", flt)
    if has_and and has_or:
        raise bad(f"Unsupported filter {flt!r}: AND and OR mixed")
    ignored = STATE["config"]["filter_ignores"]
    terms = [term_predicate(t) for t in re.split(r"\s(?:AND|OR)\s", flt)
             if TERM_RE.fullmatch(t) is None or TERM_RE.fullmatch(t).group("field") not in ignored]
    combine = any if has_or else all
    return [j for j in items if combine(t(j) for t in terms)]


# Kept for the models list: the same filter language.
label_filter = apply_filter


def list_page(items, query, key):
    """One page of a list answer: pageSize (capped by max_page_size), pageToken = an offset."""
    cap = STATE["config"]["max_page_size"]
    try:
        size = int(query.get("pageSize", ["0"])[0] or 0)
        start = int(query.get("pageToken", ["0"])[0] or 0)
    except ValueError:
        raise bad("pageSize and pageToken must be the values this server gave")
    size = cap if size <= 0 else min(size, cap)
    page = items[start:start + size]
    out = {}
    if page:
        out[key] = [public(j) for j in page]
    if start + size < len(items):
        out["nextPageToken"] = str(start + size)
    return out


def order(items, query):
    by = query.get("orderBy", [""])[0].strip()
    if not by:
        return items
    m = re.fullmatch(r"(create_time|update_time|end_time)(\s+(asc|desc))?", by)
    if not m:
        raise bad(f"Unsupported orderBy {by!r}")
    attr = TIME_FIELDS[m.group(1)]
    return sorted(items, key=lambda j: parse_time(j.get(attr, "1970-01-01T00:00:00Z"), attr),
                  reverse=m.group(3) == "desc")


def list_custom_jobs(parent, query):
    jobs = apply_filter([j for n, j in STATE["custom_jobs"].items() if n.startswith(parent + "/")], query)
    return list_page(jobs, query, "customJobs")


def list_pipeline_jobs(parent, query):
    jobs = apply_filter([j for n, j in STATE["pipeline_jobs"].items() if n.startswith(parent + "/")], query)
    return list_page(order(jobs, query), query, "pipelineJobs")


def cancel_job(table, name, kind):
    job = table.get(name)
    if not job:
        raise ApiError(404, "NOT_FOUND", f"{name} not found")
    job["_final"] = "CANCELLED"
    return {}


# ---- operations, models, endpoints ----

def new_operation(resource, response, apply=None):
    """An Operation that is done after `lro_polls` GETs; `apply` runs when it succeeds."""
    cfg = STATE["config"]
    name = f"{resource}/operations/{next_numeric_id()}"
    op = {"name": name, "metadata": {"@type": "type.googleapis.com/google.cloud.aiplatform.v1.GenericOperationMetadata",
                                     "genericMetadata": {"createTime": now_rfc3339()}},
          "done": False, "_polls_left": cfg["lro_polls"], "_response": response, "_error": cfg["lro_error"],
          "_apply": apply}
    STATE["operations"][name] = op
    finish_if_due(op)
    return public(op)


def finish_if_due(op):
    if op["done"] or op["_polls_left"] > 0:
        return
    op["done"] = True
    if op["_error"]:
        op["error"] = {"code": op["_error"].get("code", 13), "message": op["_error"].get("message", "internal"),
                       "details": op["_error"].get("details", [])}
    else:
        if op["_apply"]:
            op["_apply"]()
        op["response"] = op["_response"]


def get_operation(name):
    op = STATE["operations"].get(name)
    if not op:
        raise ApiError(404, "NOT_FOUND", f"Operation {name} not found")
    if not op["done"]:
        op["_polls_left"] -= 1
        finish_if_due(op)
    return public(op)


def model_exists(ref):
    base = ref.split("@", 1)[0]
    return base in STATE["models"]


def upload_model(parent, body):
    model = body.get("model") if isinstance(body, dict) else None
    if not isinstance(model, dict) or not model.get("displayName"):
        raise bad("model.display_name is required")
    cs = model.get("containerSpec")
    if not isinstance(cs, dict) or not cs.get("imageUri"):
        raise bad("model.container_spec.image_uri is required")
    for p in cs.get("ports", []):
        if not isinstance(p.get("containerPort"), int):
            raise bad("ports[].containerPort must be an integer")
    parent_model = body.get("parentModel")
    if parent_model:
        if parent_model not in STATE["models"]:
            raise ApiError(404, "NOT_FOUND", f"Parent model {parent_model} not found")
        name = parent_model
        version = str(int(STATE["models"][name]["versionId"]) + 1)
    else:
        mid = body.get("modelId") or next_numeric_id()
        name = f"{parent}/models/{mid}"
        if name in STATE["models"]:
            raise ApiError(409, "ALREADY_EXISTS", f"Model {name} already exists")
        version = "1"

    def apply():
        entry = dict(model)
        entry.update({"name": name, "versionId": version, "createTime": now_rfc3339()})
        STATE["models"][name] = entry

    response = {"@type": "type.googleapis.com/google.cloud.aiplatform.v1.UploadModelResponse",
                "model": name, "modelVersionId": version}
    return new_operation(name if parent_model else parent, response, apply)


def get_endpoint(name):
    ep = STATE["endpoints"].get(name)
    if not ep:
        raise ApiError(404, "NOT_FOUND", f"Endpoint {name} not found.")
    return ep


def check_split(split, allowed, needs_100=True):
    if not isinstance(split, dict):
        raise bad("traffic_split must be a map")
    total = 0
    for k, v in split.items():
        if k not in allowed:
            raise bad(f"traffic_split names {k}, which is not deployed on the endpoint")
        if not isinstance(v, int) or v < 0:
            raise bad("traffic_split values must be non-negative integers")
        total += v
    if needs_100 and total != 100:
        raise bad(f"The sum of traffic split must be 100, got {total}.")


def deploy_model(name, body):
    ep = get_endpoint(name)
    dm = body.get("deployedModel") if isinstance(body, dict) else None
    if not isinstance(dm, dict) or not dm.get("model"):
        raise bad("deployed_model.model is required")
    if not model_exists(dm["model"]):
        raise ApiError(404, "NOT_FOUND", f"Model {dm['model']} not found")
    res = dm.get("dedicatedResources")
    if not isinstance(res, dict) or not (res.get("machineSpec") or {}).get("machineType") or \
            not isinstance(res.get("minReplicaCount"), int) or res["minReplicaCount"] < 1:
        raise bad("dedicated_resources with machine_spec.machine_type and min_replica_count >= 1 is required")
    existing = {d["id"] for d in ep["deployedModels"]}
    split = body.get("trafficSplit")
    if split is not None:
        check_split(split, existing | {"0"})
    # 19 digits above INT64_MAX (9223372036854775807), as Vertex's deployed model ids can be: a client
    # that reads them as int64 or double gets them wrong.
    new_id = str(next(ID_COUNTER) + 9300000000000000000)
    deployed = dict(dm)
    deployed.update({"id": new_id, "createTime": now_rfc3339()})

    def apply():
        ep["deployedModels"].append(deployed)
        if split is not None:
            ep["trafficSplit"] = {(new_id if k == "0" else k): v for k, v in split.items()}
        elif not existing:
            ep["trafficSplit"] = {new_id: 100}

    response = {"@type": "type.googleapis.com/google.cloud.aiplatform.v1.DeployModelResponse",
                "deployedModel": {"id": new_id, "model": dm["model"], "displayName": dm.get("displayName", "")}}
    return new_operation(name, response, apply)


def undeploy_model(name, body):
    ep = get_endpoint(name)
    dmid = body.get("deployedModelId") if isinstance(body, dict) else None
    ids = {d["id"] for d in ep["deployedModels"]}
    if dmid not in ids:
        raise ApiError(404, "NOT_FOUND", f"Deployed model {dmid} not found on {name}.")
    remaining = ids - {dmid}
    split = body.get("trafficSplit")
    if split is not None:
        extra = {k: v for k, v in split.items() if k == dmid}
        if any(v for v in extra.values()):
            raise bad("traffic_split must not give traffic to the model being undeployed")
        rest = {k: v for k, v in split.items() if k != dmid}
        check_split(rest, remaining, needs_100=bool(remaining))
    elif ep["trafficSplit"].get(dmid, 0) > 0 and remaining:
        raise ApiError(400, "FAILED_PRECONDITION",
                       f"Model {dmid} receives traffic; undeploying it needs a traffic_split for the others.")

    def apply():
        ep["deployedModels"] = [d for d in ep["deployedModels"] if d["id"] != dmid]
        if split is not None:
            ep["trafficSplit"] = {k: v for k, v in split.items() if k != dmid}
        else:
            ep["trafficSplit"].pop(dmid, None)

    response = {"@type": "type.googleapis.com/google.cloud.aiplatform.v1.UndeployModelResponse"}
    return new_operation(name, response, apply)


def endpoint_view(ep):
    return public(ep)


# ---- HTTP ----

ROUTES = []


def route(method, pattern):
    def deco(fn):
        ROUTES.append((method, re.compile(pattern + r"$"), fn))
        return fn
    return deco


@route("POST", PARENT_RE + r"/pipelineJobs")
def r_pipeline_create(m, query, body):
    return 200, create_pipeline_job(m["parent"], query, body)


@route("GET", PARENT_RE + r"/pipelineJobs")
def r_pipeline_list(m, query, body):
    return 200, list_pipeline_jobs(m["parent"], query)


@route("GET", PARENT_RE + r"/pipelineJobs/(?P<id>[^/:]+)")
def r_pipeline_get(m, query, body):
    name = f"{m['parent']}/pipelineJobs/{m['id']}"
    job = STATE["pipeline_jobs"].get(name)
    if not job:
        raise ApiError(404, "NOT_FOUND", f"PipelineJob {name} not found.")
    return 200, job_view(job, "pipeline")


@route("POST", PARENT_RE + r"/pipelineJobs/(?P<id>[^/:]+):cancel")
def r_pipeline_cancel(m, query, body):
    return 200, cancel_job(STATE["pipeline_jobs"], f"{m['parent']}/pipelineJobs/{m['id']}", "pipeline")


@route("POST", PARENT_RE + r"/customJobs")
def r_custom_create(m, query, body):
    return 200, create_custom_job(m["parent"], body)


@route("GET", PARENT_RE + r"/customJobs")
def r_custom_list(m, query, body):
    return 200, list_custom_jobs(m["parent"], query)


@route("GET", PARENT_RE + r"/customJobs/(?P<id>[^/:]+)")
def r_custom_get(m, query, body):
    name = f"{m['parent']}/customJobs/{m['id']}"
    job = STATE["custom_jobs"].get(name)
    if not job:
        raise ApiError(404, "NOT_FOUND", f"CustomJob {name} not found.")
    return 200, job_view(job, "custom")


@route("POST", PARENT_RE + r"/customJobs/(?P<id>[^/:]+):cancel")
def r_custom_cancel(m, query, body):
    return 200, cancel_job(STATE["custom_jobs"], f"{m['parent']}/customJobs/{m['id']}", "custom")


@route("POST", PARENT_RE + r"/models:upload")
def r_upload(m, query, body):
    return 200, upload_model(m["parent"], body)


@route("GET", PARENT_RE + r"/models")
def r_model_list(m, query, body):
    models = label_filter([x for n, x in STATE["models"].items() if n.startswith(m["parent"] + "/")], query)
    return 200, {"models": models} if models else {}


@route("GET", PARENT_RE + r"/models/(?P<id>[^/:@]+)")
def r_model_get(m, query, body):
    name = f"{m['parent']}/models/{m['id']}"
    if name not in STATE["models"]:
        raise ApiError(404, "NOT_FOUND", f"Model {name} not found.")
    return 200, STATE["models"][name]


@route("GET", PARENT_RE + r"/endpoints/(?P<id>[^/:]+)")
def r_endpoint_get(m, query, body):
    return 200, endpoint_view(get_endpoint(f"{m['parent']}/endpoints/{m['id']}"))


@route("POST", PARENT_RE + r"/endpoints/(?P<id>[^/:]+):deployModel")
def r_deploy(m, query, body):
    return 200, deploy_model(f"{m['parent']}/endpoints/{m['id']}", body)


@route("POST", PARENT_RE + r"/endpoints/(?P<id>[^/:]+):undeployModel")
def r_undeploy(m, query, body):
    return 200, undeploy_model(f"{m['parent']}/endpoints/{m['id']}", body)


@route("POST", PARENT_RE + r"/endpoints/(?P<id>[^/:]+):predict")
def r_predict(m, query, body):
    ep = get_endpoint(f"{m['parent']}/endpoints/{m['id']}")
    if not ep["deployedModels"]:
        raise ApiError(400, "FAILED_PRECONDITION", "No model is deployed on the endpoint.")
    instances = body.get("instances") if isinstance(body, dict) else None
    if not isinstance(instances, list):
        raise bad("instances must be a list")
    best = max(ep["trafficSplit"].items(), key=lambda kv: kv[1])[0] if ep["trafficSplit"] else \
        ep["deployedModels"][0]["id"]
    return 200, {"predictions": [0 for _ in instances], "deployedModelId": best}


@route("GET", r"/v1/(?P<name>projects/.+/operations/[^/]+)")
def r_operation(m, query, body):
    return 200, get_operation(m["name"])


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-vertex/1"

    def log_message(self, fmt, *args):  # quiet: tests grep stderr of the code under test
        pass

    def reply(self, code, obj=None, raw=None, headers=None):
        data = raw if raw is not None else json.dumps(obj if obj is not None else {}).encode()
        try:
            self.send_response(code)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def error_reply(self, e, headers=None):
        self.reply(e.code, {"error": {"code": e.code, "message": e.message, "status": e.status,
                                      "details": e.details}}, headers=headers)

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

    def do_DELETE(self):
        self.handle_any("DELETE")

    def do_PATCH(self):
        self.handle_any("PATCH")

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
        if fault and fault.get("delay"):
            time.sleep(fault["delay"])
        if fault and fault.get("status"):
            code = fault["status"]
            headers = {"Retry-After": str(fault["retry_after"])} if "retry_after" in fault else None
            if "body" in fault:
                return self.reply(code, raw=fault["body"].encode(), headers=headers)
            names = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
                     409: "ALREADY_EXISTS", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 502: "UNAVAILABLE",
                     503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}
            return self.error_reply(ApiError(code, fault.get("error_status", names.get(code, "UNKNOWN")),
                                             fault.get("message", "Injected fault.")), headers)
        if fault and fault.get("malformed"):
            return self.reply(200, raw=b'{"name": "projects/p/locations/l/pipelineJobs/x", "state": ')
        try:
            code, obj = self.dispatch(method, path, query, body)
            if fault and fault.get("delay_after"):
                time.sleep(fault["delay_after"])
            self.reply(code, obj)
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
        if body is ValueError:
            raise bad("Invalid JSON payload received.")
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or not auth[7:]:
            raise ApiError(401, "UNAUTHENTICATED", "Request is missing required authentication credential. "
                           "Expected OAuth 2 access token, login cookie or other valid authentication credential.")
        with LOCK:
            tokens = STATE["config"]["tokens"]
            if tokens and auth[7:] not in tokens:
                raise ApiError(401, "UNAUTHENTICATED", "Request had invalid authentication credentials. "
                               "Expected OAuth 2 access token, login cookie or other valid authentication credential.")
            for m_, pattern, fn in ROUTES:
                if m_ != method:
                    continue
                m = pattern.match(path)
                if m:
                    return fn(m, query, body if body is not None else {})
        raise ApiError(404, "NOT_FOUND", f"The requested URL {path} was not found on this server.")

    def control(self, method, path, body):
        with LOCK:
            if method == "GET" and path == "/_fake/requests":
                return self.reply(200, STATE["requests"])
            if method == "GET" and path == "/_fake/state":
                return self.reply(200, {
                    "pipeline_jobs": {k: public(v) for k, v in STATE["pipeline_jobs"].items()},
                    "custom_jobs": {k: public(v) for k, v in STATE["custom_jobs"].items()},
                    "models": STATE["models"],
                    "endpoints": {k: public(v) for k, v in STATE["endpoints"].items()},
                    "operations": {k: public(v) for k, v in STATE["operations"].items()},
                })
            if method == "POST" and path == "/_fake/reset":
                reset_state(ARGS_CONFIG)
                return self.reply(200, {})
            if method == "POST" and path == "/_fake/config" and isinstance(body, dict):
                STATE["config"].update(body)
                return self.reply(200, STATE["config"])
            if method == "POST" and path == "/_fake/faults" and isinstance(body, dict):
                STATE["faults"].extend(body.get("faults", []))
                return self.reply(200, {"faults": len(STATE["faults"])})
            if method == "POST" and path == "/_fake/endpoints" and isinstance(body, dict):
                parent = body.get("parent", "projects/p/locations/l")
                name = f"{parent}/endpoints/{body['id']}"
                ep = {"name": name, "displayName": body.get("displayName", body["id"]),
                      "deployedModels": body.get("deployedModels", []),
                      "trafficSplit": body.get("trafficSplit", {}), "createTime": now_rfc3339()}
                STATE["endpoints"][name] = ep
                return self.reply(200, ep)
            if method == "POST" and path == "/_fake/pipeline_jobs" and isinstance(body, dict):
                parent = body.get("parent", "projects/p/locations/l")
                name = f"{parent}/pipelineJobs/{body['id']}"
                job = {"name": name, "displayName": body.get("displayName", body["id"]),
                       "labels": body.get("labels", {}), "state": body.get("state", "PIPELINE_STATE_RUNNING"),
                       "createTime": body.get("createTime", now_rfc3339()), "updateTime": now_rfc3339(),
                       "_gets": 0, "_final": None}
                STATE["pipeline_jobs"][name] = job
                return self.reply(200, public(job))
            if method == "POST" and path == "/_fake/models" and isinstance(body, dict):
                parent = body.get("parent", "projects/p/locations/l")
                name = f"{parent}/models/{body['id']}"
                entry = {"name": name, "displayName": body.get("displayName", body["id"]), "versionId": "1"}
                STATE["models"][name] = entry
                return self.reply(200, entry)
        self.reply(404, {"error": {"code": 404, "message": "unknown control call", "status": "NOT_FOUND"}})


ARGS_CONFIG = {}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--token", action="append", default=[], help="accepted bearer token (repeatable)")
    ap.add_argument("--lro-polls", type=int, default=None)
    ap.add_argument("--fault", action="append", default=[], help="a fault as JSON (see /_fake/faults)")
    args = ap.parse_args()
    if args.token:
        ARGS_CONFIG["tokens"] = args.token
    if args.lro_polls is not None:
        ARGS_CONFIG["lro_polls"] = args.lro_polls
    reset_state(ARGS_CONFIG)
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
