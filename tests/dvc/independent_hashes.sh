#!/usr/bin/env bash
# Recomputes every expected hash used by tests/dvc without the plugin's code: md5sum for files,
# perl for CRLF->LF, Python's hashlib + json.dumps(sort_keys=True) for .dir listings and escapes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
P="$here/projects"
PY=${PYTHON3:-/usr/bin/python3}
fails=0
have_yaml=$("$PY" -c 'import yaml; print(1)' 2>/dev/null || echo 0) # python3-yaml reads the .dvc files

check() { # name expected actual
    if [ "$2" = "$3" ]; then echo "ok   $1 = $2"; else echo "FAIL $1: expected $2, got $3"; fails=$((fails + 1)); fi
}
md5() { md5sum "$1" | cut -d' ' -f1; }
md5_crlf_to_lf() { perl -0777 -pe 's/\r\n/\n/g' "$1" | md5sum | cut -d' ' -f1; }
recorded() { # file, path -> md5 recorded for that path (first "md5:" of the entry naming it)
    [ "$have_yaml" = 1 ] || { echo "(python3-yaml missing)"; return; }
    "$PY" - "$1" "$2" <<'PYEOF'
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
entries = doc.get("outs", []) + [e for s in doc.get("stages", {}).values() for e in s.get("outs", []) + s.get("deps", [])]
print(next(e["md5"] for e in entries if e["path"] == sys.argv[2]))
PYEOF
}

# --- files: md5sum, and the md5 recorded in the committed .dvc / dvc.lock files
check "basic train.csv" b89fdfd6f9ba4aff460d22babc6b5652 "$(md5 "$P/basic/data/train.csv")"
check "basic train.csv.dvc" b89fdfd6f9ba4aff460d22babc6b5652 "$(recorded "$P/basic/data/train.csv.dvc" train.csv)"
check "basic prepared.csv" 4b8df2d412982426e1f70054f6febad2 "$(md5 "$P/basic/data/prepared.csv")"
check "basic dvc.lock prepared" 4b8df2d412982426e1f70054f6febad2 "$(recorded "$P/basic/dvc.lock" data/prepared.csv)"
check "basic model.bin" 1f0913b6e3ec845c5170dc1b1c306d6b "$(md5 "$P/basic/model/model.bin")"
check "basic dvc.lock model" 1f0913b6e3ec845c5170dc1b1c306d6b "$(recorded "$P/basic/dvc.lock" model/model.bin)"
check "basic prepare.py" "$(md5 "$P/basic/src/prepare.py")" "$(recorded "$P/basic/dvc.lock" src/prepare.py)"
check "basic train.py" "$(md5 "$P/basic/src/train.py")" "$(recorded "$P/basic/dvc.lock" src/train.py)"
check "basic cache object" b89fdfd6f9ba4aff460d22babc6b5652 "$(md5 "$P/basic/.dvc/cache/files/md5/b8/9fdfd6f9ba4aff460d22babc6b5652")"
check "modified train.csv" af093be501c75765fa745e871a5e1267 "$(md5 "$P/modified/data/train.csv")"
check "modified gone.csv.dvc" "$(printf 'gone\n' | md5sum | cut -d' ' -f1)" "$(recorded "$P/modified/data/gone.csv.dvc" gone.csv)"
check "walk test x.csv (printf 'x\\n1\\n')" dc3ba59be5d893be2c69ea202014fe78 "$(printf 'x\n1\n' | md5sum | cut -d' ' -f1)"
check "legacy text.csv raw" f33f0a71eb05823d2779f0840af5da26 "$(md5 "$P/legacy/data/text.csv")"
check "legacy text.csv dos2unix" 2b2889bf22971a126d3ae2366e134287 "$(md5_crlf_to_lf "$P/legacy/data/text.csv")"
check "legacy text.csv.dvc" 2b2889bf22971a126d3ae2366e134287 "$(recorded "$P/legacy/data/text.csv.dvc" text.csv)"
check "legacy notes.txt dos2unix" 758987fcb47bb09502a2f58ae56a045c "$(md5_crlf_to_lf "$P/legacy/data/mixed/notes.txt")"
check "legacy blob.bin (binary: raw)" ffd84aa0fe1db01699db805742b2306e "$(md5 "$P/legacy/data/mixed/blob.bin")"

