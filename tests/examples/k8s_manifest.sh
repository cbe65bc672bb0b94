#!/usr/bin/env bash
# examples/k8s/sidecar.yaml is valid YAML (PyYAML; python3-yaml is a setup package, so it must exist)
# and its objects fit together the way the comments say: the Service reaches the proxy, the proxy
# reaches the model server, probes and scrape annotations hit the agent's listen port, every
# mount has its volume, the Secret and ConfigMap names match, requests/limits and the
# non-root, read-only security context are set. No cluster is needed (kubectl would want one).
source "$DW_SRC/tests/lib.sh"
source "$DW_SRC/tests/examples/examples_lib.sh"
F="$EX/k8s/sidecar.yaml"

"$PYTHON3" -c 'import yaml' 2>/dev/null || fail "PyYAML missing: install the Debian package python3-yaml (bash scripts/setup-debian.sh)"

"$PYTHON3" - "$F" <<'PY'
import sys
import yaml

path = sys.argv[1]
errors = []


def check(cond, what):
    if not cond:
        errors.append(what)


docs = [d for d in yaml.safe_load_all(open(path)) if d is not None]
by_kind = {}
for d in docs:
    check({"apiVersion", "kind", "metadata"} <= d.keys(), f"object without apiVersion/kind/metadata: {d}")
    by_kind.setdefault(d["kind"], []).append(d)
for kind in ("Secret", "ConfigMap", "Deployment", "Service", "PodMonitor"):
    check(len(by_kind.get(kind, [])) == 1, f"expected one {kind}")
if errors:
    sys.exit("\n".join(errors))

secret, cm = by_kind["Secret"][0], by_kind["ConfigMap"][0]
dep, svc, pm = by_kind["Deployment"][0], by_kind["Service"][0], by_kind["PodMonitor"][0]
dw_cfg = yaml.safe_load(cm["data"]["driftwatch.yaml"])
agent = dw_cfg["agent"]
api_port = int(agent["listen"].rsplit(":", 1)[1])
proxy = [p for p in dw_cfg["models"][0]["probes"] if p["plugin"] == "proxy"][0]
proxy_port = int(proxy["listen"].rsplit(":", 1)[1])
check(agent["listen"].startswith("0.0.0.0:"), "the agent must listen on the pod IP for probes and scrapes")
check(proxy["listen"].startswith("0.0.0.0:"), "the proxy must listen on the pod IP for the Service")
check(agent.get("auth_token") == "${DRIFTWATCH_TOKEN}", "auth_token should come from $DRIFTWATCH_TOKEN")

tmpl = dep["spec"]["template"]
pod = tmpl["spec"]
check(dep["spec"]["selector"]["matchLabels"].items() <= tmpl["metadata"]["labels"].items(),
      "the Deployment's selector does not match its pod labels")
containers = {c["name"]: c for c in pod["containers"]}
check(set(containers) == {"model-server", "driftwatch"}, f"containers: {sorted(containers)}")
dw, ms = containers["driftwatch"], containers["model-server"]

def ports(c):
    return {p["name"]: p["containerPort"] for p in c.get("ports", [])}

dw_ports, ms_ports = ports(dw), ports(ms)
check(dw_ports.get("proxy") == proxy_port == 8081, f"proxy port: container {dw_ports.get('proxy')}, config {proxy_port}")
check(dw_ports.get("metrics") == api_port == 9464, f"metrics port: container {dw_ports.get('metrics')}, config {api_port}")
upstream_port = int(proxy["upstream"].rsplit(":", 1)[1].split("/")[0])
check(proxy["upstream"].startswith("http://127.0.0.1:"), "the proxy's upstream is the model server in the same pod")
check(upstream_port in ms_ports.values() and upstream_port == 8080, f"upstream port {upstream_port} vs model server {ms_ports}")

# The Service sends traffic to the proxy, not to the model server.
svc_target = svc["spec"]["ports"][0]["targetPort"]
check(svc_target in ("proxy", proxy_port), f"Service targetPort {svc_target} is not the proxy")
check(svc["spec"]["selector"].items() <= tmpl["metadata"]["labels"].items(), "the Service selects no pod")

# Probes: liveness /healthz, readiness /readyz on the agent's port.
def probe_port(p):
    port = p["httpGet"]["port"]
    return dw_ports.get(port, port)

