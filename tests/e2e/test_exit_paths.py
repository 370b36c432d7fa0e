"""Exit paths: return from main, exit() from a thread, atexit handlers and a
library destructor that free memory (not leaks); exit status unchanged."""
from mtlib import *

for mode, status in (("", 7), ("thread", 3)):
    p, d, snaps = run([prog("exits"), mode])
    equal(p.returncode, status, f"[{mode}] exit status")
    if not equal(len(snaps), 1, f"[{mode}] one snapshot"):
        continue
    js = report("top", "-n", "0", snaps[0])
    rows = rows_by_line(js, "exits.c")
    lib_rows = rows_by_line(js, "libdtor.c")
    a = rows.get(line_of("exits.c", "atexit_block"))
    b = lib_rows.get(line_of("libdtor.c", "libdtor_block"))
    if check(a is not None, f"[{mode}] atexit block seen"):
        equal((a["alloc_count"], a["live_count"]), (1, 0), f"[{mode}] freed by atexit handler")
    if check(b is not None, f"[{mode}] library block seen"):
        equal((b["alloc_count"], b["live_count"]), (1, 0), f"[{mode}] freed by library destructor")
    if mode == "thread":
        t = rows.get(line_of("exits.c", "thread_exit_leak"))
        if check(t is not None, "thread's block seen"):
            equal((t["live_count"], t["live_bytes"]), (1, 4321), "block live at exit()")
done()
