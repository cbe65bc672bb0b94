#!/usr/bin/env python3
"""HTTP framing through the proxy probe, on both upstream clients (built-in and `http_client: curl`),
with real clients: curl, Python (http.client and raw sockets) and Node's http module.

A scripted upstream (raw sockets, below) answers by path; proxy_framing_host (argv[1]) runs the two
proxies in front of it. Each case is a function `case_*(port, client_name)`; every wait is bounded
and polls for its condition.
    proxy_framing.py PATH/TO/proxy_framing_host
"""
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time

TIMEOUT = 10.0
FIXED = b"0123456789abcdefghi"  # 19 bytes
SSE_EVENTS = [b"data: one\n\n", b"data: two\n\n", b"data: three\n\n"]


class Upstream:
    """A keep-alive HTTP/1.1 server whose answers are written by hand, byte for byte."""

    def __init__(self):
        self.lock = threading.Lock()
        self.seen = {}  # path -> list of (method, index of the request on its connection)
        self.sse_release = threading.Event()  # the client got the first event: send the rest
        self.sse_last_sent = None  # monotonic time the last event was written
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.accept, daemon=True).start()

    def count(self, path):
        with self.lock:
            return list(self.seen.get(path, []))

    def accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self.serve, args=(conn,), daemon=True).start()

    def serve(self, conn):
        buf = b""
        index = 0
        conn.settimeout(30)
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                head, buf = buf.split(b"\r\n\r\n", 1)
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length", "0"))
                while len(buf) < length:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                body, buf = buf[:length], buf[length:]
                with self.lock:
                    self.seen.setdefault(path, []).append((method, index))
                index += 1
                if not self.answer(conn, method, path, body):
                    return
        except OSError:
            return
        finally:
            conn.close()

    def answer(self, conn, method, path, body):
        """Writes the answer; False closes the connection."""
        head_only = method == "HEAD"
        if path == "/fixed":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 19\r\n\r\n" +
                         (b"" if head_only else FIXED))
        elif path == "/chunked":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n" +
                         (b"" if head_only else b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"))
        elif path == "/no-content":
            conn.sendall(b"HTTP/1.1 204 No Content\r\nX-Done: 1\r\n\r\n")
        elif path == "/not-modified":
            conn.sendall(b"HTTP/1.1 304 Not Modified\r\nETag: \"v7\"\r\n\r\n")
        elif path == "/not-modified-length":
            conn.sendall(b"HTTP/1.1 304 Not Modified\r\nETag: \"v7\"\r\nContent-Length: 1234\r\n\r\n")
        elif path == "/early-hints":
            conn.sendall(b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
                         b"HTTP/1.1 200 OK\r\nX-Final: yes\r\nContent-Length: 2\r\n\r\nok")
        elif path == "/echo":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        elif path == "/trailers":
            conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n"
                         b"5\r\nhello\r\n0\r\nX-Checksum: abc123\r\n\r\n")
        elif path == "/big-head":
            conn.sendall(b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * (60 * 1024) + b"\r\nContent-Length: 2\r\n\r\nok")
        elif path.startswith("/crash/"):
            if len(self.count(path)) == 1:
                return False  # a worker that dies on the request: no answer, the connection closes
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nlater")
        elif path.startswith("/sse/"):
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
                         b"Transfer-Encoding: chunked\r\n\r\n")
            conn.sendall(b"%x\r\n%s\r\n" % (len(SSE_EVENTS[0]), SSE_EVENTS[0]))
            # The rest only once the client has the first event (or after 5 s: then the case fails).
            self.sse_release.wait(5)
            for event in SSE_EVENTS[1:]:
                conn.sendall(b"%x\r\n%s\r\n" % (len(event), event))
            self.sse_last_sent = time.monotonic()
            conn.sendall(b"0\r\n\r\n")
        elif path.startswith("/v1/models/fraud:predict"):
            # A streamed predict answer of 4 KB, larger than the proxies' max_tap_answer (1K).
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
            text = b'{"predictions": [' + b",".join([b"0.5"] * 1000) + b"]}"
            for i in range(0, len(text), 512):
                piece = text[i:i + 512]
                conn.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
            conn.sendall(b"0\r\n\r\n")
        else:
            conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
        return True


# ---- clients ----

def raw_exchange(port, request, until_close=False, head_only=False):
    """Sends request bytes; returns (head text, body bytes as received, raw). head_only: stops at the
    head's end, then checks for 200 ms (polling) that nothing follows."""
    s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    s.sendall(request)
    data = b""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if b"\r\n\r\n" in data and not until_close:
            head, rest = data.split(b"\r\n\r\n", 1)
            if head_only:
                break
            if complete(head, rest):
                break
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        data += chunk
    if head_only:
        s.settimeout(0.2)
        try:
            extra = s.recv(65536)
        except socket.timeout:
            extra = b""
        data += extra
    s.close()
    head, _, rest = data.partition(b"\r\n\r\n")
    return head.decode("latin-1"), rest, data


