"""Prints, one per line, every form of each secret given as an argument that a leak could take:
the value itself and the parts of its base64 / base64url encodings that do not depend on what comes
before or after it (the encoding of "Bearer X" or "user:X" contains these too), at each of the
three byte alignments."""
import base64
import sys

forms = set()
for secret in sys.argv[1:]:
    raw = secret.encode()
    forms.add(secret)
    for k in range(3):
        enc = base64.b64encode(b"\0" * k + raw + b"\0\0").decode()
        # Character i covers bits 6i..6i+5; keep those that lie wholly inside the secret's bytes.
        first = -(-8 * k // 6)
        last = (8 * (k + len(raw)) - 6) // 6
        middle = enc[first:last + 1]
        if len(middle) >= 8:
            forms.add(middle)
            forms.add(middle.replace("+", "-").replace("/", "_"))
for f in sorted(forms):
    print(f)
