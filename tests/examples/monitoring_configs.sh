#!/usr/bin/env bash
# examples/prometheus and examples/alertmanager: `promtool check config` accepts prometheus.yml
# with its rule_files pointing at this tree's dashboards/rules/driftwatch-rules.yml (so the rules
# load too), and prometheus-kubernetes.yml where this promtool has Kubernetes discovery (Debian's
# does not); `amtool check-config` accepts alertmanager.yml and `amtool config routes test` shows
# the routing its comments describe; every alert name it routes on exists. promtool and amtool
# are setup packages: missing, the test fails.
source "$DW_SRC/tests/lib.sh"
source "$DW_SRC/tests/examples/examples_lib.sh"
RULES="$DW_SRC/dashboards/rules/driftwatch-rules.yml"
need_tool promtool prometheus
need_tool amtool prometheus-alertmanager

sed "s#/usr/local/share/driftwatch/dashboards/rules/#$DW_SRC/dashboards/rules/#" \
    "$EX/prometheus/prometheus.yml" >"$TMP/prometheus.yml"
grep -qF "$RULES" "$TMP/prometheus.yml" || fail "prometheus.yml does not load driftwatch-rules.yml"
promtool check config "$TMP/prometheus.yml" >"$TMP/promtool.txt" 2>&1 || {
    cat "$TMP/promtool.txt" >&2
    fail "promtool check config rejects examples/prometheus/prometheus.yml"
}
expect_contains "$TMP/promtool.txt" "SUCCESS: 1 rule files found"
grep -q 'job_name: driftwatch$' "$EX/prometheus/prometheus.yml" || fail "no job_name driftwatch (the rules' job)"
echo "ok: promtool check config prometheus.yml"

printf 'scrape_configs:\n  - job_name: k\n    kubernetes_sd_configs: [{role: pod}]\n' >"$TMP/k8s-probe.yml"
if promtool check config "$TMP/k8s-probe.yml" >/dev/null 2>&1; then
    sed "s#/etc/prometheus/rules/driftwatch-rules.yml#$RULES#" "$EX/prometheus/prometheus-kubernetes.yml" \
        >"$TMP/prometheus-kubernetes.yml"
    promtool check config "$TMP/prometheus-kubernetes.yml" ||
        fail "promtool check config rejects examples/prometheus/prometheus-kubernetes.yml"
    echo "ok: promtool check config prometheus-kubernetes.yml"
else
    echo "note: this promtool has no Kubernetes service discovery: prometheus-kubernetes.yml only parsed"
    if "$PYTHON3" -c 'import yaml' 2>/dev/null; then
        "$PYTHON3" - "$EX/prometheus/prometheus-kubernetes.yml" <<'PY' || fail "prometheus-kubernetes.yml"
import sys, yaml
cfg = yaml.safe_load(open(sys.argv[1]))
job = cfg["scrape_configs"][0]
assert job["kubernetes_sd_configs"] == [{"role": "pod"}], job["kubernetes_sd_configs"]
labels = {r.get("target_label"): r for r in job["relabel_configs"]}
assert labels["job"]["replacement"] == "driftwatch", "the rules need job=driftwatch"
assert "__address__" in labels and "__metrics_path__" in labels
PY
    fi
fi

AM="$EX/alertmanager/alertmanager.yml"
amtool check-config "$AM" || fail "amtool check-config rejects examples/alertmanager/alertmanager.yml"
route() { # route EXPECTED_RECEIVERS LABEL=VALUE...
    local want=$1
    shift
    amtool config routes test --config.file="$AM" --verify.receivers="$want" "$@" >"$TMP/route.txt" 2>/dev/null ||
        fail "alert {$*} goes to '$(cat "$TMP/route.txt")', expected $want"
}
route fraud-pager,fraud-chat alertname=DriftDetected model=fraud severity=critical team=fraud
route fraud-chat alertname=DatasetDrift model=fraud severity=warning team=fraud
route fraud-chat alertname=FeatureDrift model=fraud severity=info team=fraud feature=amount
route recsys-email alertname=DriftDetected model=reco severity=critical team=recsys
route ml-platform alertname=DriftwatchDown severity=critical team=fraud instance=h:9464
route ml-platform alertname=DriftDetected model=other severity=critical
echo "ok: amtool check-config and routes"

# Alert names the Alertmanager config relies on: the agent sink's default and the rules' alerts.
"$DW_BIN" plugins --plugin-dir "$DW_PLUGIN_DIR" >"$TMP/plugins.txt"
names=$(grep -oE 'alertname=~?\\?"[^"]+' "$AM" | sed -E 's/.*"//' | tr '|' '\n' | sort -u)
echo "alert names routed on:" "$(echo "$names" | tr '\n' ' ')"
for name in $names; do
    case "$name" in
    DriftDetected)
        sed -n '/^alertmanager /,/^[a-z]/p' "$TMP/plugins.txt" | grep -A1 -E '^ +alertname ' | grep -q 'default DriftDetected' ||
            fail "the alertmanager sink's default alertname is no longer DriftDetected" ;;
    *'.+'*) grep -qE "alert: ${name%%.+*}" "$RULES" || fail "no rule matches $name" ;;
    *) grep -q "alert: $name\$" "$RULES" || fail "alertmanager.yml routes on $name, which no rule raises" ;;
    esac
done

echo "PASS: examples/prometheus, examples/alertmanager"
