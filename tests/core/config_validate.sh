# validate refuses what run and check -c refuse, each problem as FILE:LINE:COL with a suggestion
# when a name is close to a known one; the README's configuration example validates as printed
# (only machine paths replaced), so README and code cannot drift apart. Env: DW_BIN, DW_SRC,
# DW_PLUGIN_DIR.
source "$DW_SRC/tests/lib.sh"

# cli EXIT ARGS...: runs driftwatch, output in $TMP/out and $TMP/err, and checks the exit code.
cli() {
    local want=$1 rc=0
    shift
    timeout 60 "$DW_BIN" "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
    [ "$rc" -eq "$want" ] || { cat "$TMP/err" >&2; fail "driftwatch $* exited $rc, expected $want"; }
}
# expect_line FILE LINE: FILE holds exactly this line.
expect_line() {
    grep -qxF -- "$2" "$1" || { echo "--- $1:" >&2; cat "$1" >&2; fail "expected the line '$2'"; }
}

# A baseline with the features the configs below name (and mistype).
{
    echo "mean_area,mean_radius,texture,diagnosis"
    for i in $(seq 1 300); do echo "$((400 + i % 97)).5,$((10 + i % 7)).25,$((i % 13)).5,$([ $((i % 3)) -eq 0 ] && echo M || echo B)"; done
} >"$TMP/train.csv"
"$DW_BIN" baseline --data "$TMP/train.csv" --out "$TMP/base.json" 2>/dev/null || fail "baseline"
head -1 "$TMP/train.csv" >"$TMP/cur.csv" && tail -n 100 "$TMP/train.csv" >>"$TMP/cur.csv"

PORT=$(free_port)
# cfg FILE DRIFT [PROBE]: a one-model config; `drift:` is line 5 (its value starts at column 12),
# the probe entry line 7.
cfg() {
    cat >"$1" <<YAML
agent: {listen: 127.0.0.1:$PORT, state_dir: $TMP/state, plugin_dir: $DW_PLUGIN_DIR}
models:
  - name: cancer
    baseline: base.json
    drift: $2
    probes:
      - ${3:-{plugin: push\}}
YAML
}

# refused FILE MESSAGE: validate exits 1 with exactly this line; check -c exits 3 with it too.
refused() {
    cli 1 validate -c "$1"
    expect_line "$TMP/err" "$2"
    cli 3 check -c "$1" --data "$TMP/cur.csv"
    expect_line "$TMP/err" "driftwatch check: $2"
}

# 1. Method names: the model's list and a feature's method, with the closest name.
cfg "$TMP/m1.yaml" "{methods: kss}"
refused "$TMP/m1.yaml" "$TMP/m1.yaml:5:22: model 'cancer': drift.methods: unknown method 'kss' (did you mean 'ks'?); known: auto, all, ks, cramervonmises, anderson, wasserstein, wasserstein_normed, psi, jensenshannon, hellinger, chisquare, linf; multivariate: pca_reconstruction, mmd"
# run refuses it at the same place before starting anything.
cli 1 run -c "$TMP/m1.yaml"
expect_contains "$TMP/err" "cannot start: $TMP/m1.yaml:5:22: model 'cancer': drift.methods: unknown method 'kss'"

cfg "$TMP/m2.yaml" "{methods: \"ks,psii\"}"
refused "$TMP/m2.yaml" "$TMP/m2.yaml:5:22: model 'cancer': drift.methods: unknown method 'psii' (did you mean 'psi'?); known: auto, ks, cramervonmises, anderson, wasserstein, wasserstein_normed, psi, jensenshannon, hellinger, chisquare, linf; multivariate: pca_reconstruction, mmd"

cfg "$TMP/m3.yaml" "{features: {mean_area: {method: pssi}}}"
refused "$TMP/m3.yaml" "$TMP/m3.yaml:5:44: model 'cancer': drift.features.mean_area.method: unknown method 'pssi' (did you mean 'psi'?); known: auto, ks, cramervonmises, anderson, wasserstein, wasserstein_normed, psi, jensenshannon, hellinger, chisquare, linf"

# 2. Thresholds: a p-value method's threshold is a p-value.
cfg "$TMP/t1.yaml" "{features: {mean_area: {method: ks, threshold: 5}}}"
refused "$TMP/t1.yaml" "$TMP/t1.yaml:5:59: model 'cancer': drift.features.mean_area: threshold 5 with method ks, which decides on its p-value (drift when p < threshold): use a p-value threshold such as 0.05"
cfg "$TMP/t2.yaml" "{features: {mean_area: {threshold: -1}}}"
refused "$TMP/t2.yaml" "$TMP/t2.yaml:5:47: threshold must be a number in [0, 1e+09], not '-1'"

