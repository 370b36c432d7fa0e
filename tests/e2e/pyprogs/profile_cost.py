"""The cost of a line profile on a function that spends its time in callees
(1,000 calls of callee(), 200,000 calls of leaf(), small ints only: the
callees allocate nothing, so the shim costs nothing here): `profile_cost.py MODE
[REPEAT]` prints {"mode": MODE, "seconds": best of REPEAT calls of work()}.

MODE: plain (no profile), mtrace (@mtrace.profile, sys.monitoring on 3.12+),
settrace (@mtrace.profile(backend="settrace")), mp (memory_profiler's
@profile, table to a StringIO)."""
import io
import json
import sys
import time

MODE = sys.argv[1]
REPEAT = int(sys.argv[2]) if len(sys.argv) > 2 else 3


def leaf(i):
    return i & 1


def callee(n):
    s = 0
    for i in range(n):
        s ^= leaf(i)
    return s


def work():
    total = 0
    for k in range(1000):
        total ^= callee(200)
    return total


if MODE == "mtrace":
    import mtrace
    run = mtrace.profile(work, format=None)
elif MODE == "settrace":
    import mtrace
    run = mtrace.profile(work, format=None, backend="settrace")
elif MODE == "mp":
    import memory_profiler
    run = memory_profiler.profile(work, stream=io.StringIO())
else:
    run = work

best = None
for _ in range(REPEAT):
    t = time.perf_counter()
    run()
    t = time.perf_counter() - t
    best = t if best is None else min(best, t)
print(json.dumps({"mode": MODE, "seconds": best}))
