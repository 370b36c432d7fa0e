"""Python processes and signals under the shim (issue 8), for every
interpreter present: SIGINT still raises KeyboardInterrupt (the shim's
handler is invisible: signal.getsignal sees default_int_handler);
subprocess of an existing and a missing command and os.execvp across a
PATH with misses leave no stray or half-written snapshot; multiprocessing
workers under fork and spawn each write a snapshot with their Python lines,
and --merge sums them."""
from pylib import *

PROCS = script("procs.py")
WORK = py_line_of(PROCS, "mp_work")


def valid(snaps, tag):
    for s in snaps:
        check(not s.endswith(".tmp") and ".tmp-" not in s, f"{tag}: no temporary file left: {s}")
        check(dump_ok(s), f"{tag}: {s} is a valid snapshot")


for ver, py in interpreters():
    tag = f"[{ver}]"
    p, d, snaps = run_py([py, PROCS, "signals"])
    equal(json_lines(p.stdout), {"default_int_handler": True, "keyboard_interrupt": True},
          f"{tag} SIGINT as untraced")
    equal(len(snaps_of(snaps, py)), 1, f"{tag} signals: one snapshot")

    p, d, snaps = run_py([py, PROCS, "subprocess"])
    equal((p.returncode, json_lines(p.stdout)), (0, {"true": 0, "missing": "FileNotFoundError"}),
          f"{tag} subprocess runs as untraced")
    valid(glob.glob(os.path.join(d, "*")), f"{tag} subprocess")
    equal(len(snaps_of(snaps, py)), 1, f"{tag} subprocess: one snapshot of the interpreter")

    p, d, snaps = run_py([py, PROCS, "execvp"])
    equal((p.returncode, p.stdout.strip()), (0, "replaced"), f"{tag} execvp across misses")
    valid(glob.glob(os.path.join(d, "*")), f"{tag} execvp")
    reasons = sorted(header(s)["reason"] for s in snaps)
    check(reasons.count(8) == 1, f"{tag} execvp: one snapshot of the replaced image: {reasons}")

    for method in ("fork", "spawn"):
        p, d, snaps = run_py([py, PROCS, "mp", method], timeout=300)
        equal((p.returncode, json_lines(p.stdout)), (0, {"results": [20000] * 4}),
              f"{tag} multiprocessing {method} runs")
        valid(glob.glob(os.path.join(d, "*")), f"{tag} {method}")
        # Read raw (a reporter run per worker snapshot costs seconds with
        # pyenv's debug-info interpreters); --merge once, through the reporter.
        workers = []
        for s in snaps:
            n = raw_python_site(s, PROCS, WORK)["alloc_count"]
            if n:
                workers.append((s, n))
        check(len(workers) >= 2, f"{tag} {method}: the workers' snapshots show @mp_work: {len(workers)}")
        if len(workers) >= 2:
            merged = rep("top", "--merge", "-n", "0", *[s for s, _ in workers])
            r = row_at(merged, PROCS, WORK)
            check(r is not None and r["alloc_count"] == sum(n for _, n in workers),
                  f"{tag} {method}: --merge sums the workers at @mp_work")
done()
