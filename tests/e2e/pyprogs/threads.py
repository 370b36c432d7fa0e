"""Two threads allocating at known lines at the same time (test_python.py):
20 MB of bytes objects at @T_bytes, 5 MB of lists at @T_lists, kept until
the snapshot taken after both joined."""
import json
import sys
import threading

import mtrace

keep = {}
start = threading.Barrier(2)


def make_bytes():
    start.wait()
    out = []
    for i in range(2000):
        out.append(bytes(10000))  # @T_bytes
    keep["bytes"] = out


def make_lists():
    start.wait()
    out = []
    for i in range(500):
        out.append([None] * 1250)  # @T_lists
    keep["lists"] = out


sys.setswitchinterval(1e-5)         # interleave the two threads finely
threads = [threading.Thread(target=make_bytes), threading.Thread(target=make_lists)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps({"snap": mtrace.take_snapshot(), "kept": sorted(keep)}))
