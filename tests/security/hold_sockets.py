"""Opens N idle TCP connections to HOST:PORT (from SOURCE, an address of this machine), writes
'open N' to READY_FILE, and closes them all when RELEASE_FILE appears. Used to fill the agent's
connection limits without sending a byte."""
import os
import socket
import sys
import time

host, port, source, n, ready_file, release_file = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6]
socks = [socket.create_connection((host, port), timeout=30, source_address=(source, 0)) for _ in range(n)]
with open(ready_file + ".tmp", "w") as f:
    f.write("open %d\n" % len(socks))
os.rename(ready_file + ".tmp", ready_file)
deadline = time.monotonic() + 240
while not os.path.exists(release_file) and time.monotonic() < deadline:
    time.sleep(0.05)
for s in socks:
    s.close()
