#!/usr/bin/env bash
# Validates dashboards/driftwatch.json (check_dashboard.py: structure, variables, metric names known
# to docs/metrics.md or the recording rules, coverage) and has promtool parse every panel query.
set -euo pipefail
PY=${PYTHON3:-/usr/bin/python3}
src=${DW_SRC:?}
work=$(mktemp -d /tmp/dw-dash-XXXXXX)
trap 'rm -rf "$work"' EXIT
"$PY" "$src/tests/alerts/check_dashboard.py" "$src/dashboards/driftwatch.json" \
    "$src/dashboards/rules/driftwatch-rules.yml" --emit-rules "$work/panel-queries.yml"
PROMTOOL=${PROMTOOL:-$(command -v promtool || true)}
if [[ -z "$PROMTOOL" ]]; then
    echo "FAIL: promtool not found: install the Debian package prometheus (bash scripts/setup-debian.sh)" >&2
    exit 1
fi
# Each query (Grafana variables substituted) as a recording rule: promtool parses the PromQL.
"$PROMTOOL" check rules "$work/panel-queries.yml"
