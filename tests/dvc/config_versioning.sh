# The DVC plugin wired through the config: `baseline -c` records the training file's data version
# (md5 as md5sum computes it), `check -c` uses the model's settings and warns when the data moved
# on, and the agent exports driftwatch_baseline_info with that version.
source "$DW_SRC/tests/lib.sh"

cp -r "$DW_SRC/tests/dvc/projects/basic" "$TMP/proj"
TRACKED=$(md5sum "$TMP/proj/data/train.csv" | cut -d' ' -f1)   # independent reference
grep -q "md5: $TRACKED" "$TMP/proj/data/train.csv.dvc" || fail "fixture: the .dvc file does not track train.csv"
PORT=$(free_port)
cat >"$TMP/dw.yaml" <<YAML
agent: {listen: 127.0.0.1:$PORT, state_dir: $TMP/state}
models:
  - name: fraud
    baseline: $TMP/B.json
    drift: {methods: "ks,chisquare"}
    versioning: {plugin: dvc, repo: $TMP/proj, path: data/train.csv}
YAML

"$DW_BIN" baseline -c "$TMP/dw.yaml" --data "$TMP/proj/data/train.csv" 2>"$TMP/b.err" || fail "baseline -c: $(cat "$TMP/b.err")"
"$PYTHON3" - "$TMP/B.json" "$TRACKED" <<'PY' || fail "data_version not recorded: $(head -c 600 "$TMP/B.json")"
import json, sys
dv = json.load(open(sys.argv[1]))["source"]["data_version"]
assert dv["tool"] == "dvc" and dv["md5"] == sys.argv[2] and dv["matches"] is True, dv
assert dv["dvc_file"] == "data/train.csv.dvc", dv
PY

# check -c: the model's methods apply (ks for the numeric column), no warning while data matches.
rc=0
"$DW_BIN" check -c "$TMP/dw.yaml" --data "$TMP/proj/data/train.csv" --format json >"$TMP/v.json" 2>"$TMP/c.err" || rc=$?
[ "$rc" -eq 0 ] || fail "check -c on the training data itself: exit $rc $(cat "$TMP/c.err")"
grep -q '"method": "ks"' "$TMP/v.json" || fail "check -c did not use the model's methods"
grep -q warning "$TMP/c.err" && fail "unexpected warning: $(cat "$TMP/c.err")"
# Decision flags apply on top of the model's settings (so report -c can show the same verdict).
rc=0
"$DW_BIN" check -c "$TMP/dw.yaml" --data "$TMP/proj/data/train.csv" --methods all --format json >"$TMP/all.json" 2>"$TMP/c.err" || rc=$?
[ "$rc" -eq 0 ] && grep -q '"methods": "all"' "$TMP/all.json" || fail "CLI --methods all over -c: exit $rc $(cat "$TMP/c.err")"

# The file on disk changes: check warns that it no longer matches its tracked version.
echo "5.0,FR,0" >>"$TMP/proj/data/train.csv"
"$DW_BIN" check -c "$TMP/dw.yaml" --data "$TMP/proj/data/train.csv" >/dev/null 2>"$TMP/c.err" || true
expect_contains "$TMP/c.err" "model 'fraud': the training data on disk no longer matches its tracked version"

# The tracked version moves on (as after `dvc add`): the baseline is out of date.
NEW=$(md5sum "$TMP/proj/data/train.csv" | cut -d' ' -f1)
sed -i "s/md5: $TRACKED/md5: $NEW/; s/size: 61/size: $(stat -c %s "$TMP/proj/data/train.csv")/" "$TMP/proj/data/train.csv.dvc"
"$DW_BIN" check -c "$TMP/dw.yaml" --data "$TMP/proj/data/train.csv" >/dev/null 2>"$TMP/c.err" || true
expect_contains "$TMP/c.err" "the baseline was built from data version $TRACKED, the tracked training data is now $NEW"

# The agent exports the baseline's version and logs the same warning.
"$DW_BIN" run -c "$TMP/dw.yaml" 2>"$TMP/agent.log" &
PIDS+=($!)
wait_http "http://127.0.0.1:$PORT/readyz"
curl -fsS "http://127.0.0.1:$PORT/metrics" >"$TMP/m.txt"
expect_contains "$TMP/m.txt" "driftwatch_baseline_info{model=\"fraud\",data_version=\"$TRACKED\"} 1"
expect_contains "$TMP/agent.log" "the baseline was built from data version $TRACKED, but the tracked data is now $NEW"
echo "ok"
