"""Sampling through every member of the malloc family (issue 6). With
MTRACE_SAMPLE_BYTES=1 every block is sampled with weight 1:
tests/progs/sampled_entries.c must then report exactly what exact mode
reports, site by site (allocations, bytes, and what is live at exit, so
every free was seen), and print the same checksum as without the shim
(realloc keeps the contents, calloc zeroes). At 4 KiB and 64 KiB most
blocks are not sampled and still no freed site keeps anything live. And
the shim leaves glibc's heap as it is untraced: sampled requests reach
glibc unchanged, so the program's layout probe at the end (20,000 blocks
of mixed sizes from malloc, calloc and realloc: where each lies and its
usable size) hashes the same as untraced, in exact mode and at every
interval. (Sampled blocks used to be padded, which moved later blocks and
when glibc trimmed its heap: hundreds of page faults more or fewer.)"""
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
probe = subprocess.run([PROG, "layout"], capture_output=True, text=True, timeout=120)
check(probe.returncode == 0 and re.fullmatch(r"layout [0-9a-f]{16}\n", probe.stderr),
      f"the layout probe runs untraced: {probe.stderr!r}")

p, d, snaps = run([PROG, "layout"], timeout=120)
equal((p.returncode, p.stdout, p.stderr, len(snaps)), (0, plain.stdout, probe.stderr, 1),
      "exact run: same output, same heap layout")
exact = sites(snaps[0]) if snaps else {}
for tag in LIVE:
    check(exact.get(tag) and exact[tag][2] == 300, f"exact: {tag} keeps 300 blocks: {exact.get(tag)}")
for tag in set(TAGS) - LIVE - {"e_fail", "e_realloc0"}:
    check(exact.get(tag) and exact[tag][0] >= 300 and exact[tag][2] == 0,
          f"exact: {tag} allocates and frees: {exact.get(tag)}")

p, d, snaps = run([PROG], env={"MTRACE_SAMPLE_BYTES": "1"}, timeout=120)
equal((p.returncode, p.stdout, p.stderr, len(snaps)), (0, plain.stdout, "", 1),
      "every block sampled: same output")
if snaps:
    est = sites(snaps[0])
    for tag in TAGS:
        equal(est[tag], exact.get(tag), f"{tag}: sampled at 1 byte counts as exact mode")

# 4 KiB keeps the live map's page table, 64 KiB puts every sampled block in
# its side table (livemap.c).
for interval in ("1", "4k", "64k", "512k"):
    p, d, snaps = run([PROG, "layout"], env={"MTRACE_SAMPLE_BYTES": interval}, timeout=120)
    equal((p.returncode, p.stdout, p.stderr, len(snaps)), (0, plain.stdout, probe.stderr, 1),
          f"sampled at {interval}: same output, same heap layout")
    if not snaps or interval in ("1", "512k"):
        continue
    est = sites(snaps[0])
    for tag in set(TAGS) - LIVE:
        r = est[tag]
        check(r is None or r[2:] == (0, 0), f"{interval}: {tag}: every sampled block's free seen: {r}")
    live = [est[tag] for tag in LIVE if est[tag]]
    check(sum(r[3] for r in live) > 0, f"{interval}: live blocks sampled: {live}")
done()