# --- directories: the listing json.dumps writes, from os.walk + hashlib (dos2unix for text in legacy)
dir_md5() { # dir, legacy(0/1)
    "$PY" - "$1" "$2" <<'PYEOF'
import hashlib, json, os, sys
root, legacy = sys.argv[1], sys.argv[2] == "1"
TEXT = bytes(range(32, 127)) + b"\n\r\t\f\b"
def text(b):
    return not b or (b"\0" not in b and len(b.translate(None, TEXT)) / len(b) <= 0.30)
out = []
for d, _, files in os.walk(root):
    for f in files:
        p = os.path.join(d, f)
        data = open(p, "rb").read()
        if legacy and text(data[:512]):
            data = data.replace(b"\r\n", b"\n")
        out.append({"md5": hashlib.md5(data).hexdigest(), "relpath": os.path.relpath(p, root)})
out.sort(key=lambda e: e["relpath"])
print(hashlib.md5(json.dumps(out, sort_keys=True).encode()).hexdigest() + ".dir")
PYEOF
}
check "basic images .dir" e7afe69d389a8defd88d983314e54268.dir "$(dir_md5 "$P/basic/data/images" 0)"
check "basic images.dvc" e7afe69d389a8defd88d983314e54268.dir "$(recorded "$P/basic/data/images.dvc" images)"
check "basic dvc.lock images dep" e7afe69d389a8defd88d983314e54268.dir "$(recorded "$P/basic/dvc.lock" data/images)"
check "legacy mixed .dir" 83d32ff73be75b8b706036eb30fdada6.dir "$(dir_md5 "$P/legacy/data/mixed" 1)"
check "legacy mixed.dvc" 83d32ff73be75b8b706036eb30fdada6.dir "$(recorded "$P/legacy/data/mixed.dvc" mixed)"
# the listing test_dvc_hash.c spells out by hand, hashed with md5sum
images_listing='[{"md5": "a509306ed7889e444236b4a8b78d4866", "relpath": "B.csv"}, {"md5": "b53243cf3e46fb66ecc9075617cc59e4", "relpath": "a.csv"}, {"md5": "50b1ee1f88fcc8f106990a17a31d92ff", "relpath": "donn\u00e9es/\u00e9.csv"}, {"md5": "091eda934300fdfd7750f748a6fbc102", "relpath": "donn\u00e9es/\uff5a.txt"}, {"md5": "a3db14c42fb252f041dafe325b65e646", "relpath": "donn\u00e9es/\ud834\udd1e.txt"}, {"md5": "50ec4bff85d8b635a5a1104b319d8ec5", "relpath": "x-1.csv"}, {"md5": "e70517a67966f25cf09815c20abe7bd2", "relpath": "x.csv"}, {"md5": "a69165f33ba5bf5f83fec0b62c4d5eef", "relpath": "x/y.csv"}]'
check "handwritten images listing" e7afe69d389a8defd88d983314e54268 "$(printf '%s' "$images_listing" | md5sum | cut -d' ' -f1)"
legacy_listing='[{"md5": "ffd84aa0fe1db01699db805742b2306e", "relpath": "blob.bin"}, {"md5": "758987fcb47bb09502a2f58ae56a045c", "relpath": "notes.txt"}]'
check "handwritten legacy listing" 83d32ff73be75b8b706036eb30fdada6 "$(printf '%s' "$legacy_listing" | md5sum | cut -d' ' -f1)"
check "empty dir (md5 of [])" d751713988987e9331980363e24189ce "$(printf '[]' | md5sum | cut -d' ' -f1)"

