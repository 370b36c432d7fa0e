"""8 threads freeing each other's blocks: exact totals per site."""
from mtlib import *

p, d, snaps = run([prog("threads")])
equal(p.returncode, 0, "exit code")
equal(len(snaps), 1, "one snapshot")
rows = rows_by_line(report("top", "-n", "0", snaps[0]), "threads.c")
a = rows.get(line_of("threads.c", "thread_alloc"))
l = rows.get(line_of("threads.c", "thread_leak"))
if check(a is not None and l is not None, "both sites reported"):
    equal((a["alloc_count"], a["live_count"], a["live_bytes"]), (160000, 0, 0), "thread_alloc")
    # sizes 48 + (r % 5) * 16 over 20000 rounds per thread: mean 80 bytes
    equal(a["alloc_bytes"], 8 * 20000 * 80, "thread_alloc bytes")
    equal((l["alloc_count"], l["live_count"], l["live_bytes"]), (800, 800, 800 * 333), "thread_leak")
h, _, stacks = read_raw(snaps[0])
equal(h["current_bytes"], sum(s["live_bytes"] for s in stacks), "current = sum of live")
equal(h["total_allocs"] - h["total_frees"], h["current_blocks"], "allocs - frees = live blocks")
done()