check(dw["livenessProbe"]["httpGet"]["path"] == "/healthz", "liveness is not /healthz")
check(dw["readinessProbe"]["httpGet"]["path"] == "/readyz", "readiness is not /readyz")
check(probe_port(dw["livenessProbe"]) == api_port and probe_port(dw["readinessProbe"]) == api_port,
      "probes do not hit the agent's listen port")

# Scraping: annotations and the PodMonitor.
ann = tmpl["metadata"]["annotations"]
check(ann.get("prometheus.io/scrape") == "true", "prometheus.io/scrape is not \"true\" (a string)")
check(int(ann.get("prometheus.io/port", 0)) == api_port, "prometheus.io/port is not the agent's port")
check(ann.get("prometheus.io/path") == "/metrics", "prometheus.io/path")
check(pm["apiVersion"] == "monitoring.coreos.com/v1", "PodMonitor apiVersion")
check(pm["spec"]["selector"]["matchLabels"].items() <= tmpl["metadata"]["labels"].items(), "the PodMonitor selects no pod")
check(pm["spec"]["podMetricsEndpoints"][0]["port"] == "metrics", "the PodMonitor does not scrape the metrics port")

# Secret and ConfigMap wiring.
env = {e["name"]: e for e in dw.get("env", [])}
ref = env["DRIFTWATCH_TOKEN"]["valueFrom"]["secretKeyRef"]
check(ref["name"] == secret["metadata"]["name"], "the token's secretKeyRef names another Secret")
check(ref["key"] in secret.get("stringData", {}) or ref["key"] in secret.get("data", {}), "the Secret lacks the token key")
volumes = {v["name"]: v for v in pod["volumes"]}
for c in list(pod["containers"]) + list(pod.get("initContainers", [])):
    for m in c.get("volumeMounts", []):
        check(m["name"] in volumes, f"{c['name']} mounts undeclared volume {m['name']}")
check(volumes["config"]["configMap"]["name"] == cm["metadata"]["name"], "the config volume names another ConfigMap")
mounts = {m["mountPath"]: m for m in dw["volumeMounts"]}
check(any(path == "/etc/driftwatch/driftwatch.yaml" or path == "/etc/driftwatch" for path in mounts),
      "driftwatch.yaml is not mounted where args expect it")
check(dw["args"][-1] in mounts or any(dw["args"][-1].startswith(p) for p in mounts), "the -c path is not mounted")
baseline = dw_cfg["models"][0]["baseline"]
check(any(baseline.startswith(p + "/") for p in mounts), f"baseline {baseline} is not on a mounted volume")
state_dir = agent["state_dir"]
state_mount = [p for p in mounts if state_dir.startswith(p + "/") or state_dir == p]
check(state_mount and not mounts[state_mount[0]].get("readOnly"), f"state_dir {state_dir} is not on a writable volume")
init = {c["name"]: c for c in pod.get("initContainers", [])}
check(any(m["name"] == mounts[p]["name"] for c in init.values() for m in c.get("volumeMounts", [])
          for p in mounts if baseline.startswith(p + "/")), "no initContainer fills the baseline volume")

# Resources and security.
res = dw["resources"]
def mib(q):
    units = {"Ki": 1 / 1024, "Mi": 1, "Gi": 1024}
    for u, f in units.items():
        if q.endswith(u):
            return float(q[:-len(u)]) * f
    return float(q) / (1 << 20)

check(mib(res["requests"]["memory"]) <= 32, "the sidecar's memory request exceeds the 32 MB RSS target")
check("memory" in res["limits"] and "cpu" in res["requests"], "requests/limits incomplete")
psc = pod.get("securityContext", {})
for name, c in containers.items():
    sc = c.get("securityContext", {})
    check(sc.get("runAsNonRoot", psc.get("runAsNonRoot")) is True, f"{name}: runAsNonRoot")
    check(sc.get("readOnlyRootFilesystem") is True, f"{name}: readOnlyRootFilesystem")
    check(sc.get("allowPrivilegeEscalation") is False, f"{name}: allowPrivilegeEscalation")
    check("resources" in c and "limits" in c["resources"], f"{name}: no resource limits")

if errors:
    sys.exit("examples/k8s/sidecar.yaml:\n  " + "\n  ".join(errors))
print("ok: %d objects: %s" % (len(docs), ", ".join(d["kind"] for d in docs)))
PY
echo "PASS: examples/k8s/sidecar.yaml"
