"""The C extension pyext/mtext.c under Python code (test_python_ext.py).

`ext.py work`: 10 MB malloc'd by C with the GIL released, called from
@py_hold and kept (a leak at exit); then a C-level malloc/free loop without
the GIL in one thread, the same loop in a pthread that has no Python thread
state, and two Python threads allocating at @py_worker, all at once.
`ext.py daemon`: daemon threads still allocating in Python code while the
interpreter shuts down.
`ext.py daemon_c`: the same with daemon threads in the C loop, which
allocates without the GIL while the main thread finalizes (frees their
thread states)."""
import json
import sys
import threading
import time

import mtext

MODE = sys.argv[1]
CHURN, NATIVE, WORKER = 30000, 20000, 20000


def hold_buffer():
    mtext.hold(10 * 1000 * 1000)  # @py_hold


def py_worker(results):
    keep = []
    for i in range(WORKER):
        keep.append("x" * (100 + i % 50))  # @py_worker
    results.append(len(keep))


def spin():
    while True:
        junk = [bytes(64) for _ in range(100)]  # @py_daemon


if MODE == "work":
    hold_buffer()  # @py_hold_call
    sys.setswitchinterval(1e-4)
    results = []
    threads = [threading.Thread(target=mtext.churn, args=(CHURN,)),
               threading.Thread(target=mtext.native_churn, args=(NATIVE,)),
               threading.Thread(target=py_worker, args=(results,)),
               threading.Thread(target=py_worker, args=(results,))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(json.dumps({"results": results}))
elif MODE == "paths":
    # Interleaved, from one Python line: 2,000 through the left path
    # (101 bytes), 1,000 through the right one (100 bytes).
    for i in range(3000):
        mtext.paths(100 if i % 3 == 0 else 101)  # @py_paths
    print(json.dumps({"paths": 3000}))
elif MODE in ("daemon", "daemon_c"):
    if MODE == "daemon_c":
        for _ in range(2):
            threading.Thread(target=mtext.churn, args=(10 ** 12,), daemon=True).start()
    for _ in range(2):
        threading.Thread(target=spin, daemon=True).start()
    time.sleep(0.05)
    print(json.dumps({"exiting": True}))
