# SIGKILL at random moments, biased towards snapshot compaction (the agent is killed as soon as a
# *.snapshot.tmp or *.journal.tmp appears in the state dir, or a few ms later), over many rounds of
# pushes with durability: sync. Every restart must load the state (its recovery log line, no
# error) and restore every acknowledged sample of the open window.
source "$DW_SRC/tests/lib.sh"

ROUNDS=${DW_FAULT_ROUNDS:-24}
DATA="$DW_SRC/examples/data"
PORT=$(free_port)
"$DW_BIN" baseline --data "$DATA/train.csv" --out "$TMP/baseline.json" 2>/dev/null
# A tumbling window of 1000 samples (~2.3 MB): compaction starts once the journal outgrows
# 4 x the window + 16 MB (model.c), i.e. after ~11k pushed samples, and at every start-up.
cat >"$TMP/dw.yaml" <<YAML
agent: {listen: 127.0.0.1:$PORT, state_dir: $TMP/state, durability: sync}
models:
  - name: fraud
    baseline: $TMP/baseline.json
    window: {size: 1000}
    probes:
      - {plugin: push, model: fraud}
YAML
mkdir -m 700 "$TMP/state"

"$PYTHON3" - "$DW_BIN" "$TMP" "$PORT" "$DATA/serving_drifted.jsonl" "$ROUNDS" <<'PY'
import os, random, re, signal, subprocess, sys, threading, time, urllib.request, urllib.error
dw, tmp, port, data, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
state, log_path = tmp + "/state", tmp + "/agent.log"
W, BATCH = 1000, 130  # a batch that does not divide the window: the counts vary
# Each sample carries 2 KB of padding (kept, as the journal keeps a sample's own text): the journal
# reaches the compaction size with ~8x fewer samples, which keeps sanitizer builds quick.
pad = b', "note": "' + b"x" * 2048 + b'"}'
lines = [l.rstrip().rstrip(b"}") + pad + b"\n" for l in open(data, "rb").read().splitlines()]
batches = [b"".join(lines[i:i + BATCH]) for i in range(0, len(lines) - BATCH + 1, BATCH)]
rnd = random.Random(int(os.environ.get("DW_FAULT_SEED", "0")) or None)
log = open(log_path, "ab")

def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.stderr.write(open(log_path).read()[-4000:])
    sys.exit(1)

def start():
    before = os.path.getsize(log_path)
    p = subprocess.Popen([dw, "run", "-c", tmp + "/dw.yaml"], stdout=subprocess.DEVNULL, stderr=log)
    return p, before

def recovered_since(offset, p):
    """The start-up's recovery line, once written: the number of samples it restored."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with open(log_path, "rb") as f:
            f.seek(offset)
            text = f.read().decode()
        if "level=error" in text or "level=fatal" in text:
            fail("the agent logged an error at start-up:\n" + text)
        m = re.search(r"model=fraud recovered (\d+) sample", text)
        if m:
            return int(m.group(1))
        if p.poll() is not None and "recovered" not in text:
            # Killed before it could even log; the next start reports.
            return None
        time.sleep(0.01)
    fail("no recovery line within 60 s")

def watch(p, plan, result, pushing):
    """Kills p at its first compaction (plan "startup": the one every start runs after the
    replay), at the first compaction once pushes run ("runtime"), or at a random time ("timer",
    also the fallback). Compactions are seen through their temporary files."""
    tmps = ("fraud.snapshot.tmp", "fraud.journal.tmp")
    while p.poll() is None:
        armed = plan["mode"] == "startup" or (plan["mode"] == "runtime" and pushing.is_set())
        if armed and any(os.path.exists(state + "/" + t) for t in tmps):
            time.sleep(rnd.uniform(0, 0.003))
            p.send_signal(signal.SIGKILL)
            result["how"] = "compaction"
            return
        if time.monotonic() > plan["deadline"]:
            p.send_signal(signal.SIGKILL)
            result["how"] = "timer"
            return
        time.sleep(0.0002)

def push(body):
    req = urllib.request.Request("http://127.0.0.1:%d/v1/models/fraud/samples" % port, data=body,
                                 headers={"Content-Type": "application/x-ndjson"}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return 0

def wait_listening(p):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and p.poll() is None:
        try:
            urllib.request.urlopen("http://127.0.0.1:%d/readyz" % port, timeout=5).read()
            return True
        except OSError:
            time.sleep(0.01)
    return False

expect = 0      # samples the open window must hold: acknowledged, modulo closed windows
unacked = 0     # one batch sent whose answer never came: it may or may not be stored
kills = {"compaction": 0, "timer": 0, "runtime": 0, "partial": 0}
next_batch = 0
for rnd_i in range(rounds + 1):
    p, off = start()
    last = rnd_i == rounds
    mode = rnd.choice(["startup", "startup", "runtime", "runtime", "runtime", "timer"])
    plan = {"mode": mode, "deadline": time.monotonic() + (60 if mode == "runtime" else rnd.uniform(0.3, 3.0))}
    result = {}
    pushing = threading.Event()
    if not last:
        t = threading.Thread(target=watch, args=(p, plan, result, pushing))
        t.start()
    got = recovered_since(off, p)
    if got is not None:
        # The window is tumbling: a kill between a batch's commit and the close that follows it
        # leaves a full window (1000), which the next sample closes. The batch in flight was
        # never acknowledged: none, all, or (SIGKILL can cut a write() short, and the torn record
        # is cut at the next open) its first k records may have been stored.
        ok = {(expect + k) % W for k in range(unacked + 1)}
        if got % W not in ok or got > W:
            fail("round %d: restored %d samples, expected %d + 0..%d (mod %d)" % (rnd_i, got, expect, unacked, W))
        if got % W not in {expect % W, (expect + unacked) % W}:
            kills["partial"] += 1
        expect, unacked = got, 0
    if last:
        if got is None or not wait_listening(p):
            fail("the final start did not come up")
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=60)
        break
    if wait_listening(p):
        pushing.set()
        while True:
            body = batches[next_batch % len(batches)]
            next_batch += 1
            code = push(body)
            if code != 202:
                unacked = BATCH if code == 0 else 0
                break
            expect += BATCH
    t.join()
    p.wait()
    kills[result.get("how", "timer")] += 1
    if result.get("how") == "compaction" and mode == "runtime":
        kills["runtime"] += 1
    if os.environ.get("DW_FAULT_VERBOSE"):
        print("round %d: recovered %s, pushed up to batch %d, %s, killed by %s" % (rnd_i, got, next_batch, mode,
                                                                               result))
print("%d kills: %d during a compaction (%d of them while pushes ran), %d at a random time; %d batches of %d "
      "acknowledged or lost in flight; %d batch(es) in flight stored in part" % (rounds, kills["compaction"],
      kills["runtime"], kills["timer"], next_batch, BATCH, kills["partial"]))
if kills["compaction"] < rounds // 4 or kills["runtime"] < 2:
    fail("too few kills hit a compaction (%d of %d, %d while pushes ran)" % (kills["compaction"], rounds,
                                                                              kills["runtime"]))
PY
echo "ok"
