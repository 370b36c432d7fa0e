"""Snapshots while running: by the C API, by signal (served while the program
sleeps, too), by timer; consecutive snapshots differ by exactly the growth at
the growing line and by nothing else above noise. Peak: what held memory at
the peak. A storm of 1000 signals under 8 allocating threads is harmless."""
from mtlib import *

GROW = line_of("growth.c", "grow")
STEP = 100 * 1000                 # GROW_BLOCKS * GROW_SIZE per iteration
REASON = {"signal": 2, "timer": 3, "api": 4}


def live_by_line(snap):
    return {ln: r["live_bytes"] for ln, r in rows_by_line(report("top", "-n", "0", snap), "growth.c").items()}


for mode in ("api", "signal", "timer"):
    env = {"MTRACE_INTERVAL": "0.2"} if mode == "timer" else {}
    p, d, snaps = run([prog("growth"), mode], env=env, timeout=60)
    equal((p.returncode, p.stdout.strip()), (0, "done 1"), f"[{mode}] runs, API sees the bytes")
    heads = [(read_raw(s)[0], s) for s in snaps]
    taken = sorted((h["sequence"], s) for h, s in heads if h["reason"] == REASON[mode])
    exits = [s for h, s in heads if h["reason"] == 1]
    equal(len(exits), 1, f"[{mode}] one exit snapshot")
    if mode == "timer":
        check(len(taken) >= 3, f"[{mode}] at least 3 timed snapshots, got {len(taken)}")
    else:
        equal(len(taken), 4, f"[{mode}] one snapshot per iteration")
    series = [live_by_line(s) for _, s in taken]
    for a, b in zip(series, series[1:]):
        grow = b.get(GROW, 0) - a.get(GROW, 0)
        if mode == "timer":
            # The timer is not synchronized with the loop: it may fire inside
            # grow(), so only whole blocks and no shrinking are certain.
            check(grow % 1000 == 0 and grow >= 0, f"[{mode}] growth in whole blocks: {grow}")
        else:
            equal(grow, STEP, f"[{mode}] growth between snapshots at line {GROW}")
        others = {ln: b.get(ln, 0) - a.get(ln, 0) for ln in set(a) | set(b) if ln != GROW}
        check(all(abs(v) <= 4096 for v in others.values()), f"[{mode}] no other growth: {others}")
    if mode != "timer" and series:
        equal(series[0].get(GROW), STEP, f"[{mode}] first snapshot holds one iteration")
        # mtrace-report diff shows that growth at that line and nothing else.
        df = report("diff", taken[0][1], taken[-1][1])
        rows = [(r["line"], r["size"], r["size_diff"], r["count_diff"], r["status"]) for r in df["rows"]
                if abs(r["size_diff"]) > 4096]
        equal(rows, [(GROW, 4 * STEP, 3 * STEP, 300, "changed")], f"[{mode}] diff first..last")
    if exits:
        equal(live_by_line(exits[0]).get(GROW), 4 * STEP, f"[{mode}] at exit: all iterations")

# Peak: 100 MB at A (freed), then 10 MB at B.
p, d, snaps = run([prog("growth"), "peak"])
equal(p.returncode, 0, "peak: exit code")
h, _, _ = read_raw(snaps[0])
check(100 << 20 <= h["peak_bytes"] < (100 << 20) + (1 << 16), f"peak bytes {h['peak_bytes']}")
pk = report("peak", "-n", "1", snaps[0])["rows"][0]
equal((pk["line"], pk["peak_bytes"], pk["peak_count"]), (line_of("growth.c", "peak_a"), 100 << 20, 1),
      "peak: line A held 100 MB")
top = report("leaks", "-n", "1", snaps[0])["rows"][0]
equal((top["line"], top["live_bytes"]), (line_of("growth.c", "peak_b"), 10 << 20), "at exit: line B")
check(h["peak_rss_bytes"] >= 100 << 20, f"peak RSS recorded: {h['peak_rss_bytes']}")

# reset_peak(): the peak restarts from the current size.
p, d, snaps = run([prog("growth"), "reset"])
equal(p.stdout.strip(), "peak before 1 after 1 current 1", "mtrace_reset_peak")
h, _, _ = read_raw(snaps[0])
check(h["peak_bytes"] < 2 << 20, f"snapshot peak after reset: {h['peak_bytes']}")

# Signal storm.
p, d, snaps = run([prog("growth"), "storm"], timeout=120)
equal((p.returncode, p.stdout.strip()), (0, "storm done"), "storm: no crash, no deadlock")
check(len(snaps) >= 2, f"storm: snapshots written ({len(snaps)})")
for s in snaps:
    read_raw(s)
    report("top", s)
done()