# --- test_dir_listing_escapes_names_and_skips_vcs_dirs_and_dir_symlinks: expected listing
check "escapes listing .dir" 96d2d3ece21ec6f508c5369cc6f71788 "$("$PY" - <<'PYEOF'
import hashlib, json, os
files = {b'q"uote.txt': b"q\n", b"back\\slash.txt": b"b\n", b"tab\tname.txt": b"t\n", b".hidden": b"h\n",
         b"link.txt": b"q\n", b"sub/inner.txt": b"i\n", b"bad\xff.txt": b"x\n"}
out = sorted(({"md5": hashlib.md5(c).hexdigest(), "relpath": os.fsdecode(p)} for p, c in files.items()),
             key=lambda e: e["relpath"])
print(hashlib.md5(json.dumps(out, sort_keys=True).encode()).hexdigest())
PYEOF
)"

# --- test_md5_dos2unix_classifies_and_converts_each_1mib_chunk: dvc-data's Dos2UnixHashStreamFile
# (dvc_data/hashfile/hash.py) restated: each 2**20-byte read is classified on its first 512 bytes.
check "chunked md5-dos2unix" "7cb3195b898ae61c78a9345a0522dacd fa7dbe355143674182b97ad9d2f13b81" "$("$PY" - <<'PYEOF'
import hashlib
TEXT = bytes(range(32, 127)) + b"\n\r\t\f\b"
def istextblock(block):
    if not block: return True
    if b"\x00" in block: return False
    return float(len(block.translate(None, TEXT))) / len(block) <= 0.30
c1 = (b"ab\r\n" * 262144)[:-1] + b"\r"
c2 = b"\n" + b"\x80" * 200 + b"y" * (2**20 - 401) + b"\r\n" * 100
data = c1 + c2 + b"tail\r\nend\r\n"
h = hashlib.md5()
for i in range(0, len(data), 2**20):
    chunk = data[i:i + 2**20]
    h.update(chunk.replace(b"\r\n", b"\n") if istextblock(chunk[:512]) else chunk)
print(h.hexdigest(), hashlib.md5(data).hexdigest())
PYEOF
)"

# --- md5_file.c compares 10*nontext <= 3*len; the same as Python's float test for every block size
check "integer 30% rule == float rule" True "$("$PY" -c 'print(all((float(k)/n <= 0.30) == (10*k <= 3*n) for n in range(1, 513) for k in range(n + 1)))')"

# --- test_dvc_pyjson.c literals: json.dumps(os.fsdecode(name))
check "pyjson escapes" '"a\"b\\c\n\r\t\b\f\u0001\u001f\u007f~ "
"donn\u00e9es/\u00e9.csv"
"\uff5a"
"\ud834\udd1e"
"\ud83d\ude00"
"\udbff\udfff"
"\udcff"
"a\udcc3"
"\udce2\udc82A"
"\udced\udca0\udc80"
"\udcc0\udcaf"
"\udce0\udc80\udc80"
"\udcf0\udc80\udc80\udc80"
"\udcf4\udc90\udc80\udc80"' \
    "$("$PY" -c 'import json,os
for b in [b"a\"b\\c\n\r\t\b\f\x01\x1f\x7f~ ", "données/é.csv".encode(), "\uff5a".encode(), "\U0001d11e".encode(), "\U0001f600".encode(), "\U0010ffff".encode(), b"\xff", b"a\xc3", b"\xe2\x82A", b"\xed\xa0\x80", b"\xc0\xaf", b"\xe0\x80\x80", b"\xf0\x80\x80\x80", b"\xf4\x90\x80\x80"]: print(json.dumps(os.fsdecode(b)))')"

# --- the error position test_dvc_yaml.c expects, from PyYAML's pure-Python parser
[ "$have_yaml" = 1 ] && check "badyaml position" "5:17" "$("$PY" -c 'import sys, yaml
try:
    yaml.load(open(sys.argv[1]), Loader=yaml.SafeLoader)
except yaml.YAMLError as e:
    print("%d:%d" % (e.problem_mark.line + 1, e.problem_mark.column + 1))' "$P/badyaml/data.csv.dvc")"

[ "$fails" -eq 0 ] || { echo "$fails mismatches"; exit 1; }
echo "all independent checks passed"
