#!/usr/bin/env bash
# examples/cron: the crontab line is a valid /etc/cron.d entry and its command, run as written
# (paths moved into a temp dir), writes a textfile-collector file that `promtool check metrics`
# accepts, with the exit codes the README documents: 2 for the drifted example data, 0 for the
# in-distribution data, 3 when the data file is missing (and then the old file is left alone).
# The Nagios command line gives the same codes and its status line; the staleness rule passes
# `promtool check rules`.
source "$DW_SRC/tests/lib.sh"
source "$DW_SRC/tests/examples/examples_lib.sh"
make_root

# One entry: 5 time fields, the user, the command.
mapfile -t entries < <(grep -vE '^[[:space:]]*(#|$)' "$EX/cron/driftwatch.cron")
[ "${#entries[@]}" = 1 ] || fail "expected one cron entry, found ${#entries[@]}"
read -r m h dom mon dow user cmd <<<"${entries[0]}"
for f in "$m" "$h" "$dom" "$mon" "$dow"; do
    [[ "$f" =~ ^(\*|[0-9]+(-[0-9]+)?)(/[0-9]+)?(,([0-9]+(-[0-9]+)?)(/[0-9]+)?)*$ ]] || fail "bad cron field '$f'"
done
[[ "$user" =~ ^[a-z_][a-z0-9_-]*$ ]] || fail "the cron.d entry's user field is '$user'"
case "$cmd" in *"check --baseline "*"--format prom --out /var/lib/node_exporter/textfile_collector/"*) ;;
    *) fail "unexpected command: $cmd" ;;
esac
printf '%s\n' "$cmd" >"$TMP/cmd.txt"
localize "$TMP/cmd.txt" "$TMP/cmd.sh"
log=$(grep -o "$TMP/root/var/log/fraud-model/[^ ]*" "$TMP/cmd.sh") || fail "no --data under /var/log/fraud-model"
out=$(grep -o "$TMP/root/textfile/[^ ]*" "$TMP/cmd.sh")
rc_of() { set +e; bash "$TMP/cmd.sh" >"$TMP/cron.out" 2>&1; echo $?; set -e; }

cp "$EX/data/serving_drifted.jsonl" "$log"
[ "$(rc_of)" = 2 ] || fail "drifted data: exit $(rc_of), expected 2 ($(cat "$TMP/cron.out"))"
[ -s "$TMP/cron.out" ] && fail "the cron command printed (cron would mail it): $(cat "$TMP/cron.out")"
expect_contains "$out" 'driftwatch_dataset_drifted{model="fraud"} 1'
need_tool promtool prometheus
promtool check metrics <"$out" || fail "promtool rejects $out"
for f in "$(dirname "$out")"/*; do
    [ "$f" = "$out" ] || fail "left in the textfile directory: $f"
done

"$PYTHON3" - "$EX/data/serving_ok.csv" >"$log" <<'PY'
import csv, json, sys
cat = {"country", "device", "merchant_category"}
for r in csv.DictReader(open(sys.argv[1])):
    f = {k: (None if v == "" else v if k in cat else float(v)) for k, v in r.items() if k != "prediction"}
    print(json.dumps({"features": f, "prediction": float(r["prediction"])}))
PY
[ "$(rc_of)" = 0 ] || fail "in-distribution data: exit $(rc_of), expected 0 ($(cat "$TMP/cron.out"))"
expect_contains "$out" 'driftwatch_dataset_drifted{model="fraud"} 0'
cp "$out" "$TMP/before.prom"
rm "$log"
[ "$(rc_of)" = 3 ] || fail "missing data: exit $(rc_of), expected 3"
cmp -s "$out" "$TMP/before.prom" || fail "a failed run replaced the textfile"
echo "ok: crontab entry, exit codes 2/0/3, textfile output"

# Nagios: the command_line with the service's arguments.
cmdline=$(sed -n 's/^[[:space:]]*command_line[[:space:]]*//p' "$EX/cron/nagios.cfg")
args=$(sed -n 's/^[[:space:]]*check_command[[:space:]]*check_driftwatch!//p' "$EX/cron/nagios.cfg" | sed 's/[[:space:]]*;.*//')
IFS='!' read -r a1 a2 a3 <<<"$args"
nag=${cmdline//\$ARG1\$/$a1}
nag=${nag//\$ARG2\$/$a2}
nag=${nag//\$ARG3\$/$a3}
printf '%s\n' "$nag" >"$TMP/nagios.txt"
localize "$TMP/nagios.txt" "$TMP/nagios.sh"
nagios_rc() { set +e; bash "$TMP/nagios.sh" >"$TMP/nagios.out" 2>/dev/null; echo $?; set -e; }
cp "$EX/data/serving_drifted.jsonl" "$log"
[ "$(nagios_rc)" = 2 ] || fail "nagios: drifted data exit $(nagios_rc)"
grep -q '^DRIFT CRITICAL - .*\[model fraud\] | share=' "$TMP/nagios.out" || fail "nagios output: $(cat "$TMP/nagios.out")"
rm "$log"
[ "$(nagios_rc)" = 3 ] || fail "nagios: missing data exit $(nagios_rc)"
grep -q '^DRIFT UNKNOWN' "$TMP/nagios.out" || fail "nagios output on a missing file: $(cat "$TMP/nagios.out")"
echo "ok: nagios command and service"

promtool check rules "$EX/cron/driftwatch-cron-rules.yml" || fail "promtool rejects driftwatch-cron-rules.yml"
echo "PASS: examples/cron"
