#!/usr/bin/env bash
# dashboards/rules/driftwatch-fleet.test.yml is the output of tests/alerts/gen_fleet_rule_test.py (the
# fleet rules' promtool tests, expected values from numpy/scipy): run the generator again and compare,
# so the committed tests and their generator cannot drift apart.
set -euo pipefail
PY=${PYTHON3:-/usr/bin/python3}
src=${DW_SRC:?}
work=$(mktemp -d /tmp/dw-fleet-rules-XXXXXX)
trap 'rm -rf "$work"' EXIT
"$PY" -c 'import numpy, scipy' 2>/dev/null ||
    { echo "FAIL: numpy/scipy missing: install the Debian packages python3-numpy python3-scipy" >&2; exit 1; }
"$PY" "$src/tests/alerts/gen_fleet_rule_test.py" "$work/fleet.test.yml"
diff -u "$src/dashboards/rules/driftwatch-fleet.test.yml" "$work/fleet.test.yml" ||
    { echo "FAIL: driftwatch-fleet.test.yml differs from its generator's output (run the generator)" >&2; exit 1; }
echo "driftwatch-fleet.test.yml matches gen_fleet_rule_test.py"
