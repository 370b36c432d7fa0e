"""The live map's side table (preload/sidetable.c: open addressing,
removals that shift a probe run back) holds every block of 256 KiB and
more. tests/progs/bigblocks.c keeps up to 3,000 of them live while it
frees and allocates in pseudo-random slots, then leaks one slot in ten:
the snapshot's allocations, bytes and leak must be exactly the program's
own count, in exact mode and with every block sampled (weight 1). A lost
or duplicated entry shows as a live block too many or too few."""
from mtlib import *

PROG = prog("bigblocks")
line = line_of("bigblocks.c", "big_block")

for mode, env in {"exact": {}, "sampled": {"MTRACE_SAMPLE_BYTES": "1"}}.items():
    p, d, snaps = run([PROG], env=env, timeout=300)
    if not check(p.returncode == 0 and len(snaps) == 1, f"{mode}: one snapshot ({p.stderr.strip()[-300:]})"):
        continue
    allocs, nbytes, left, left_bytes = map(int, p.stdout.split())
    check(left > 100 and allocs > 10000, f"{mode}: the program churned ({p.stdout.strip()})")
    row = rows_by_line(report("top", "-n", "0", snaps[0]), "bigblocks.c").get(line)
    if check(row is not None, f"{mode}: big_block reported"):
        equal((row["alloc_count"], row["alloc_bytes"], row["live_count"], row["live_bytes"]),
              (allocs, nbytes, left, left_bytes), f"{mode}: big_block counts")
    leaks = rows_by_line(report("leaks", "-n", "0", snaps[0]), "bigblocks.c").get(line)
    if check(leaks is not None, f"{mode}: big_block leaks reported"):
        equal((leaks["live_count"], leaks["live_bytes"]), (left, left_bytes), f"{mode}: the leak")

done()
