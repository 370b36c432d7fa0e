"""Known allocation sites: exact file:line, bytes and counts for every member
of the malloc family, and the edge cases behave exactly as without the shim."""
import subprocess
from mtlib import *

SRC_FILE = "known_sites.c"
plain = subprocess.run([prog("known_sites")], capture_output=True, text=True)
p, d, snaps = run([prog("known_sites")])
equal(p.returncode, 0, "exit code")
equal(p.stdout, plain.stdout, "output with and without the shim")
equal(p.stderr, "", "nothing on stderr")
equal(len(snaps), 1, "one snapshot at exit")

js = report("top", "-n", "0", snaps[0])
rows = rows_by_line(js, SRC_FILE)


def site(tag, alloc_count, alloc_bytes, live_count, live_bytes):
    line = line_of(SRC_FILE, tag)
    r = rows.get(line)
    if not check(r is not None, f"{tag}: no row for {SRC_FILE}:{line}"):
        return
    got = (r["alloc_count"], r["alloc_bytes"], r["live_count"], r["live_bytes"])
    equal(got, (alloc_count, alloc_bytes, live_count, live_bytes), f"{tag} at line {line}")


site("leak1234", 1000, 1234000, 1000, 1234000)
site("freed4096", 500, 2048000, 0, 0)
site("realloc", 10, 5500, 1, 1000)
site("calloc", 10, 8000, 10, 8000)
site("posix_memalign", 1, 640, 1, 640)
site("aligned_alloc", 1, 256, 1, 256)
site("memalign", 1, 100, 1, 100)
site("valloc", 1, 100, 1, 100)
site("pvalloc", 1, 8192, 1, 8192)
site("reallocarray", 1, 300, 1, 300)
site("malloc0", 1, 0, 0, 0)
site("realloc_null", 1, 77, 1, 77)

# Failed allocations are not recorded: no row may sit on those lines.
src = open(os.path.join(SRC, SRC_FILE)).read().splitlines()
for needle in ("calloc(half, 4)", "malloc(huge)", "reallocarray(NULL, half, 3)",
               "realloc(sink[1030], huge)"):
    line = next(i for i, t in enumerate(src, 1) if needle in t)
    r = rows.get(line)
    check(r is None or r["alloc_count"] == 0, f"failed call at line {line} was recorded: {r}")

# leaks: the same live figures, sorted by live bytes, first the 1000 blocks.
lk = report("leaks", "-n", "0", snaps[0])
first = lk["rows"][0]
equal((first["line"], first["live_count"], first["live_bytes"]),
      (line_of(SRC_FILE, "leak1234"), 1000, 1234000), "leaks: first row")
check(all(r["live_count"] > 0 for r in lk["rows"]), "leaks lists only live sites")

# Raw file: header totals agree with the per-stack counters.
h, _, stacks = read_raw(snaps[0])
equal(h["current_bytes"], sum(s["live_bytes"] for s in stacks), "current = sum of live")
equal(h["total_allocs"], sum(s["alloc_count"] for s in stacks), "total = sum of allocs")
check(h["peak_bytes"] >= h["current_bytes"], "peak >= current")
equal(h["reason"], 1, "reason exit")
equal(h["program_str"], prog("known_sites"), "program path")
done()
