#!/usr/bin/env bash
# `promtool test rules` on dashboards/rules/driftwatch-rules.test.yml, after checking that the test
# file has, for every alert in the rules, a case where it fires and one where it does not.
set -euo pipefail
PROMTOOL=${PROMTOOL:-$(command -v promtool || true)}
PY=${PYTHON3:-/usr/bin/python3}
if [[ -z "$PROMTOOL" ]]; then
    echo "FAIL: promtool not found: install the Debian package prometheus (bash scripts/setup-debian.sh)" >&2
    exit 1
fi
rules_dir="${DW_SRC:?}/dashboards/rules"
"$PY" - "$rules_dir/driftwatch-rules.yml" "$rules_dir/driftwatch-rules.test.yml" <<'PYEOF'
import re, sys
rules = open(sys.argv[1]).read()
tests = open(sys.argv[2]).read()
alerts = re.findall(r"^\s*- alert:\s*(\S+)\s*$", rules, re.M)
if not alerts:
    sys.exit("no alert rules found in " + sys.argv[1])
# Each alert_rule_test case starts at "- eval_time:"; it fires when exp_alerts has items.
cases = re.split(r"^\s*- eval_time:", tests, flags=re.M)[1:]
fires, silent = set(), set()
for case in cases:
    m = re.search(r"^\s*alertname:\s*(\S+)\s*$", case, re.M)
    if not m:
        continue  # a promql_expr_test case
    name = m.group(1)
    if re.search(r"exp_alerts:\s*\[\s*\]", case) or not re.search(r"exp_alerts:", case):
        silent.add(name)
    elif re.search(r"exp_alerts:\s*\n\s*- exp_labels:", case):
        fires.add(name)
missing = [f"{a}: no firing case" for a in alerts if a not in fires]
missing += [f"{a}: no not-firing case" for a in alerts if a not in silent]
if missing:
    sys.exit("rule tests incomplete:\n  " + "\n  ".join(missing))
print(f"{len(alerts)} alerts, each with a firing and a not-firing case: {', '.join(alerts)}")
PYEOF
cd "$rules_dir"
"$PROMTOOL" test rules driftwatch-rules.test.yml
