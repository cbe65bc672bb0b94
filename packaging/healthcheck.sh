#!/bin/bash
# The image's HEALTHCHECK: GET /healthz on the agent's plain-HTTP listener, with bash's /dev/tcp
# so the image needs no HTTP client. Port: $DRIFTWATCH_LISTEN's (default 9464). Exit 0 on HTTP 200.
set -euo pipefail
port=${DRIFTWATCH_LISTEN:-127.0.0.1:9464}
port=${port##*:}
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
IFS= read -r -t 5 status <&3
case "$status" in "HTTP/1."?" 200"*) exit 0 ;; *) echo "healthcheck: $status" >&2; exit 1 ;; esac
