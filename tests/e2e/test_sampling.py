"""Sampling mode (MTRACE_SAMPLE_BYTES, issue 6): Poisson sampling over
allocated bytes with unbiased estimates. On tests/progs/sampled.c (known
totals per site, sizes from 24 B to 8 MiB, reallocs and pvalloc among
them) every site holding 1% of the bytes has its estimated bytes and
allocations, and the live bytes at exit, within 10% of the exact figures
(also after the program asked for 2^63 bytes and more, which must not
stall the countdown);
the header records the interval; `on` picks the default 512 KiB; the leak
scan is off (unsampled blocks are invisible to it) and says why only when
the gate was asked for; a snapshot on the signal is written by the next
call, whose fast path would otherwise skip it."""
from mtlib import *

SAMPLED = prog("sampled")
SITES = {  # tag: (bytes allocated, allocations, live bytes at exit)
    "s_tiny": (24 * 4000000, 4000000, 0),
    "s_small": (1000 * 200000, 200000, 0),
    "s_mid": (20000 * 10000, 10000, 0),
    "s_big": (300000 * 1000, 1000, 0),
    "s_huge": ((8 << 20) * 24, 24, 0),
    "s_live": (2048 * 20000, 20000, 2048 * 20000),
    "s_grow_from": (1000 * 50000, 50000, 0),
    "s_grow": (4000 * 50000, 50000, 0),
    "s_moved_from": (100 * 10000, 10000, 0),
    "s_moved": (4096 * 10000, 10000, 4096 * 10000),
    "s_pvalloc": (4096 * 20000, 20000, 0),
}
SMALL = {"s_moved_from"}  # under 1% of the total: not held to 10%
TOTAL = sum(v[0] for v in SITES.values())


def sites(snap):
    rows = rows_by_line(report("top", "-n", "0", snap), "sampled.c")
    return {tag: rows.get(line_of("sampled.c", tag)) for tag in SITES}


def near(est, exact, what, tol=0.10):
    check(exact * (1 - tol) <= est <= exact * (1 + tol),
          f"{what}: estimate {est:,} within {tol:.0%} of {exact:,} ({est / max(exact, 1) - 1:+.1%})")


p, d, snaps = run([SAMPLED], timeout=120)
equal((p.returncode, len(snaps)), (0, 1), "exact run")
exact = sites(snaps[0])
for tag, (b, n, live) in SITES.items():
    r = exact[tag]
    equal(r and (r["alloc_bytes"], r["alloc_count"], r["live_bytes"]), (b, n, live),
          f"exact mode counts {tag} exactly")

# 16 KiB: every site holds >= 4% of the total, so >= 2,500 samples each
# (sigma <= 2%): 10% is five sigmas and more.
p, d, snaps = run([SAMPLED], env={"MTRACE_SAMPLE_BYTES": "16k"}, timeout=120)
equal((p.returncode, len(snaps)), (0, 1), "sampled run")
h, _, _ = read_raw(snaps[0])
extra, _, _ = read_timeline(snaps[0])
equal(extra.get("sample_bytes"), 16384, "the header records the interval")
scan, _, _ = read_leaks(snaps[0])
equal(scan and scan["status"], 0, "no leak scan under sampling")
est = sites(snaps[0])
for tag, (b, n, live) in SITES.items():
    r = est[tag]
    if tag in SMALL:
        check(b < TOTAL // 100, f"{tag} holds < 1% of the total")
        continue
    check(r is not None, f"{tag} was sampled")
    if r is None:
        continue
    check(b >= TOTAL // 100, f"{tag} holds >= 1% of the total")
    near(r["alloc_bytes"], b, f"{tag} bytes")
    near(r["alloc_count"], n, f"{tag} allocations")
    if live:
        near(r["live_bytes"], live, f"{tag} live bytes at exit")
    else:  # a free takes back exactly what its sampled block added
        equal(r["live_bytes"], 0, f"{tag}: nothing live at exit")
near(h["total_bytes"], TOTAL, "total bytes", 0.05)
near(h["current_bytes"], 2048 * 20000 + 4096 * 10000, "live bytes at exit")
# The reports say the figures are estimates.
js = report("top", snaps[0])
equal(js["snapshots"][0].get("sample_bytes"), 16384, "JSON: sample_bytes")
txt = subprocess.run([REPORT, "top", snaps[0]], capture_output=True, text=True, timeout=120).stdout
check(re.search(r"sampled\s+every 16\.0 KiB allocated on average", txt) is not None,
      f"the table says it was sampled:\n{txt[:800]}")

p, d, snaps = run([SAMPLED], env={"MTRACE_SAMPLE_BYTES": "on"}, timeout=120)
extra = read_timeline(snaps[0])[0] if snaps else {}
equal(extra.get("sample_bytes"), 512 * 1024, "MTRACE_SAMPLE_BYTES=on: 512 KiB")
equal(p.stderr, "", "sampling alone says nothing")

p, d, snaps = run([SAMPLED], env={"MTRACE_SAMPLE_BYTES": "1m", "MTRACE_LEAK_CHECK": "1"},
                  timeout=120)
check("MTRACE_LEAK_CHECK needs every allocation traced" in p.stderr,
      f"the gate says it is off under sampling: {p.stderr!r}")
equal(p.returncode, 0, "and the program's status is its own")

# A snapshot asked for by the signal is written by the next hook call,
# though under sampling the hooks' fast paths send that malloc(16) and its
# free straight to glibc when nothing is pending.
p, d, snaps = run([prog("sigview")], env={"MTRACE_SAMPLE_BYTES": "on"})
equal(p.returncode, 0, f"sigview runs under sampling: {p.stderr!r}")
reasons = sorted(read_raw(s)[0]["reason"] for s in snaps)
equal(reasons, [1, 2], "under sampling too: a snapshot on the signal, one at exit")

p, d, snaps = run([SAMPLED], env={"MTRACE_SAMPLE_BYTES": "lots"}, timeout=120)
check("ignoring MTRACE_SAMPLE_BYTES=lots" in p.stderr, f"a bad value is named: {p.stderr!r}")
extra = read_timeline(snaps[0])[0] if snaps else {}
equal(extra.get("sample_bytes"), 0, "and exact mode kept")
done()
