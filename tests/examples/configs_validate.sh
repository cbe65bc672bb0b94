#!/usr/bin/env bash
# Every driftwatch config among the deployment examples passes `driftwatch validate` with the
# plugins of this build: the YAML files whose top level has `models:` under the deployment example
# directories (examples/systemd, examples/vertex, ...; the demo's config is tests/demo's) and the
# driftwatch.yaml of the ConfigMap in examples/k8s/sidecar.yaml.
# Paths are pointed into a temp dir (examples_lib.sh) and the secrets they read are provided.
source "$DW_SRC/tests/lib.sh"
source "$DW_SRC/tests/examples/examples_lib.sh"
make_root

validate() { # validate NAME FILE
    local out
    out="$TMP/validate-$(echo "$1" | tr -c 'A-Za-z0-9.\n-' '_').txt"
    if ! "$DW_BIN" validate -c "$2" >"$out" 2>&1; then
        cat "$out" >&2
        fail "$1: driftwatch validate rejected it"
    fi
    expect_contains "$out" ": ok ("
    expect_contains "$out" "plugins from $DW_PLUGIN_DIR"
    echo "ok: $1 ($(cat "$out"))"
}

n=0
while IFS= read -r f; do
    rel=${f#"$DW_SRC"/}
    grep -q '^models:' "$f" || continue
    name=$(echo "$rel" | tr '/' '_')
    localize "$f" "$TMP/$name"
    validate "$rel" "$TMP/$name"
    n=$((n + 1))
done < <(find "$EX"/{k8s,systemd,cron,prometheus,alertmanager,vertex} \( -name '*.yaml' -o -name '*.yml' \) -type f | sort)

k8s_config >"$TMP/k8s-configmap.yaml" || fail "no driftwatch.yaml in the ConfigMap of examples/k8s/sidecar.yaml"
localize "$TMP/k8s-configmap.yaml" "$TMP/k8s-driftwatch.yaml"
validate "examples/k8s/sidecar.yaml (ConfigMap driftwatch-config)" "$TMP/k8s-driftwatch.yaml"
n=$((n + 1))

# The systemd and Vertex AI examples at least, plus the ConfigMap.
[ "$n" -ge 3 ] || fail "only $n driftwatch configs found under examples/"

# The check is not vacuous: a misspelt plugin option in an example is an error with its position.
sed 's/max_tap_queue:/max_tap_queu:/' "$TMP/k8s-driftwatch.yaml" >"$TMP/typo.yaml"
if "$DW_BIN" validate -c "$TMP/typo.yaml" >"$TMP/typo.txt" 2>&1; then
    fail "a misspelt option passed validate"
fi
expect_contains "$TMP/typo.txt" "unknown option 'max_tap_queu'"
echo "PASS: $n example configs validate"
