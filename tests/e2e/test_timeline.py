"""Memory over time (issue 10): tests/progs/timeline.c holds 50 MiB for a
second, frees it and holds 10 MiB. The series in the exit snapshot keeps
the 50 MiB maximum (within 2%) at a time inside the hold, ends near 10 MiB,
places the peak (header peak_allocs) on the point holding it, carries the
labels in order, and no thread was started for it. With a 5 ms interval and
a 32-point buffer over ~3 s the series is merged but still covers the whole
run and keeps the maximum."""
import json
from mtlib import *

TL = prog("timeline")
MIB = 1 << 20


def trace(args, env):
    p, d, snaps = run([TL] + args, env=env, timeout=60)
    equal(p.returncode, 0, "timeline ran")
    facts = json.loads(p.stdout)
    if not equal(len(snaps), 1, "one exit snapshot"):
        done()
    h, _, _ = read_raw(snaps[0])
    extra, points, labels = read_timeline(snaps[0])
    t0 = h["start_time_ns"] / 1e9
    for k in ("big_from", "big_held", "big_to", "end"):
        facts[k] -= t0
    return facts, h, extra, points, labels


def common(facts, h, extra, points, labels, what):
    check(len(points) >= 3, f"{what}: a series ({len(points)} points)")
    if len(points) < 3:
        return
    top = max(points, key=lambda p: p["max"])
    check(abs(top["max"] - 50 * MIB) <= 0.02 * 50 * MIB,
          f"{what}: the maximum is 50 MiB within 2%: {top['max']}")
    check(facts["big_from"] - 0.01 <= top["max_time"] <= facts["big_to"] + 0.01,
          f"{what}: at a time inside the hold [{facts['big_from']:.3f}, {facts['big_to']:.3f}]: "
          f"{top['max_time']:.3f}")
    last = points[-1]
    check(abs(last["traced"] - 10 * MIB) <= 0.02 * 10 * MIB,
          f"{what}: the last point holds 10 MiB: {last['traced']}")
    check(last["time"] >= facts["end"] - 0.02, f"{what}: the series reaches the end: "
          f"{last['time']:.3f} vs {facts['end']:.3f}")
    check(points[0]["time"] <= facts["big_from"] + 0.05,
          f"{what}: and starts at the start: {points[0]['time']:.3f}")
    times = [p["time"] for p in points]
    check(times == sorted(times), f"{what}: points in time order")
    check(all(p["max"] >= p["traced"] for p in points), f"{what}: max >= traced everywhere")
    at_peak = next((p for p in points if p["allocs"] >= extra.get("peak_allocs", 0)), None)
    check(at_peak is not None and at_peak["max"] == h["peak_bytes"],
          f"{what}: peak_allocs {extra.get('peak_allocs')} falls on the point holding the "
          f"peak {h['peak_bytes']}: {at_peak}")
    check(any(p["rss"] >= 50 * MIB for p in points if p["time"] <= facts["big_to"] + 0.01)
          or top["time"] > facts["big_to"],
          f"{what}: RSS shows the 50 MiB while held: {[p['rss'] for p in points][:8]}")
    equal([l["text"] for l in labels], ["big", "small"], f"{what}: labels in order")
    if len(labels) == 2:
        check(labels[0]["time"] <= facts["big_from"] + 0.01 and
              facts["big_to"] - 0.01 <= labels[1]["time"] <= facts["end"],
              f"{what}: labels at their moments: {labels}")
        check(abs(labels[1]["traced"]) < MIB, f"{what}: 'small' put with ~0 traced: {labels[1]}")
    equal(facts["threads"], 1, f"{what}: no thread started for the timeline")


facts, h, extra, points, labels = trace([], {})
equal(extra.get("timeline_ms"), 100, "default interval 100 ms")
common(facts, h, extra, points, labels, "100 ms")
gaps = [b["time"] - a["time"] for a, b in zip(points, points[1:])]
check(gaps and min(gaps[:-1] or [0.1]) >= 0.095,
      f"at most one point per interval: {[round(g, 3) for g in gaps]}")

facts, h, extra, points, labels = trace(["2"], {"MTRACE_TIMELINE_MS": "5",
                                                "MTRACE_TIMELINE_POINTS": "32"})
check(len(points) <= 32, f"5 ms, 32 points: bounded ({len(points)})")
check(len(points) >= 16, f"5 ms, 32 points: merged, not emptied ({len(points)})")
common(facts, h, extra, points, labels, "5 ms, 32 points")

p, d, snaps = run([TL, "0.2"], env={"MTRACE_TIMELINE_MS": "0"}, timeout=60)
extra, points, labels = read_timeline(snaps[0]) if snaps else ({}, [1], [])
equal((len(points), extra.get("timeline_ms")), (0, 0), "MTRACE_TIMELINE_MS=0: no series")
equal([l["text"] for l in labels], ["big", "small"], "labels still kept without the series")
done()