def complete(head, rest):
    h = head.lower()
    if b"transfer-encoding: chunked" in h:
        return rest.endswith(b"0\r\n\r\n")
    for line in h.split(b"\r\n"):
        if line.startswith(b"content-length:"):
            return len(rest) >= int(line.split(b":")[1])
    return False


def header_lines(head, name):
    name = name.lower() + ":"
    return [line.split(":", 1)[1].strip() for line in head.split("\r\n")[1:] if line.lower().startswith(name)]


def curl_cli(*args):
    out = subprocess.run(["curl", "-sS", "--max-time", "10", *args], capture_output=True, timeout=15)
    return out.returncode, out.stdout.decode("latin-1"), out.stderr.decode("latin-1")


NODE_HEAD = r"""
const http = require('http');
const [port, path, method] = process.argv.slice(1);
const req = http.request({host: '127.0.0.1', port: +port, path, method, headers: {'If-None-Match': '"v7"'}}, res => {
  let body = '';
  res.on('data', d => body += d);
  res.on('end', () => { console.log(JSON.stringify({status: res.statusCode, headers: res.rawHeaders, body})); });
});
req.on('error', e => { console.log(JSON.stringify({error: e.message, code: e.code})); });
req.setTimeout(10000, () => req.destroy(new Error('timeout')));
req.end();
"""


def node(port, path, method):
    out = subprocess.run(["node", "-e", NODE_HEAD, str(port), path, method], capture_output=True, timeout=15)
    return json.loads(out.stdout.decode() or '{"error": "no output: %s"}' % out.stderr.decode()[:200])


# ---- cases ----

def expect(cond, what):
    if not cond:
        raise AssertionError(what)


def case_head_fixed_length(port, up):
    head, rest, _ = raw_exchange(port, b"HEAD /fixed HTTP/1.1\r\nHost: x\r\n\r\n", head_only=True)
    expect(head.startswith("HTTP/1.1 200"), head)
    expect(header_lines(head, "Content-Length") == ["19"], "Content-Length must be exactly the upstream's 19:\n" + head)
    expect(not header_lines(head, "Transfer-Encoding"), "no Transfer-Encoding invented:\n" + head)
    expect(rest == b"", "no body after a HEAD answer: %r" % rest[:80])
    r = node(port, "/fixed", "HEAD")
    expect(r.get("status") == 200, "Node's http.request HEAD failed: %s" % r)
    cl = [r["headers"][i + 1] for i in range(0, len(r["headers"]), 2) if r["headers"][i].lower() == "content-length"]
    expect(cl == ["19"], "Node saw Content-Length %s" % cl)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    conn.request("HEAD", "/fixed")
    resp = conn.getresponse()
    expect(resp.status == 200 and resp.getheader("Content-Length") == "19" and resp.read() == b"", "http.client HEAD")
    conn.request("GET", "/fixed")  # the same connection still works after a HEAD
    resp = conn.getresponse()
    expect(resp.read() == FIXED, "GET after HEAD on one connection")
    conn.close()
    rc, out, err = curl_cli("-I", "http://127.0.0.1:%d/fixed" % port)
    expect(rc == 0 and out.lower().count("content-length:") == 1 and "content-length: 19" in out.lower(),
           "curl -I: rc %d %s %s" % (rc, out, err))


def case_head_chunked_resource(port, up):
    head, rest, _ = raw_exchange(port, b"HEAD /chunked HTTP/1.1\r\nHost: x\r\n\r\n", head_only=True)
    expect(head.startswith("HTTP/1.1 200"), head)
    expect(not header_lines(head, "Content-Length"), "no Content-Length invented for a chunked resource:\n" + head)
    # MHD 0.9.75 cannot write "Transfer-Encoding: chunked" on a HEAD answer without writing a last
    # chunk after it (which a client reads as the next answer): the proxy sends no framing header
    # and closes the connection instead (see no_body_response in probes/proxy/proxy.c).
    expect(header_lines(head, "Transfer-Encoding") in (["chunked"], []), "the upstream's Transfer-Encoding:\n" + head)
    if not header_lines(head, "Transfer-Encoding"):
        expect(header_lines(head, "Connection") == ["close"], "no framing header: the connection must close\n" + head)
    expect(rest == b"", "no body (nor a last chunk) after a HEAD answer: %r" % rest[:80])
    r = node(port, "/chunked", "HEAD")
    expect(r.get("status") == 200, "Node's http.request HEAD failed: %s" % r)


