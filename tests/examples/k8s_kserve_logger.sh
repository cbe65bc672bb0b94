#!/usr/bin/env bash
# examples/k8s/kserve-logger.yaml is valid YAML (PyYAML) and its objects fit together: the
# InferenceService's logger (mode all) posts to the driftwatch Service's port and to the route of a
# model that has a kserve probe, the Service reaches the agent's listen port, the agent takes
# unauthenticated POSTs (KServe's logger sends no token) from one replica, the NetworkPolicy admits
# the InferenceService's pods, and the ConfigMap's driftwatch.yaml passes `driftwatch validate`.
source "$DW_SRC/tests/lib.sh"
source "$DW_SRC/tests/examples/examples_lib.sh"
F="$EX/k8s/kserve-logger.yaml"
make_root

"$PYTHON3" -c 'import yaml' 2>/dev/null || fail "PyYAML missing: install the Debian package python3-yaml (bash scripts/setup-debian.sh)"

"$PYTHON3" - "$F" "$TMP/configmap.yaml" <<'PY'
import sys
from urllib.parse import urlsplit
import yaml

path, out = sys.argv[1], sys.argv[2]
errors = []


def check(cond, what):
    if not cond:
        errors.append(what)


docs = [d for d in yaml.safe_load_all(open(path)) if d is not None]
by_kind = {}
for d in docs:
    check({"apiVersion", "kind", "metadata"} <= d.keys(), f"object without apiVersion/kind/metadata: {d}")
    by_kind.setdefault(d["kind"], []).append(d)
for kind in ("ConfigMap", "Deployment", "Service", "NetworkPolicy", "InferenceService"):
    check(len(by_kind.get(kind, [])) == 1, f"expected one {kind}")
if errors:
    sys.exit("\n".join(errors))
cm, dep, svc = by_kind["ConfigMap"][0], by_kind["Deployment"][0], by_kind["Service"][0]
np, isvc = by_kind["NetworkPolicy"][0], by_kind["InferenceService"][0]
text = cm["data"]["driftwatch.yaml"]
open(out, "w").write(text)
dw_cfg = yaml.safe_load(text)
agent = dw_cfg["agent"]
api_port = int(agent["listen"].rsplit(":", 1)[1])
check(agent["listen"].startswith("0.0.0.0:"), "the agent must listen on the pod IP")
check("auth_token" not in agent, "KServe's logger sends no Authorization header: an auth_token refuses its POSTs")

check(isvc["apiVersion"] == "serving.kserve.io/v1beta1", "InferenceService apiVersion")
logger = isvc["spec"]["predictor"]["logger"]
check(logger["mode"] == "all", "the logger must send requests and responses (mode: all)")
url = urlsplit(logger["url"])
host = url.hostname.split(".")
check(host[0] == svc["metadata"]["name"], f"the logger posts to {url.hostname}, not the Service {svc['metadata']['name']}")
svc_port = [p for p in svc["spec"]["ports"] if p["port"] == url.port]
check(len(svc_port) == 1, f"the Service has no port {url.port}")
parts = url.path.strip("/").split("/")
check(len(parts) == 4 and parts[:2] == ["v1", "models"] and parts[3] == "cloudevents", f"logger path {url.path}")
model = parts[2] if len(parts) == 4 else None
probes = [p for m in dw_cfg["models"] for p in m.get("probes", []) if p["plugin"] == "kserve"]
check(any(p["model"] == model for p in probes), f"no kserve probe for model {model}")
check(model in [m["name"] for m in dw_cfg["models"]], f"no model {model}")

pod = dep["spec"]["template"]
check(dep["spec"]["replicas"] == 1, "one replica: both halves of a call must reach the same agent")
check(dep["spec"]["selector"]["matchLabels"].items() <= pod["metadata"]["labels"].items(), "the Deployment selects no pod")
check(svc["spec"]["selector"].items() <= pod["metadata"]["labels"].items(), "the Service selects no pod")
dw = pod["spec"]["containers"][0]
ports = {p["name"]: p["containerPort"] for p in dw["ports"]}
if svc_port:
    target = svc_port[0]["targetPort"]
    check(ports.get(target, target) == api_port, f"the Service's targetPort {target} is not the agent's port {api_port}")
check(dw["readinessProbe"]["httpGet"]["path"] == "/readyz", "readiness is not /readyz")
volumes = {v["name"] for v in pod["spec"]["volumes"]}
for c in pod["spec"]["containers"] + pod["spec"].get("initContainers", []):
    for m in c.get("volumeMounts", []):
        check(m["name"] in volumes, f"{c['name']} mounts undeclared volume {m['name']}")
    sc = c.get("securityContext", {})
    check(sc.get("readOnlyRootFilesystem") is True and sc.get("allowPrivilegeEscalation") is False,
          f"{c['name']}: securityContext")

check(np["spec"]["podSelector"]["matchLabels"].items() <= pod["metadata"]["labels"].items(),
      "the NetworkPolicy does not select the agent")
froms = [f for rule in np["spec"]["ingress"] for f in rule["from"]]
check(any(f.get("podSelector", {}).get("matchLabels", {}).get("serving.kserve.io/inferenceservice")
          == isvc["metadata"]["name"] for f in froms), "the NetworkPolicy does not admit the InferenceService's pods")
check(all(p["port"] == api_port for rule in np["spec"]["ingress"] for p in rule["ports"]), "NetworkPolicy port")

if errors:
    sys.exit("examples/k8s/kserve-logger.yaml:\n  " + "\n  ".join(errors))
print("ok: %d objects: %s" % (len(docs), ", ".join(d["kind"] for d in docs)))
PY
[ $? -eq 0 ] || fail "examples/k8s/kserve-logger.yaml"

localize "$TMP/configmap.yaml" "$TMP/driftwatch.yaml"
"$DW_BIN" validate -c "$TMP/driftwatch.yaml" >"$TMP/validate.txt" 2>&1 ||
    { cat "$TMP/validate.txt" >&2; fail "the ConfigMap's driftwatch.yaml does not validate"; }
expect_contains "$TMP/validate.txt" ": ok ("
echo "PASS: examples/k8s/kserve-logger.yaml"
