"""Sampling through every member of the malloc family (issue 6). With
MTRACE_SAMPLE_BYTES=1 every block is sampled with weight 1:
tests/progs/sampled_entries.c must then report exactly what exact mode
reports, site by site (allocations, bytes, and what is live at exit, so
every free was seen), and print the same checksum as without the shim
(realloc keeps the contents, calloc zeroes). At 4 KiB and 64 KiB most
blocks are not sampled and still no freed site keeps anything live. From
64 KiB on, sampled blocks are padded so that glibc's chunk header marks
them, which lets an unsampled free skip the filter (sample.c): the
program's probe at the end finds padded blocks there, so no sampled block
of any entry came back unmarked (that turns marks off for good), and none
at 4 KiB, where the padding would cost too much of the heap."""
import re
import subprocess
from mtlib import *

SRC_FILE = "sampled_entries.c"
PROG = prog("sampled_entries")
TAGS = ["e_malloc", "e_calloc", "e_grow_from", "e_neighbour", "e_grow", "e_shrink", "e_fail",
        "e_realloc0", "e_reallocarray", "e_memalign", "e_posix_memalign", "e_aligned_alloc",
        "e_valloc", "e_pvalloc", "e_live_malloc", "e_live_calloc", "e_live_memalign",
        "e_live_from", "e_live_realloc", "e_live_pvalloc"]
LIVE = {"e_live_malloc", "e_live_calloc", "e_live_memalign", "e_live_realloc", "e_live_pvalloc"}


def sites(snap):
    rows = rows_by_line(report("top", "-n", "0", snap), SRC_FILE)
    out = {}
    for tag in TAGS:
        r = rows.get(line_of(SRC_FILE, tag))
        out[tag] = r and (r["alloc_count"], r["alloc_bytes"], r["live_count"], r["live_bytes"])
    return out


plain = subprocess.run([PROG], capture_output=True, text=True, timeout=120)
equal((plain.returncode, plain.stderr), (0, ""), "the program runs untraced")

p, d, snaps = run([PROG], timeout=120)
equal((p.returncode, p.stdout, len(snaps)), (0, plain.stdout, 1), "exact run")
exact = sites(snaps[0]) if snaps else {}
for tag in LIVE:
    check(exact.get(tag) and exact[tag][2] == 300, f"exact: {tag} keeps 300 blocks: {exact.get(tag)}")
for tag in set(TAGS) - LIVE - {"e_fail", "e_realloc0"}:
    check(exact.get(tag) and exact[tag][0] >= 300 and exact[tag][2] == 0,
          f"exact: {tag} allocates and frees: {exact.get(tag)}")

p, d, snaps = run([PROG], env={"MTRACE_SAMPLE_BYTES": "1"}, timeout=120)
equal((p.returncode, p.stdout, p.stderr, len(snaps)), (0, plain.stdout, "", 1),
      "every block sampled (and padded): same output")
if snaps:
    est = sites(snaps[0])
    for tag in TAGS:
        equal(est[tag], exact.get(tag), f"{tag}: sampled at 1 byte counts as exact mode")

# 4 KiB keeps the live map's page table, 64 KiB puts every sampled block in
# its side table (livemap.c).
for interval in ("4k", "64k"):
    p, d, snaps = run([PROG, "probe"], env={"MTRACE_SAMPLE_BYTES": interval}, timeout=120)
    equal((p.returncode, p.stdout, len(snaps)), (0, plain.stdout, 1), f"sampled at {interval}")
    m = re.fullmatch(r"padded (\d+)\n", p.stderr)
    if check(m is not None, f"{interval}: the probe's line: {p.stderr!r}"):
        if interval == "4k":
            equal(int(m.group(1)), 0, "4k: no padding under dense sampling")
        else:  # ~61 of 20,000 expected
            check(int(m.group(1)) > 0, f"64k: marks still on after every entry: {m.group(0)!r}")
    if not snaps:
        continue
    est = sites(snaps[0])
    for tag in set(TAGS) - LIVE:
        r = est[tag]
        check(r is None or r[2:] == (0, 0), f"{interval}: {tag}: every sampled block's free seen: {r}")
    live = [est[tag] for tag in LIVE if est[tag]]
    check(sum(r[3] for r in live) > 0, f"{interval}: live blocks sampled: {live}")
done()
