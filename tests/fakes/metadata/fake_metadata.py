#!/usr/bin/python3
"""Fake Google auth for driftwatch tests (stdlib only, loopback only): the GCE metadata server's
token URL and an OAuth2 token endpoint for service-account JWT assertions.

  GET  /computeMetadata/v1/instance/service-accounts/default/token   (needs "Metadata-Flavor: Google")
       -> {"access_token", "expires_in", "token_type": "Bearer"}
  POST /token   grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=JWT
       The JWT must be RS256 with header {"alg":"RS256","typ":"JWT","kid"}, claims {iss, scope (cloud-platform),
       aud (this URL), iat, exp = iat + 3600}, and a valid RSA PKCS#1 v1.5 SHA-256 signature for --public-key
       (checked here in pure Python). Errors as Google's: 400 {"error": "invalid_grant", "error_description"}.

Control (for tests): GET /_fake/requests, POST /_fake/reset, POST /_fake/config {"expires_in": n,
"fail": n (answer the next n token requests with 500)}.

Usage: fake_metadata.py --public-key PUB.pem [--private-key KEY.pem --key-file-out SA.json]
  --key-file-out writes a service-account key JSON whose token_uri points at this server.
Prints "PORT <n>" when listening. Tokens issued: "ya29.fake-metadata-<n>" / "ya29.fake-sa-<n>".
"""
import argparse
import base64
import hashlib
import http.server
import json
import sys
import threading
import time
import urllib.parse

LOCK = threading.Lock()
STATE = {}
KEY = {}          # n, e of the public key
SERVICE = {}      # client_email, kid, token_uri

SCOPE = "https://www.googleapis.com/auth/cloud-platform"
GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# DER DigestInfo prefix for SHA-256 (RFC 8017 §9.2, note 1).
SHA256_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")


def reset_state():
    STATE.clear()
    STATE.update({"requests": [], "issued": 0, "expires_in": 3599, "fail": 0})


# ---- minimal DER reader for RSA public keys ----

def der_read(data, pos):
    tag = data[pos]
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        n = length & 0x7F
        length = int.from_bytes(data[pos:pos + n], "big")
        pos += n
    return tag, data[pos:pos + length], pos + length


def load_public_key(path):
    text = open(path).read()
    b64 = "".join(line for line in text.splitlines() if line and not line.startswith("-----"))
    der = base64.b64decode(b64)
    tag, seq, _ = der_read(der, 0)
    if "BEGIN PUBLIC KEY" in text:          # SubjectPublicKeyInfo
        _, _, pos = der_read(seq, 0)        # AlgorithmIdentifier
        tag, bits, _ = der_read(seq, pos)   # BIT STRING: unused-bits byte, then RSAPublicKey
        tag, seq, _ = der_read(bits[1:], 0)
    tag, n, pos = der_read(seq, 0)
    tag, e, _ = der_read(seq, pos)
    return int.from_bytes(n, "big"), int.from_bytes(e, "big")


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def verify_rs256(signing_input, signature):
    n, e = KEY["n"], KEY["e"]
    k = (n.bit_length() + 7) // 8
    if len(signature) != k:
        return False
    em = pow(int.from_bytes(signature, "big"), e, n).to_bytes(k, "big")
    t = SHA256_PREFIX + hashlib.sha256(signing_input).digest()
    expected = b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t
    return em == expected