def case_no_content(port, up):
    head, rest, _ = raw_exchange(port, b"DELETE /no-content HTTP/1.1\r\nHost: x\r\n\r\n", head_only=True)
    expect(head.startswith("HTTP/1.1 204"), head)
    expect(not header_lines(head, "Content-Length") and not header_lines(head, "Transfer-Encoding"),
           "204 without framing headers:\n" + head)
    expect(header_lines(head, "X-Done") == ["1"] and rest == b"", head)
    r = node(port, "/no-content", "DELETE")
    expect(r.get("status") == 204, "Node: %s" % r)


def case_not_modified(port, up):
    head, rest, _ = raw_exchange(port, b"GET /not-modified HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"v7\"\r\n\r\n",
                                 head_only=True)
    expect(head.startswith("HTTP/1.1 304"), head)
    expect(not header_lines(head, "Content-Length"), "no Content-Length invented on a 304 (RFC 9110 §8.6):\n" + head)
    expect(not header_lines(head, "Transfer-Encoding"), "no Transfer-Encoding invented on a 304:\n" + head)
    expect(header_lines(head, "ETag") == ['"v7"'] and rest == b"", head)
    head, rest, _ = raw_exchange(port, b"GET /not-modified-length HTTP/1.1\r\nHost: x\r\n\r\n", head_only=True)
    expect(header_lines(head, "Content-Length") == ["1234"],
           "a 304's Content-Length is the upstream's, not replaced:\n" + head)
    expect(rest == b"", "no body after a 304")
    r = node(port, "/not-modified-length", "GET")
    expect(r.get("status") == 304, "Node: %s" % r)
    r = node(port, "/not-modified", "GET")
    expect(r.get("status") == 304, "Node: %s" % r)


def case_interim_answers(port, up):
    # 100-continue: MHD answers the client's Expect itself; the upstream gets the body without it.
    s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    s.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        expect(chunk, "closed before 100 Continue")
        data += chunk
    expect(data.startswith(b"HTTP/1.1 100"), "100 Continue first: %r" % data[:60])
    s.sendall(b"hello")
    data = data.split(b"\r\n\r\n", 1)[1]
    while not data.endswith(b"hello"):
        chunk = s.recv(4096)
        expect(chunk, "closed before the final answer: %r" % data)
        data += chunk
    expect(data.startswith(b"HTTP/1.1 200"), data[:80])
    s.close()
    rc, out, err = curl_cli("-H", "Expect: 100-continue", "--data-binary", "hello", "http://127.0.0.1:%d/echo" % port)
    expect(rc == 0 and out == "hello", "curl with Expect: %d %r %s" % (rc, out, err))
    # 103 Early Hints: MHD 0.9.75 has no way to send an interim answer, so it is not relayed; the
    # final answer is, unchanged.
    head, rest, _ = raw_exchange(port, b"GET /early-hints HTTP/1.1\r\nHost: x\r\n\r\n")
    expect(head.startswith("HTTP/1.1 200") and header_lines(head, "X-Final") == ["yes"] and rest == b"ok", head)


def case_trailers_not_merged(port, up):
    head, rest, _ = raw_exchange(port, b"GET /trailers HTTP/1.1\r\nHost: x\r\n\r\n")
    expect(head.startswith("HTTP/1.1 200"), head)
    expect(not header_lines(head, "X-Checksum"), "a trailer merged into the head (RFC 9110 §6.5.1):\n" + head)
    expect(b"hello" in rest, rest)
    rc, out, err = curl_cli("-D", "-", "http://127.0.0.1:%d/trailers" % port)
    expect(rc == 0 and out.endswith("hello"), "curl: %d %r %s" % (rc, out, err))
    expect("x-checksum" not in out.split("\r\n\r\n", 1)[0].lower(), "curl saw the trailer in the head:\n" + out)


