# A real Prometheus scrapes the agent over loopback: the target is up and driftwatch_build_info
# is there; promtool check metrics accepts a live scrape.
source "$DW_SRC/tests/lib.sh"

command -v prometheus >/dev/null || fail "prometheus is not installed (apt-get install prometheus)"
command -v promtool >/dev/null || fail "promtool is not installed (apt-get install prometheus)"

DW_PORT=$(free_port)
PROM_PORT=$(free_port)
cat >"$TMP/dw.yaml" <<YAML
agent: {listen: 127.0.0.1:$DW_PORT, state_dir: $TMP/state}
alerts:
  - {name: logs, plugin: log}
YAML
"$DW_BIN" run -c "$TMP/dw.yaml" 2>"$TMP/dw.log" &
PIDS+=($!)
wait_http "http://127.0.0.1:$DW_PORT/readyz"

curl -fsS "http://127.0.0.1:$DW_PORT/metrics" >"$TMP/scrape.txt"
promtool check metrics <"$TMP/scrape.txt" || fail "promtool check metrics rejected the exposition"

cat >"$TMP/prometheus.yml" <<YAML
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: driftwatch
    static_configs: [{targets: ["127.0.0.1:$DW_PORT"]}]
YAML
prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/tsdb" \
    --web.listen-address="127.0.0.1:$PROM_PORT" >"$TMP/prom.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$PROM_PORT/-/ready" 30

query() {
    curl -fsS "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode "query=$1"
}
for _ in $(seq 1 60); do
    if query 'up{job="driftwatch"}' | grep -q '"value":\[[0-9.]*,"1"\]' &&
        query 'driftwatch_build_info' | grep -q '"version":"'; then
        echo "ok"
        exit 0
    fi
    sleep 0.5
done
query 'up{job="driftwatch"}' >&2 || true
cat "$TMP/prom.log" >&2
fail "Prometheus never saw up == 1 and driftwatch_build_info"
