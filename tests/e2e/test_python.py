"""Python frames (CPython 3.11-3.13), for Debian's /usr/bin/python3 and
pyenv's 3.12 and 3.13 when present: live bytes per Python line agree with
tracemalloc's within 5% (a snapshot while three known lines hold memory, one
after the third was freed, the exit snapshot, the peak); two threads'
allocations land on their own lines under their own tracebacks (threading's
run/_bootstrap frames); the pymalloc knob (PYTHONMALLOC=malloc unless the
user chose, MTRACE_PYMALLOC=1, MTRACE_PYTHON=0); the mtrace API module."""
from pylib import *

LINES = script("lines.py")
THREADS = script("threads.py")
KNOB = script("knob.py")
API = script("api.py")
TOL = 0.05


def lines_vs_tracemalloc(ver, py):
    tag = f"[{ver} lines]"
    ln = {t: py_line_of(LINES, t) for t in "ABC"}
    tm = run_plain([py, "-X", "tracemalloc", LINES, "tracemalloc"])
    if not equal((tm.returncode, tm.stderr), (0, ""), f"{tag} runs under tracemalloc"):
        return
    ref = json_lines(tm.stdout)                 # {"abc": {line: size}, "end": {...}}
    want = {t: ref["abc"].get(str(n)) for t, n in ln.items()}
    want_end = {t: ref["end"].get(str(n)) for t, n in ln.items()}
    if not check(None not in want.values(), f"{tag} tracemalloc saw A, B and C: {want}"):
        return
    # Sanity of the reference itself: the sizes the script asks for.
    check(50e6 <= want["A"] < 50e6 + 4096 and 20e6 <= want["C"] < 20e6 + 4096
          and 1e6 < want["B"] < 4e6, f"{tag} tracemalloc's sizes: {want}")
    check(want_end["C"] is None, f"{tag} tracemalloc: C freed before the second snapshot")

    p, d, snaps = run_py([py, LINES, "mtrace"])
    equal((p.returncode, p.stderr), (0, ""), f"{tag} runs clean under the shim")
    paths = json_lines(p.stdout)
    if not check({"abc", "end"} <= set(paths), f"{tag} snapshot paths printed: {p.stdout!r}"):
        return

    # While A, B and C are alive: live bytes by line, keyed file.py:LINE.
    h = header(paths["abc"])
    equal(h["reason"], 4, f"{tag} first snapshot taken by the API")
    rows = rows_by_line(rep("leaks", "-n", "0", paths["abc"]), LINES)
    for t, n in ln.items():
        r = rows.get(n)
        if check(r is not None, f"{tag} {t}: no row for lines.py:{n}"):
            equal(r["key"], f"{LINES}:{n}", f"{tag} {t}: row key")
            within(r["live_bytes"], want[t], TOL, f"{tag} {t} live, all alive, vs tracemalloc")
            raw = raw_python_site(paths["abc"], LINES, n)
            equal({k: r[k] for k in COUNTERS}, raw, f"{tag} {t}: the row is the raw stacks' sum")

    # After `del tmp`: A and B still live, C not, but counted in total and at
    # the peak (read raw: the rows above are the raw sums, and the reporter
    # is slow on interpreters with debug information).
    end = {t: raw_python_site(paths["end"], LINES, n) for t, n in ln.items()}
    for t in "AB":
        within(end[t]["live_bytes"], want_end[t], TOL, f"{tag} end: {t} still live, vs tracemalloc")
    equal((end["C"]["live_bytes"], end["C"]["live_count"]), (0, 0), f"{tag} end: C freed")
    within(end["C"]["alloc_bytes"], want["C"], TOL, f"{tag} end: C counted in allocated bytes")
    within(end["C"]["peak_bytes"], want["C"], TOL, f"{tag} end: C held at the peak")
    h = header(paths["end"])
    check(h["peak_bytes"] >= 0.95 * sum(want.values()), f"{tag} end: header peak {h['peak_bytes']}")
    check(h["current_bytes"] <= h["peak_bytes"] - 0.95 * want["C"],
          f"{tag} end: current {h['current_bytes']} lacks C (peak {h['peak_bytes']})")

    # The exit snapshot, written after the interpreter's finalization (which
    # frees the module's objects, so A and B are no longer live there):
    # everything counted as allocated, `peak` shows A, B and C at the peak.
    exits = [s for s in snaps_of(snaps, py) if header(s)["reason"] == 1]
    if not equal(len(exits), 1, f"{tag} one exit snapshot"):
        return
    h = header(exits[0])
    check(h["total_bytes"] >= 0.95 * sum(want.values()), f"{tag} exit: total {h['total_bytes']}")
    peak = rows_by_line(rep("peak", "-n", "0", exits[0]), LINES)
    for t in "ABC":
        r = peak.get(ln[t])
        if check(r is not None, f"{tag} exit: {t} not in the peak report"):
            within(r["peak_bytes"], want[t], TOL, f"{tag} exit: {t} held at the peak")
            if t == "B":        # the list's storage grew by realloc: more than is live
                check(r["alloc_bytes"] >= want[t] * (1 - TOL), f"{tag} exit: B allocated {r['alloc_bytes']}")
            else:
                within(r["alloc_bytes"], want[t], TOL, f"{tag} exit: {t} allocated")
    if ln["C"] in peak:
        equal(peak[ln["C"]]["live_count"], 0, f"{tag} exit: C not live")


