#!/usr/bin/env bash
# The fakes driven by hand, as a developer would: command-line faults and tokens, Google's error
# shape, 409 on a duplicate pipelineJobId, the metadata server's Metadata-Flavor check.
set -euo pipefail
PY=${PYTHON3:-/usr/bin/python3}
SRC=${DW_SRC:?run through ctest (DW_SRC)}
tmp=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT

wait_port() { # file -> port
    for _ in $(seq 200); do
        if grep -q '^PORT ' "$1" 2>/dev/null; then awk '/^PORT /{print $2}' "$1"; return 0; fi
        sleep 0.05
    done
    echo "fake did not start: $(cat "$1")" >&2
    return 1
}
fail() { echo "FAIL: $*" >&2; exit 1; }
field() { "$PY" -c "import json,sys; d=json.load(sys.stdin); print(eval('d' + sys.argv[1]))" "$1"; }

"$PY" "$SRC/tests/fakes/vertex/fake_vertex.py" --token good \
    --fault '{"method": "POST", "path": "/pipelineJobs$", "status": 429, "times": 2}' >"$tmp/vertex.out" &
pids+=($!)
"$PY" "$SRC/tests/fakes/metadata/fake_metadata.py" >"$tmp/md.out" &
pids+=($!)
V="http://127.0.0.1:$(wait_port "$tmp/vertex.out")"
M="http://127.0.0.1:$(wait_port "$tmp/md.out")"

job='{"displayName": "d", "templateUri": "https://europe-west4-kfp.pkg.dev/p/r/t/v1", "runtimeConfig": {"gcsOutputDirectory": "gs://b/r"}}'
post() { curl -s -o "$tmp/body" -w '%{http_code}' -H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
    -X POST "$V/v1/projects/p/locations/l/pipelineJobs?pipelineJobId=j1" -d "$job"; }

# A wrong token: 401 in Google's error shape.
code=$(curl -s -o "$tmp/body" -w '%{http_code}' -H 'Authorization: Bearer bad' "$V/v1/projects/p/locations/l/pipelineJobs/j1")
[ "$code" = 401 ] || fail "wrong token gave $code"
[ "$(field '["error"]["status"]' <"$tmp/body")" = UNAUTHENTICATED ] || fail "401 body: $(cat "$tmp/body")"

# Two injected 429s, then the create, then 409 for the same pipelineJobId.
[ "$(post good)" = 429 ] || fail "first create not 429"
[ "$(field '["error"]["status"]' <"$tmp/body")" = RESOURCE_EXHAUSTED ] || fail "429 body: $(cat "$tmp/body")"
[ "$(post good)" = 429 ] || fail "second create not 429"
[ "$(post good)" = 200 ] || fail "third create not 200: $(cat "$tmp/body")"
[ "$(field '["name"]' <"$tmp/body")" = projects/p/locations/l/pipelineJobs/j1 ] || fail "job name"
[ "$(field '["state"]' <"$tmp/body")" = PIPELINE_STATE_QUEUED ] || fail "job state"
[ "$(post good)" = 409 ] || fail "duplicate id not 409"
[ "$(field '["error"]["status"]' <"$tmp/body")" = ALREADY_EXISTS ] || fail "409 body: $(cat "$tmp/body")"
n=$(curl -s "$V/_fake/requests" | field '.__len__()')
[ "$n" = 5 ] || fail "fake recorded $n requests, not 5"

# The metadata server insists on Metadata-Flavor: Google.
tok=/computeMetadata/v1/instance/service-accounts/default/token
[ "$(curl -s -o /dev/null -w '%{http_code}' "$M$tok")" = 403 ] || fail "metadata without Metadata-Flavor"
curl -s -H 'Metadata-Flavor: Google' "$M$tok" >"$tmp/body"
[ "$(field '["token_type"]' <"$tmp/body")" = Bearer ] || fail "metadata token: $(cat "$tmp/body")"
echo "fakes_cli: ok"