def check_assertion(jwt):
    """Returns None when the assertion is what Google's token endpoint accepts, else the reason."""
    parts = jwt.split(".")
    if len(parts) != 3:
        return "Invalid JWT: not three dot-separated parts."
    for p in parts:
        if "=" in p or "+" in p or "/" in p:
            return "Invalid JWT: not base64url without padding."
    try:
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
        sig = b64url_decode(parts[2])
    except ValueError:
        return "Invalid JWT: undecodable part."
    if header.get("alg") != "RS256" or header.get("typ") != "JWT":
        return "Invalid JWT header: alg must be RS256 and typ JWT."
    if SERVICE.get("kid") and header.get("kid") != SERVICE["kid"]:
        return "Invalid JWT header: unknown kid."
    if not verify_rs256((parts[0] + "." + parts[1]).encode(), sig):
        return "Invalid JWT Signature."
    if claims.get("iss") != SERVICE["client_email"]:
        return "Invalid JWT: iss is not the service account."
    if SCOPE not in str(claims.get("scope", "")).split():
        return "Invalid JWT: scope must include cloud-platform."
    if claims.get("aud") != SERVICE["token_uri"]:
        return "Invalid JWT: aud must be the token URI."
    iat, exp = claims.get("iat"), claims.get("exp")
    if not isinstance(iat, int) or not isinstance(exp, int) or exp - iat != 3600:
        return "Invalid JWT: exp must be iat + 3600."
    if abs(iat - time.time()) > 300:
        return "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe."
    return None


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-metadata/1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, code, obj, content_type="application/json"):
        data = json.dumps(obj).encode() if not isinstance(obj, bytes) else obj
        try:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            if self.path.startswith("/computeMetadata/"):
                self.send_header("Metadata-Flavor", "Google")
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def record(self, method, body):
        with LOCK:
            STATE["requests"].append({"method": method, "path": urllib.parse.urlsplit(self.path).path,
                                      "headers": {k.lower(): v for k, v in self.headers.items()},
                                      "body": body})

    def take_failure(self):
        with LOCK:
            if STATE["fail"] > 0:
                STATE["fail"] -= 1
                return True
        return False

    def issue(self, prefix):
        with LOCK:
            STATE["issued"] += 1
            return {"access_token": f"{prefix}-{STATE['issued']}", "expires_in": STATE["expires_in"],
                    "token_type": "Bearer"}

    def do_GET(self):
        path = urllib.parse.urlsplit(self.path).path
        if path == "/_fake/requests":
            with LOCK:
                return self.reply(200, STATE["requests"])
        self.record("GET", None)
        if path == "/computeMetadata/v1/instance/service-accounts/default/token":
            if self.headers.get("Metadata-Flavor") != "Google":
                return self.reply(403, b"Missing required header: Metadata-Flavor", "text/html")
            if self.take_failure():
                return self.reply(500, b"internal error", "text/plain")
            return self.reply(200, self.issue("ya29.fake-metadata"))
        self.reply(404, b"Not Found", "text/plain")

    def do_POST(self):
        path = urllib.parse.urlsplit(self.path).path
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        if path.startswith("/_fake/"):
            body = json.loads(raw) if raw else {}
            with LOCK:
                if path == "/_fake/reset":
                    reset_state()
                elif path == "/_fake/config":
                    STATE.update(body)
            return self.reply(200, {})
        self.record("POST", raw.decode("utf-8", "replace"))
        if path != "/token":
            return self.reply(404, b"Not Found", "text/plain")
        if not self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            return self.reply(400, {"error": "invalid_request", "error_description": "Bad content type."})
        if self.take_failure():
            return self.reply(500, {"error": "internal_failure", "error_description": "Injected fault."})
        form = urllib.parse.parse_qs(raw.decode(), keep_blank_values=True)
        if form.get("grant_type") != [GRANT]:
            return self.reply(400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type."})
        if not KEY:
            return self.reply(400, {"error": "invalid_grant", "error_description": "No public key configured."})
        why = check_assertion(form.get("assertion", [""])[0])
        if why:
            return self.reply(400, {"error": "invalid_grant", "error_description": why})
        self.reply(200, self.issue("ya29.fake-sa"))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--public-key", help="PEM public key that verifies assertions")
    ap.add_argument("--private-key", help="PEM private key to embed in --key-file-out")
    ap.add_argument("--key-file-out", help="write a service-account key JSON pointing at this server")
    ap.add_argument("--client-email", default="driftwatch-test@p.iam.gserviceaccount.com")
    ap.add_argument("--kid", default="0123456789abcdef0123456789abcdef01234567")
    args = ap.parse_args()
    reset_state()
    if args.public_key:
        KEY["n"], KEY["e"] = load_public_key(args.public_key)
    server = http.server.ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    port = server.server_address[1]
    SERVICE.update({"client_email": args.client_email, "kid": args.kid,
                    "token_uri": f"http://{args.host}:{port}/token"})
    if args.key_file_out:
        key = {"type": "service_account", "project_id": "p", "private_key_id": args.kid,
               "private_key": open(args.private_key).read(), "client_email": args.client_email,
               "client_id": "100000000000000000000", "auth_uri": "https://accounts.google.com/o/oauth2/auth",
               "token_uri": SERVICE["token_uri"]}
        with open(args.key_file_out, "w") as f:
            json.dump(key, f, indent=2)
    print(f"PORT {port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
