# TLS on the agent's HTTP server: a self-signed certificate made here with the openssl CLI; curl
# trusting only it gets /metrics and pushes with the bearer token over https; plain http to the same
# port gets no answer; bad certificate/key files are config errors with their position.
source "$DW_SRC/tests/lib.sh"

PORT=$(free_port)
cd "$TMP"
openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 2 -subj /CN=localhost \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" 2>openssl.log || { cat openssl.log >&2; fail "openssl req"; }
chmod 600 key.pem
"$PYTHON3" - <<'PY'
import json, random
rnd = random.Random(3)
with open("train.csv", "w") as f:
    f.write("x\n")
    for _ in range(200):
        f.write("%.4f\n" % rnd.gauss(0, 1))
json.dump([{"x": rnd.gauss(0, 1)} for _ in range(5)], open("five.json", "w"))
PY
"$DW_BIN" baseline --data train.csv --out B.json 2>baseline.log || { cat baseline.log >&2; fail "baseline"; }

TOKEN=tls-test-token-$$
write_config() { # cert key
    cat >dw.yaml <<YAML
agent:
  listen: 127.0.0.1:$PORT
  state_dir: $TMP/state
  auth_token: $TOKEN
  tls:
    cert_file: $1
    key_file: $2
models:
  - name: m
    baseline: B.json
    window: {size: 1000}
    probes: [{plugin: push, model: m}]
YAML
}

write_config cert.pem key.pem
"$DW_BIN" validate -c dw.yaml >validate.out 2>&1 || { cat validate.out >&2; fail "validate refused a good TLS config"; }

"$DW_BIN" run -c dw.yaml 2>run.log &
PID=$!
PIDS+=("$PID")
for _ in $(seq 100); do
    curl -fsS --cacert cert.pem -o /dev/null "https://127.0.0.1:$PORT/healthz" 2>/dev/null && break
    kill -0 "$PID" 2>/dev/null || { cat run.log >&2; fail "the agent exited at start"; }
    sleep 0.1
done
expect_contains run.log "listening on 127.0.0.1:$PORT (https)"

curl -fsS --cacert cert.pem "https://127.0.0.1:$PORT/metrics" >metrics.txt || fail "GET /metrics over https"
expect_contains metrics.txt 'driftwatch_build_info{version="'
# The name in the certificate is checked too (SAN DNS:localhost).
curl -fsS --cacert cert.pem --resolve "localhost:$PORT:127.0.0.1" "https://localhost:$PORT/healthz" >healthz.txt ||
    fail "GET /healthz by name over https"
expect_contains healthz.txt ok

code=$(curl -sS --cacert cert.pem -o push.json -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' --data-binary @five.json "https://127.0.0.1:$PORT/v1/models/m/samples")
[ "$code" = 202 ] || { cat push.json >&2; fail "push over https with the token: HTTP $code"; }
expect_contains push.json '"accepted":5'
code=$(curl -sS --cacert cert.pem -o push401.json -w '%{http_code}' -H 'Content-Type: application/json' \
    --data-binary @five.json "https://127.0.0.1:$PORT/v1/models/m/samples")
[ "$code" = 401 ] || fail "push over https without the token: HTTP $code, expected 401"

# Without the certificate as a trust anchor curl refuses (it is not signed by a public CA) ...
rc=0
curl -sS -o /dev/null "https://127.0.0.1:$PORT/healthz" 2>curl-untrusted.err || rc=$?
[ "$rc" = 60 ] || { cat curl-untrusted.err >&2; fail "curl without --cacert: exit $rc, expected 60 (peer certificate not trusted)"; }
# ... and plain HTTP to the TLS port gets no HTTP answer at all.
rc=0
curl -sS --max-time 10 -o plain.out -w '%{http_code}' "http://127.0.0.1:$PORT/metrics" >plain.code 2>plain.err || rc=$?
[ "$rc" != 0 ] || fail "plain http to the TLS port succeeded: HTTP $(cat plain.code)"
grep -q driftwatch_build_info plain.out 2>/dev/null && fail "plain http to the TLS port got metrics"
# The server is still fine after the failed handshake.
curl -fsS --cacert cert.pem -o /dev/null "https://127.0.0.1:$PORT/healthz" || fail "https after a plain-http attempt"

kill -TERM "$PID"
rc=0
wait "$PID" || rc=$?
[ "$rc" -eq 0 ] || fail "SIGTERM exit code $rc"
# The private key never reaches the log (its base64 body, line by line).
grep -v -- '-----' key.pem >key.body
grep -qFf key.body run.log && fail "a line of the private key appeared in the log"

# Bad files: each is an error at the position of the offending key, from validate and from run.
expect_config_error() { # cert key expected-message
    write_config "$1" "$2"
    rc=0
    "$DW_BIN" validate -c "$TMP/dw.yaml" >bad.out 2>&1 || rc=$?
    [ "$rc" = 1 ] || { cat bad.out >&2; fail "validate with $1/$2: exit $rc, expected 1"; }
    expect_contains bad.out "$3"
    rc=0
    "$DW_BIN" run -c "$TMP/dw.yaml" >bad-run.out 2>&1 || rc=$?
    [ "$rc" = 1 ] || { cat bad-run.out >&2; fail "run with $1/$2: exit $rc, expected 1"; }
    expect_contains bad-run.out "$3"
    grep -qFf key.body bad.out bad-run.out && fail "a line of the private key appeared in an error"
    return 0
}
expect_config_error missing.pem key.pem \
    "$TMP/dw.yaml:6:16: agent.tls.cert_file: cannot read certificate file $TMP/missing.pem: No such file or directory"
expect_config_error key.pem key.pem \
    "$TMP/dw.yaml:6:16: agent.tls.cert_file: $TMP/key.pem is not a PEM certificate"
expect_config_error cert.pem cert.pem \
    "$TMP/dw.yaml:7:15: agent.tls.key_file: $TMP/cert.pem is not a PEM private key"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out other.pem 2>/dev/null || fail "openssl genpkey"
expect_config_error cert.pem other.pem \
    "$TMP/dw.yaml:7:15: agent.tls.key_file: the private key in $TMP/other.pem does not belong to the certificate in $TMP/cert.pem"
openssl pkey -in key.pem -aes256 -passout pass:hunter22 -out enc.pem 2>/dev/null || fail "openssl pkey -aes256"
expect_config_error cert.pem enc.pem \
    "$TMP/dw.yaml:7:15: agent.tls.key_file: $TMP/enc.pem is an encrypted private key"
: >empty.pem
expect_config_error empty.pem key.pem "$TMP/dw.yaml:6:16: agent.tls.cert_file: certificate file $TMP/empty.pem is empty"
echo "ok"
