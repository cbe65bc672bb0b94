# shellcheck shell=bash
# Helpers for the example tests (sourced after tests/lib.sh): the examples use their deployed
# paths (/etc/driftwatch, /var/lib/driftwatch, /usr/local/lib/driftwatch/plugins, ...); these
# copies point them into the test's temp dir and the build tree instead, and nothing else changes.
EX="$DW_SRC/examples"
: "${DW_PLUGIN_DIR:?DW_PLUGIN_DIR must point at the built plugins}"

# The ConfigMap's driftwatch.yaml out of examples/k8s/sidecar.yaml.
k8s_config() {
    "$PYTHON3" - "$EX/k8s/sidecar.yaml" <<'PY'
import sys
try:
    import yaml
except ImportError:  # the block scalar by hand: the lines indented under "driftwatch.yaml: |"
    lines, out, indent = open(sys.argv[1]).read().splitlines(), [], None
    for i, line in enumerate(lines):
        if line.strip() == "driftwatch.yaml: |":
            for body in lines[i + 1:]:
                if body.strip() and indent is None:
                    indent = len(body) - len(body.lstrip())
                if body.strip() and len(body) - len(body.lstrip()) < indent:
                    break
                out.append(body[indent:] if body.strip() else "")
            break
    sys.stdout.write("\n".join(out) + "\n")
    sys.exit(0 if out else 1)
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
cm = [d for d in docs if d["kind"] == "ConfigMap" and "driftwatch.yaml" in d.get("data", {})]
sys.stdout.write(cm[0]["data"]["driftwatch.yaml"])
PY
}

# localize SRC DST: the deployed paths of SRC rewritten into $TMP/root and the build tree.
localize() {
    sed -e "s#/usr/local/lib/driftwatch/plugins#$DW_PLUGIN_DIR#g" \
        -e "s#/usr/local/bin/driftwatch#$DW_BIN#g" \
        -e "s#/etc/driftwatch/#$TMP/root/etc/driftwatch/#g" \
        -e "s#/var/lib/driftwatch#$TMP/root/var/lib/driftwatch#g" \
        -e "s#/var/log/fraud-model/#$TMP/root/var/log/fraud-model/#g" \
        -e "s#/var/lib/node_exporter/textfile_collector/#$TMP/root/textfile/#g" \
        "$1" >"$2"
}

# The files the examples expect on a deployed machine: a baseline (from examples/data), systemd
# credentials, the canary's payload and expected answer, the directories state_dir lives in.
make_root() {
    local r="$TMP/root"
    mkdir -p "$r/etc/driftwatch/baseline" "$r/etc/driftwatch/canary" "$r/var/lib/driftwatch" \
        "$r/var/log/fraud-model" "$r/textfile" "$r/credentials"
    chmod 0700 "$r/var/lib/driftwatch"
    "$DW_BIN" baseline --data "$EX/data/train.csv" --out "$r/etc/driftwatch/baseline.json" 2>/dev/null
    cp "$r/etc/driftwatch/baseline.json" "$r/etc/driftwatch/baseline/baseline.json"
    printf '%s' "example-token" >"$r/credentials/token"
    printf '%s' "example-webhook-secret" >"$r/credentials/webhook-secret"
    echo '{"instances": [{"amount": 12.5, "age": 40, "country": "US", "device": "mobile", "hour": 14, "merchant_category": "grocery", "account_age_days": 400}]}' \
        >"$r/etc/driftwatch/canary/payload.json"
    echo '{"predictions": [0.0574]}' >"$r/etc/driftwatch/canary/expected.json"
    export DRIFTWATCH_TOKEN=example-token CREDENTIALS_DIRECTORY="$r/credentials"
}