# 3. Feature names: an override naming a feature the baseline does not have, with the closest one.
cfg "$TMP/f1.yaml" "{features: {mean_aera: {threshold: 0.2}}}"
refused "$TMP/f1.yaml" "$TMP/f1.yaml:5:24: model 'cancer': drift.features: the baseline has no feature 'mean_aera' (did you mean 'mean_area'?)"
# run refuses to start on it too (it used to start and ignore the override).
cli 1 run -c "$TMP/f1.yaml"
expect_contains "$TMP/err" "cannot start: $TMP/f1.yaml:5:24: model 'cancer': drift.features: the baseline has no feature 'mean_aera' (did you mean 'mean_area'?)"
cfg "$TMP/f2.yaml" "{features: {perimeter: {threshold: 0.2}}}"
refused "$TMP/f2.yaml" "$TMP/f2.yaml:5:24: model 'cancer': drift.features: the baseline has no feature 'perimeter'"
# ... and in the flags, which name the flag instead of a position.
cli 3 check --baseline "$TMP/base.json" --data "$TMP/cur.csv" --threshold mean_aera=0.2
expect_line "$TMP/err" "driftwatch check: --threshold mean_aera=0.2: the baseline has no feature 'mean_aera' (did you mean 'mean_area'?)"
cli 3 check --baseline "$TMP/base.json" --data "$TMP/cur.csv" --feature-method mean_radius=pssi
expect_line "$TMP/err" "driftwatch check: --feature-method mean_radius=pssi: unknown method 'pssi' (did you mean 'psi'?); known: auto, ks, cramervonmises, anderson, wasserstein, wasserstein_normed, psi, jensenshannon, hellinger, chisquare, linf"
cli 3 check --baseline "$TMP/base.json" --data "$TMP/cur.csv" --methods kss
expect_line "$TMP/err" "driftwatch check: --methods: unknown method 'kss' (did you mean 'ks'?); known: auto, all, ks, cramervonmises, anderson, wasserstein, wasserstein_normed, psi, jensenshannon, hellinger, chisquare, linf; multivariate: pca_reconstruction, mmd"
cli 1 report --baseline "$TMP/base.json" --data "$TMP/cur.csv" --out "$TMP/r.html" --threshold texure=0.1
expect_line "$TMP/err" "driftwatch report: --threshold texure=0.1: the baseline has no feature 'texure' (did you mean 'texture'?)"
# a flag's threshold checked together with the config's method for the same feature
cfg "$TMP/f3.yaml" "{features: {mean_area: {method: ks}}}"
cli 3 check -c "$TMP/f3.yaml" --data "$TMP/cur.csv" --threshold mean_area=2
expect_line "$TMP/err" "driftwatch check: --threshold mean_area=2: feature 'mean_area': threshold 2 with method ks, which decides on its p-value (drift when p < threshold): use a p-value threshold such as 0.05"

# 4. Windows and plugin options, at their positions (run and check -c load the same config).
cfg "$TMP/w1.yaml" "{}"
sed -i 's/^    drift: {}$/    window: {size: 10, mode: tumblin}/' "$TMP/w1.yaml"
refused "$TMP/w1.yaml" "$TMP/w1.yaml:5:30: window mode must be 'tumbling' or 'sliding'"
cfg "$TMP/p1.yaml" "{}" "{plugin: push, max_bach: 10}"
cli 1 validate -c "$TMP/p1.yaml"
expect_line "$TMP/err" "$TMP/p1.yaml:7:24: plugin 'push': unknown option 'max_bach' (run 'driftwatch plugins' to list the options of push)"

# 5. A probe under a model takes that model; one naming another model is an error at that name.
cfg "$TMP/ok.yaml" "{methods: ks, features: {mean_area: {method: psi, threshold: 0.2}}}"
cli 0 validate -c "$TMP/ok.yaml"
cfg "$TMP/same.yaml" "{}" "{plugin: push, model: cancer}"
cli 0 validate -c "$TMP/same.yaml"
cfg "$TMP/other.yaml" "{}" "{plugin: push, model: fraud}"
cli 1 validate -c "$TMP/other.yaml"
expect_line "$TMP/err" "$TMP/other.yaml:7:31: plugin 'push': model 'fraud' is not the model this probe is listed under ('cancer'): leave 'model' out or name 'cancer'"

# 6. The README's configuration example, as printed there: the first yaml block of the
# "## Configuration" section. Only what depends on the machine is replaced (each must be found).
awk '/^## Configuration$/ {sec = 1; next} sec && /^## / {exit} sec && /^```yaml$/ {inb = 1; next}
     inb && /^```$/ {exit} inb {print}' "$DW_SRC/README.md" >"$TMP/readme.yaml"
[ -s "$TMP/readme.yaml" ] || fail "no yaml block in README.md's Configuration section"
grep -qF -- "- {plugin: push}" "$TMP/readme.yaml" || fail "the README example no longer has a probe without 'model'"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/tls.key" -out "$TMP/tls.crt" -days 2 -subj /CN=localhost \
    2>"$TMP/openssl.log" || { cat "$TMP/openssl.log" >&2; fail "openssl req"; }
for sub in "/var/lib/driftwatch|$TMP/state" "/usr/local/lib/driftwatch/plugins|$DW_PLUGIN_DIR" \
           "/etc/driftwatch/tls.crt|$TMP/tls.crt" "/etc/driftwatch/tls.key|$TMP/tls.key"; do
    from=${sub%%|*} to=${sub#*|}
    grep -qF -- "$from" "$TMP/readme.yaml" || fail "README example: '$from' not found (update this test)"
    sed -i "s|$from|$to|g" "$TMP/readme.yaml"
done
"$DW_BIN" baseline --data "$DW_SRC/examples/data/train.csv" --out "$TMP/baseline.json" --prediction prediction 2>/dev/null ||
    fail "baseline of the example data"
DRIFTWATCH_TOKEN=secret-token-for-validate cli 0 validate -c "$TMP/readme.yaml"
expect_contains "$TMP/out" "$TMP/readme.yaml: ok (1 model(s), 1 alert sink(s)"
echo "ok"