def threads(ver, py):
    tag = f"[{ver} threads]"
    p, d, snaps = run_py([py, THREADS])
    equal((p.returncode, p.stderr), (0, ""), f"{tag} runs clean")
    out = json_lines(p.stdout)
    if not check(out.get("kept") == ["bytes", "lists"], f"{tag} both threads ran: {p.stdout!r}"):
        return
    snap = out["snap"]
    stacks = rep("top", "--group-by", "stack", "-n", "0", snap)["rows"]
    for name, fn, size in (("T_bytes", "make_bytes", 2000 * 10000), ("T_lists", "make_lists", 500 * 1250 * 8)):
        line = py_line_of(THREADS, name)
        r = raw_python_site(snap, THREADS, line)
        within(r["live_bytes"], size, TOL, f"{tag} {name}: live bytes at line {line}")
        check(r["live_count"] >= (2000 if name == "T_bytes" else 500),
              f"{tag} {name}: live blocks {r['live_count']}")
        # The traceback: the thread's function, then threading's frames.
        mine = [r for r in stacks if r["stack"] and r["stack"][0]["python"]
                and r["stack"][0]["file"] == THREADS and r["stack"][0]["line"] == line]
        if not check(mine, f"{tag} {name}: no --group-by stack row at line {line}"):
            continue
        r = max(mine, key=lambda r: r["live_bytes"])
        within(r["live_bytes"], size, TOL, f"{tag} {name}: live bytes of its traceback")
        got = [(f["function"], os.path.basename(f["file"] or ""), f["python"]) for f in r["stack"]]
        equal(got, [(fn, "threads.py", True), ("Thread.run", "threading.py", True),
                    ("Thread._bootstrap_inner", "threading.py", True),
                    ("Thread._bootstrap", "threading.py", True)], f"{tag} {name}: traceback")


