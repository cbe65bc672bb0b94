#!/usr/bin/python3
"""compare.py EXPECTED_JSON JSON_PATH ACTUAL_JSON ACTUAL_PATH [KEYS]: the numbers (and booleans,
strings, nulls) under EXPECTED_JSON's path equal those under ACTUAL_JSON's path within 1e-12
relative; keys named "call" document the expectation and are not compared. Paths are dotted
("cancer.thresholds"); KEYS (comma list) limits which members of each metric object compare."""
import json
import math
import sys


def walk(doc, path):
    for part in filter(None, path.split(".")):
        doc = doc[part]
    return doc


def same(want, got, where, errors):
    if isinstance(want, dict):
        if not isinstance(got, dict):
            errors.append("%s: expected an object, got %r" % (where, got))
            return
        for k, v in want.items():
            if k == "call" or (KEYS and not isinstance(v, dict) and k not in KEYS):
                continue
            if k not in got:
                errors.append("%s.%s: missing" % (where, k))
                continue
            same(v, got[k], where + "." + k, errors)
    elif isinstance(want, bool) or want is None or isinstance(want, str):
        if want != got:
            errors.append("%s: expected %r, got %r" % (where, want, got))
    elif isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            errors.append("%s: expected %r, got %r" % (where, want, got))
            return
        for i, (w, g) in enumerate(zip(want, got)):
            same(w, g, "%s[%d]" % (where, i), errors)
    else:
        if not isinstance(got, (int, float)) or isinstance(got, bool):
            errors.append("%s: expected %r, got %r" % (where, want, got))
        elif want != got and abs(got - want) > 1e-12 * abs(want):
            errors.append("%s: expected %.17g, got %.17g (relative error %.3g)" %
                          (where, want, got, abs(got - want) / abs(want) if want else math.inf))


KEYS = set(sys.argv[5].split(",")) if len(sys.argv) > 5 else None
want = walk(json.load(open(sys.argv[1])), sys.argv[2])
got = walk(json.load(open(sys.argv[3])), sys.argv[4])
errs = []
same(want, got, sys.argv[4] or "(root)", errs)
if errs:
    print("\n".join(errs), file=sys.stderr)
    sys.exit(1)
