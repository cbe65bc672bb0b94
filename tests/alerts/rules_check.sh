#!/usr/bin/env bash
# `promtool check rules` on dashboards/rules/driftwatch-rules.yml: YAML, PromQL and templates parse,
# no duplicate rules.
set -euo pipefail
PROMTOOL=${PROMTOOL:-$(command -v promtool || true)}
if [[ -z "$PROMTOOL" ]]; then
    echo "FAIL: promtool not found: install the Debian package prometheus (bash scripts/setup-debian.sh)" >&2
    exit 1
fi
"$PROMTOOL" check rules "${DW_SRC:?}/dashboards/rules/driftwatch-rules.yml"