def knob(ver, py):
    tag = f"[{ver} knob]"
    small = py_line_of(KNOB, "small")
    plain = run_plain([py, KNOB])
    equal(json_lines(plain.stdout).get("PYTHONMALLOC", "?"), None, f"{tag} untraced: PYTHONMALLOC unset")
    cases = (("default", {}, "malloc", True),
             ("MTRACE_PYMALLOC=1", {"MTRACE_PYMALLOC": "1"}, None, False),
             ("user PYTHONMALLOC=pymalloc", {"PYTHONMALLOC": "pymalloc"}, "pymalloc", False),
             ("MTRACE_PYTHON=0", {"MTRACE_PYTHON": "0"}, "", True))
    for name, env, expect, per_object in cases:
        p, d, snaps = run_py([py, KNOB], env=env)
        equal((p.returncode, p.stderr), (0, ""), f"{tag} {name}: runs clean")
        out = json_lines(p.stdout)
        equal(out.get("n"), 10000, f"{tag} {name}: output")
        if expect != "":
            equal(out.get("PYTHONMALLOC", "?"), expect, f"{tag} {name}: PYTHONMALLOC in the script")
        mine = snaps_of(snaps, py)
        if not equal(len(mine), 1, f"{tag} {name}: one snapshot"):
            continue
        files, nstacks = python_files(mine[0])
        if name == "MTRACE_PYTHON=0":
            equal((frame_kinds(mine[0]), nstacks), ({0}, 0), f"{tag} {name}: no Python frames")
            dump_ok(mine[0])
            continue
        check(nstacks > 100, f"{tag} {name}: stacks with Python frames: {nstacks}")
        # Without pymalloc every dict is a malloc call; with it, only the
        # list's storage is (pymalloc's arenas are mmap'd).
        n = raw_python_site(mine[0], KNOB, small)["alloc_count"]
        if per_object:
            check(n >= 10000, f"{tag} {name}: every dict seen at knob.py:{small}: {n}")
        else:
            check(0 < n < 1000, f"{tag} {name}: pymalloc on: {n} mallocs at knob.py:{small}")


def api(ver, py):
    tag = f"[{ver} api]"
    p, d, snaps = run_py([py, API])
    equal((p.returncode, p.stderr), (0, ""), f"{tag} runs clean")
    o = json_lines(p.stdout)
    if not check(o.get("tracing") is True and "c1" in o, f"{tag} is_tracing() under the shim: {p.stdout!r}"):
        return
    n, slack = o["N"], 64 * 1024
    check(0 <= o["c1"] - o["c0"] - n < slack, f"{tag} current grew by ~N: {o['c0']} -> {o['c1']}")
    check(o["p1"] >= o["c1"], f"{tag} peak {o['p1']} >= current {o['c1']}")
    check(o["c1"] - o["c2"] >= n and abs(o["c2"] - o["c0"]) < slack,
          f"{tag} current dropped after the free: {o['c1']} -> {o['c2']}")
    check(o["p2"] >= o["c1"], f"{tag} peak kept after the free: {o['p2']}")
    check(o["c3"] <= o["p3"] < o["c3"] + slack and o["p3"] < o["c1"],
          f"{tag} reset_peak: peak {o['p3']} current {o['c3']}")
    path = o["path"]
    if check(os.path.isfile(path) and os.path.dirname(path) == d,
             f"{tag} take_snapshot() returned an existing file in MTRACE_OUT's directory: {path}"):
        h = header(path)
        equal(h["reason"], 4, f"{tag} snapshot written by the API")
        check(path in snaps, f"{tag} the returned path is one of the snapshots: {snaps}")
        check(h["peak_bytes"] < o["c1"], f"{tag} snapshot's peak after reset_peak: {h['peak_bytes']}")
        r = raw_python_site(path, API, py_line_of(API, "api_alloc"))
        check(n <= r["alloc_bytes"] < n + slack and r["live_bytes"] < slack,
              f"{tag} the N bytes at api.py:@api_alloc, freed: {r}")
    p = run_plain([py, API])
    equal((p.returncode, p.stderr), (0, ""), f"{tag} without the shim: runs clean")
    equal(json_lines(p.stdout), {"tracing": False, "take_snapshot": "NotLoadedError",
                                 "get_traced_memory": "NotLoadedError", "reset_peak": "NotLoadedError"},
          f"{tag} without the shim: is_tracing() False, NotLoadedError")


for ver, py in interpreters():
    lines_vs_tracemalloc(ver, py)
    threads(ver, py)
    knob(ver, py)
    api(ver, py)
done()
