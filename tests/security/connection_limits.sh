# Connection limits of the agent's HTTP server, measured from outside: with max_connections idle
# sockets open, a further request is not served until they close; max_connections_per_ip closes a
# client's extra connection at once while another address is still served; connection_timeout
# closes a connection that sends nothing.
source "$DW_SRC/tests/lib.sh"
cd "$TMP"

start_agent() { # name yaml-lines-for-agent...
    local name=$1
    shift
    PORT=$(free_port)
    { echo "agent:"; echo "  listen: 127.0.0.1:$PORT"; echo "  state_dir: $TMP/state"; printf '  %s\n' "$@"; } >"$name.yaml"
    "$DW_BIN" run -c "$name.yaml" 2>"$name.log" &
    AGENT=$!
    PIDS+=("$AGENT")
    for _ in $(seq 100); do
        curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" 2>/dev/null && return 0
        kill -0 "$AGENT" 2>/dev/null || { cat "$name.log" >&2; fail "agent $name exited at start"; }
        sleep 0.1
    done
    fail "agent $name did not answer"
}

stop_agent() {
    kill -TERM "$AGENT"
    local rc=0
    wait "$AGENT" || rc=$?
    [ "$rc" -eq 0 ] || fail "agent exit code $rc"
}

hold() { # tag source-address count: opens the idle sockets, returns when they are all connected
    "$PYTHON3" "$DW_SRC/tests/security/hold_sockets.py" 127.0.0.1 "$PORT" "$2" "$3" "$TMP/$1.ready" "$TMP/$1.release" &
    PIDS+=("$!")
    HOLDER=$!
    for _ in $(seq 200); do
        [ -f "$TMP/$1.ready" ] && return 0
        kill -0 "$HOLDER" 2>/dev/null || fail "could not open $3 sockets from $2"
        sleep 0.05
    done
    fail "timed out opening $3 sockets from $2"
}

release() { # tag
    touch "$TMP/$1.release"
    wait "$HOLDER" || fail "the socket holder failed"
}

# 1. max_connections: 4 idle connections fill the server; a 5th request waits (in the kernel's
#    listen backlog) and is answered once they close.
start_agent total "max_connections: 4" "connection_timeout: 60s"
hold total 127.0.0.1 4
curl -sS --max-time 60 -o queued.body -w '%{http_code}' "http://127.0.0.1:$PORT/healthz" >queued.code 2>queued.err &
CURL=$!
PIDS+=("$CURL")
# Not answered while the limit is held (2 s is far longer than a loopback /healthz takes).
for _ in $(seq 20); do
    kill -0 "$CURL" 2>/dev/null || { cat queued.code queued.err >&2; fail "a request beyond max_connections was answered"; }
    sleep 0.1
done
[ -s queued.body ] && fail "a request beyond max_connections got a body"
release total
wait "$CURL" || { cat queued.err >&2; fail "the queued request failed after the idle connections closed"; }
[ "$(cat queued.code)" = 200 ] || fail "the queued request: HTTP $(cat queued.code)"
expect_contains queued.body ok
curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" || fail "not served after the limit was released"
stop_agent

# 2. max_connections_per_ip: 2 idle connections from 127.0.0.1; its 3rd is closed at once, while
#    127.0.0.2 (another loopback address) is served.
start_agent perip "max_connections: 64" "max_connections_per_ip: 2"
hold perip 127.0.0.1 2
rc=0
curl -sS --max-time 30 -o perip.body "http://127.0.0.1:$PORT/healthz" 2>perip.err || rc=$?
# 52: empty reply, 56: connection reset; either way no HTTP answer (and no 30 s wait).
case "$rc" in 52 | 56) ;; *) cat perip.err >&2; fail "3rd connection from one address: curl exit $rc, expected 52 or 56" ;; esac
curl -fsS --interface 127.0.0.2 -o other.body "http://127.0.0.1:$PORT/healthz" || fail "another address was not served"
expect_contains other.body ok
release perip
curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" || fail "127.0.0.1 not served after its connections closed"
stop_agent

# 3. connection_timeout: a connection that sends nothing is closed by the server (allowed 1 s;
#    the bound of 20 s only catches a server that never closes it).
start_agent timeout "connection_timeout: 1s"
"$PYTHON3" - "$PORT" >idle.out <<'PY' || fail "idle connection: $(cat idle.out)"
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
t = time.monotonic()
data = s.recv(1)  # b"" when the server closes; socket.timeout (an error) after 20 s
print("closed after %.1f s" % (time.monotonic() - t))
assert data == b"", data
PY
expect_contains idle.out "closed after"
stop_agent
echo "ok"
