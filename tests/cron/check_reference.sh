#!/bin/bash
# Regenerates the cron reference cases with Python's datetime/zoneinfo and diffs them against the
# committed tests/cron/cron_cases.h, so the expected values in the unit test cannot drift from
# their source.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"${PYTHON3:-/usr/bin/python3}" "$here/cron_reference.py" | diff -u "$here/cron_cases.h" -
echo "cron_cases.h is current"
