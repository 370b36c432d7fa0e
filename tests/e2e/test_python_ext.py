"""A C extension (pyext/mtext.c, built here per interpreter with its own
Python.h, -O0 -g) under Python code: 10 MB malloc'd by C with the GIL
released shows in the Python traceback view as ext.c:LINE <- script.py:LINE
in one row; by line it is the Python line's, with --native the C line's. A
C-level loop without the GIL, the same loop in a pthread without a Python
thread state and Python threads allocating, all at once: exact counts, each
stack with its own thread's frames only. Daemon threads still allocating
in Python code while the interpreter shuts down: a clean exit, also under
sampling (4 KiB), there also with daemon threads in C. Two C paths
of the same shape into one helper, interleaved from one Python line: each
stack keeps its own counts (the stack memo above the eval loop).

MTRACE_PY_STRESS=N also runs, N times per interpreter, daemon threads that
allocate in C without the GIL while the interpreter shuts down: the shim's
frame walker reads their frames while finalization frees and unmaps them.
About one run in a hundred crashed once (SIGSEGV in mt_python_walk, 3.11
and 3.12); unmaps now wait for walks in flight as frees do (unmap.c). Not
reproduced here since, in 180 runs before that change nor 120 after: off
by default, as a rare failure would make the suite flaky."""
from pylib import *

EXT = script("ext.py")
TEN_MB = 10 * 1000 * 1000
CHURN, NATIVE, WORKER = 30000, 20000, 20000     # as in ext.py


def fn_file(f):
    return (f["function"], os.path.basename(f["file"] or ""))


def work(ver, py, ext):
    """ext.py work: one run, one exit snapshot for hold() and mixed()."""
    p, d, snaps = run_py([py, EXT, "work"], pythonpath=[ext])
    equal((p.returncode, p.stderr), (0, ""), f"[{ver} ext] runs clean")
    equal(json_lines(p.stdout).get("results"), [WORKER, WORKER], f"[{ver} ext] output")
    mine = snaps_of(snaps, py)
    if equal(len(mine), 1, f"[{ver} ext] one snapshot"):
        hold(ver, mine[0])
        mixed(ver, mine[0])


def hold(ver, snap):
    tag = f"[{ver} ext hold]"
    c_line, py_line = py_line_of(PYEXT_SRC, "ext_hold"), py_line_of(EXT, "py_hold")
    # The Python traceback view: the C frame, then the Python frames, one row.
    rows = rep("top", "--group-by", "stack", "-n", "0", snap)["rows"]
    mine = [r for r in rows if any(f["line"] == c_line and os.path.basename(f["file"] or "") == "mtext.c"
                                   for f in r["stack"])]
    if check(len(mine) == 1, f"{tag} one --group-by stack row with mtext.c:{c_line}: {len(mine)}"):
        r = mine[0]
        equal((r["alloc_bytes"], r["alloc_count"], r["live_bytes"]), (TEN_MB, 1, TEN_MB),
              f"{tag} that row holds the 10 MB")
        st = r["stack"]
        equal([(fn_file(f), f["line"], f["python"]) for f in st[:3]],
              [(("hold", "mtext.c"), c_line, False), (("hold_buffer", "ext.py"), py_line, True),
               (("<module>", "ext.py"), py_line_of(EXT, "py_hold_call"), True)],
              f"{tag} traceback: C line, then the Python lines")
        check(len(st) == 3, f"{tag} no interpreter frames shown: {[fn_file(f) for f in st]}")
        check(f"mtext.c:{c_line}" in r["key"] and f"ext.py:{py_line}" in r["key"],
              f"{tag} the row key names both lines: {r['key']}")
    # By line: the Python line; with --native: the C line.
    by_line = rep("top", "-n", "0", snap)
    r = row_at(by_line, EXT, py_line)
    check(r is not None and TEN_MB <= r["alloc_bytes"] < TEN_MB + 4096 and r["live_bytes"] >= TEN_MB,
          f"{tag} by line: 10 MB at ext.py:{py_line}: {r and (r['alloc_bytes'], r['live_bytes'])}")
    check(row_at(by_line, PYEXT_SRC, c_line) is None, f"{tag} by line: no row for mtext.c:{c_line}")
    native = rep("top", "--native", "-n", "0", snap)
    r = row_at(native, PYEXT_SRC, c_line)
    check(r is not None and (r["alloc_bytes"], r["alloc_count"], r["live_bytes"]) == (TEN_MB, 1, TEN_MB),
          f"{tag} --native: 10 MB at mtext.c:{c_line}: {r and (r['alloc_bytes'], r['alloc_count'])}")
    r = row_at(native, EXT, py_line)
    check(r is None or r["alloc_bytes"] < 4096, f"{tag} --native: not at ext.py:{py_line}: {r}")