def case_crashing_upstream_post_sent_once(port, up):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    conn.request("GET", "/fixed")  # leaves a kept-alive upstream connection in the proxy's pool
    expect(conn.getresponse().read() == FIXED, "warm-up")
    path = "/crash/post-%d" % port
    conn.request("POST", path, body=b'{"instances": [[1]]}', headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    body = resp.read()
    expect(resp.status == 502, "a POST the upstream dropped is answered 502, got %d %r" % (resp.status, body))
    expect(json.loads(body)["status"] == 502, body)
    seen = up.count(path)
    expect(len(seen) == 1, "the upstream saw the POST %d times (RFC 9110 §9.2.2): %s" % (len(seen), seen))
    expect(seen[0][1] >= 1, "the POST went on a reused connection: %s" % seen)
    conn.close()


def case_crashing_upstream_get_may_retry(port, up):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    conn.request("GET", "/fixed")
    expect(conn.getresponse().read() == FIXED, "warm-up")
    path = "/crash/get-%d" % port
    conn.request("GET", path)
    resp = conn.getresponse()
    body = resp.read()
    seen = up.count(path)
    # An idempotent request is sent again on a new connection: the client gets the second answer.
    expect(resp.status == 200 and body == b"later", "GET retried: %d %r" % (resp.status, body))
    expect(len(seen) == 2 and seen[0][1] >= 1 and seen[1][1] == 0, "GET sent again on a new connection: %s" % seen)
    conn.close()


def case_streamed_events_arrive_as_sent(port, up):
    up.sse_release.clear()
    s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    t0 = time.monotonic()
    s.sendall(b"GET /sse/%d HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n" % port)
    data = b""
    first = None
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
        if first is None and b"data: one" in data:
            first = time.monotonic()
            up.sse_release.set()
        if data.endswith(b"0\r\n\r\n"):
            break
    s.close()
    expect(first is not None, "no first event: %r" % data[:200])
    expect(up.sse_last_sent is not None and first < up.sse_last_sent,
           "the first event reached the client only after the upstream sent its last one (held, not streamed)")
    expect(b"data: three" in data, data)
    head = data.split(b"\r\n\r\n", 1)[0].decode()
    expect(header_lines(head, "Content-Type") == ["text/event-stream"], head)
    print("    first event after %.2f ms" % ((first - t0) * 1000))
    # curl -N sees the same events
    up.sse_release.set()
    rc, out, err = curl_cli("-N", "http://127.0.0.1:%d/sse/curl-%d" % (port, port))
    expect(rc == 0 and out == "".join(e.decode() for e in SSE_EVENTS), "curl -N: %d %r %s" % (rc, out, err))


def case_big_answer_head_is_502(port, up):
    rc, out, err = curl_cli("-D", "-", "http://127.0.0.1:%d/big-head" % port)
    expect(rc == 0, "curl: %d %s (an empty reply?)" % (rc, err))
    head, _, body = out.partition("\r\n\r\n")
    expect(head.startswith("HTTP/1.1 502"), head[:200])
    doc = json.loads(body)
    expect(doc["status"] == 502 and "head larger" in doc["error"], body)


def case_streamed_answer_over_tap_limit_is_counted(port, up, host, expected):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    conn.request("POST", "/v1/models/fraud:predict", body=b'{"instances": [[1]]}',
                 headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    body = resp.read()
    expect(resp.status == 200 and body.startswith(b'{"predictions": [0.5,') and len(body) > 4000, body[:80])
    conn.close()
    deadline = time.monotonic() + 15
    value = None
    while time.monotonic() < deadline:
        host.stdin.write('metric driftwatch_samples_rejected_total {model="fraud",reason="tap_too_large"}\n')
        host.stdin.flush()
        value = float(host.stdout.readline())
        if value >= expected:
            break
        time.sleep(0.02)
    expect(value == expected, "tap_too_large counted %s times, expected %s" % (value, expected))


CASES = [case_head_fixed_length, case_head_chunked_resource, case_no_content, case_not_modified,
         case_interim_answers, case_trailers_not_merged, case_crashing_upstream_post_sent_once,
         case_crashing_upstream_get_may_retry, case_streamed_events_arrive_as_sent, case_big_answer_head_is_502]


def main():
    for tool in ("curl", "node"):
        if not shutil.which(tool):
            print("%s not installed (see scripts/debian-packages.txt)" % tool)
            return 1
    up = Upstream()
    host = subprocess.Popen([sys.argv[1], str(up.port), "max_tap_answer: 1K\n"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    ports = dict(kv.split("=") for kv in host.stdout.readline().split())
    failed = 0
    n = 0
    try:
        for client in ("builtin", "curl"):
            port = int(ports[client])
            for case in CASES:
                n += 1
                try:
                    case(port, up)
                    print("ok   %s [%s]" % (case.__name__, client))
                except Exception as e:  # report every case, then fail
                    failed += 1
                    print("FAIL %s [%s]: %s" % (case.__name__, client, e))
            n += 1
            try:
                case_streamed_answer_over_tap_limit_is_counted(port, up, host, 1 if client == "builtin" else 2)
                print("ok   case_streamed_answer_over_tap_limit_is_counted [%s]" % client)
            except Exception as e:
                failed += 1
                print("FAIL case_streamed_answer_over_tap_limit_is_counted [%s]: %s" % (client, e))
    finally:
        host.stdin.close()
        try:
            host.wait(timeout=20)
        except subprocess.TimeoutExpired:
            host.kill()
            failed += 1
            print("FAIL the proxies did not stop within 20 s")
    print("%d of %d cases passed" % (n - failed, n))
    return 1 if failed or host.returncode else 0


if __name__ == "__main__":
    sys.exit(main())
