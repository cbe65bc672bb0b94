#!/usr/bin/env bash
# Validates dashboards/driftwatch.json (check_dashboard.py: structure, variables, metric names known
# to DESIGN.md §5 or the recording rules, coverage) and has promtool parse every panel query.
set -euo pipefail
PY=${PYTHON3:-/usr/bin/python3}
src=${DW_SRC:?}
work=$(mktemp -d /tmp/dw-dash-XXXXXX)
trap 'rm -rf "$work"' EXIT
"$PY" "$src/tests/alerts/check_dashboard.py" "$src/dashboards/driftwatch.json" \
    "$src/dashboards/rules/driftwatch-rules.yml" --emit-rules "$work/panel-queries.yml"
PROMTOOL=${PROMTOOL:-$(command -v promtool || true)}
if [[ -n "$PROMTOOL" ]]; then
    # Each query (Grafana variables substituted) as a recording rule: promtool parses the PromQL.
    "$PROMTOOL" check rules "$work/panel-queries.yml"
else
    echo "promtool not installed: panel queries not parsed" >&2
fi