def mixed(ver, snap):
    tag = f"[{ver} ext mixed]"
    churn_line = py_line_of(PYEXT_SRC, "ext_churn")
    h, stacks = header(snap), raw_stacks(snap)
    equal(h["current_bytes"], sum(s["live_bytes"] for s in stacks), f"{tag} current = sum of live")
    equal(h["total_allocs"], sum(s["alloc_count"] for s in stacks), f"{tag} total = sum of allocs")
    # Tracebacks: the loop in a Python thread carries that thread's frames;
    # the pthread's (no thread state) carries no Python frame at all. Every
    # iteration of both loops is counted, none live.
    rows = rep("top", "--group-by", "stack", "-n", "0", snap)["rows"]
    shapes = {}
    for r in rows:
        if r["stack"] and fn_file(r["stack"][0]) == ("churn_loop", "mtext.c"):
            equal(r["stack"][0]["line"], churn_line, f"{tag} the loop's malloc line")
            key = tuple(fn_file(f)[0] for f in r["stack"]
                        if f["python"] or os.path.basename(f["file"] or "") == "mtext.c")
            n, live = shapes.get(key, (0, 0))
            shapes[key] = (n + r["alloc_count"], live + r["live_count"])
    equal(shapes.get(("churn_loop", "churn", "Thread.run", "Thread._bootstrap_inner", "Thread._bootstrap")),
          (CHURN, 0), f"{tag} the loop under the Python thread's traceback ({shapes})")
    equal(shapes.get(("churn_loop", "native_main")), (NATIVE, 0), f"{tag} the pthread's loop, no Python frames")
    equal(len(shapes), 2, f"{tag} no other traceback for the loop: {shapes}")
    leak_line = py_line_of(PYEXT_SRC, "ext_native_leak")
    leak = [(r["live_count"], r["live_bytes"], [f["python"] for f in r["stack"]].count(True)) for r in rows
            if r["stack"] and fn_file(r["stack"][0]) == ("native_main", "mtext.c") and r["stack"][0]["line"] == leak_line]
    equal(leak, [(1, 4321, 0)], f"{tag} the pthread's block, live, no Python frames")
    # The Python workers' line: at least one allocation per iteration, under
    # their own traceback (never the C loop's frames).
    wl = py_line_of(EXT, "py_worker")
    workers = [r for r in rows if r["stack"] and r["stack"][0]["python"]
               and r["stack"][0]["file"] == EXT and r["stack"][0]["line"] == wl]
    check(sum(r["alloc_count"] for r in workers) >= 2 * WORKER, f"{tag} workers' allocations")
    bad = [r["key"] for r in workers if [fn_file(f)[0] for f in r["stack"]]
           != ["py_worker", "Thread.run", "Thread._bootstrap_inner", "Thread._bootstrap"]]
    equal(bad, [], f"{tag} workers' tracebacks")


def paths(ver, py, ext):
    """Two C paths of the same shape into one helper, interleaved: each
    stack keeps its own allocations (the memo above the eval loop)."""
    tag = f"[{ver} ext paths]"
    p, d, snaps = run_py([py, EXT, "paths"], pythonpath=[ext])
    equal((p.returncode, p.stderr), (0, ""), f"{tag} runs clean")
    mine = snaps_of(snaps, py)
    if not equal(len(mine), 1, f"{tag} one snapshot"):
        return
    got = {}
    for r in rep("top", "--group-by", "stack", "-n", "0", mine[0])["rows"]:
        names = [f["function"] for f in r["stack"]]
        if "path_alloc" not in names:
            continue
        side = "left" if "path_left" in names else "right" if "path_right" in names else "?"
        c, b = got.get(side, (0, 0))
        got[side] = (c + r["alloc_count"], b + r["alloc_bytes"])
        check(r["stack"][names.index("path_alloc") + 2]["function"] == "paths",
              f"{tag} path_alloc <- path_{side} <- paths: {names[:4]}")
    equal(got, {"left": (2000, 2000 * 101), "right": (1000, 1000 * 100)},
          f"{tag} each path its own allocations and bytes")


def daemon(ver, py, ext, mode="daemon", runs=1, env=None):
    tag = f"[{ver} ext {mode}{' sampled' if env else ''}]"
    plain = run_plain([py, EXT, mode], pythonpath=[ext])
    crashed = 0
    for i in range(runs):
        p, d, snaps = run_py([py, EXT, mode], pythonpath=[ext], env=env)
        if (p.returncode, p.stdout, p.stderr) != (plain.returncode, plain.stdout, ""):
            crashed += 1
            check(False, f"{tag} #{i}: exit {p.returncode} (untraced {plain.returncode}), "
                         f"stderr {p.stderr[-300:]!r}")
            continue
        mine = snaps_of(snaps, py)
        if runs == 1 and equal(len(mine), 1, f"{tag}: one snapshot"):
            check(python_files(mine[0])[1] > 0, f"{tag}: Python frames")
            dump_ok(mine[0])
    if runs > 1:
        print(f"{tag}: {crashed} of {runs} runs failed")


for ver, py in interpreters():
    ext = build_ext(py)
    if ext:
        work(ver, py, ext)
        paths(ver, py, ext)
        daemon(ver, py, ext)
        # Under sampling the frees' fast path asks the interpreter whether
        # it is finalizing; a 4 KiB interval walks frames often meanwhile.
        daemon(ver, py, ext, env={"MTRACE_SAMPLE_BYTES": "4k"})
        daemon(ver, py, ext, "daemon_c", env={"MTRACE_SAMPLE_BYTES": "4k"})
        stress = int(os.environ.get("MTRACE_PY_STRESS", "0") or 0)
        if stress:
            daemon(ver, py, ext, "daemon_c", stress)
done()
