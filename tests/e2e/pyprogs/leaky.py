"""Python under a CI leak gate (test_python_leaks.py):
  leaky.py clean    json, re, threads, a class: nothing of its own left over
  leaky.py ext      a C extension (pyext/mtext.c) mallocs and loses 1,000,000 bytes
  leaky.py growth   a module-level cache grows by ~4 MB between two snapshots,
                    which it prints as JSON; at exit Python frees it (so it is
                    no leak at exit: only the growth gate sees it)."""
import json
import re
import sys
import threading

mode = sys.argv[1] if len(sys.argv) > 1 else "clean"


class Item:
    def __init__(self, n):
        self.n = n
        self.name = f"item-{n}"


def work():
    items = [Item(i) for i in range(2000)]
    text = json.dumps([{"n": i.n, "name": i.name} for i in items])
    return len(re.findall(r"item-\d+", text)) + len(json.loads(text))


out = {"work": work()}
t = threading.Thread(target=work)
t.start()
t.join()

if mode == "ext":
    import mtext
    mtext.leak(1000000)       # mmap-sized: no stale pointer into fresh pages
elif mode == "growth":
    import mtrace
    cache = []
    out["before"] = mtrace.take_snapshot()
    for i in range(4000):
        cache.append("x" * 1000 + str(i))  # @py_grow
    out["after"] = mtrace.take_snapshot()
print(json.dumps(out))
