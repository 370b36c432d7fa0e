"""fork: parent and child each write a correct snapshot; forking while other
threads allocate does not deadlock."""
from mtlib import *

p, d, snaps = run([prog("forker")])
equal(p.returncode, 0, "exit code")
equal(len(snaps), 2, "two snapshots (parent and child)")
child_pid = int(p.stdout.split()[1])
by_pid = {}
for s in snaps:
    h, _, _ = read_raw(s)
    by_pid[h["pid"]] = (s, h)
check(child_pid in by_pid, "child wrote its own snapshot")
parent = [v for k, v in by_pid.items() if k != child_pid]
if check(child_pid in by_pid and len(parent) == 1, "parent snapshot present"):
    cs, ch = by_pid[child_pid]
    ps, ph = parent[0]
    equal(ch["ppid"], ph["pid"], "child header names the parent")
    equal(ch["flags"] & 1, 1, "child flagged as forked")
    equal(ph["flags"] & 1, 0, "parent not flagged")
    prow = rows_by_line(report("top", "-n", "0", ps), "forker.c")
    crow = rows_by_line(report("top", "-n", "0", cs), "forker.c")
    pl, cl = line_of("forker.c", "parent_leak"), line_of("forker.c", "child_leak")
    equal((prow[pl]["live_count"], prow[pl]["live_bytes"]), (10, 10000), "parent: its leak")
    check(cl not in prow, "parent: no child site")
    equal((crow[pl]["live_count"], crow[pl]["live_bytes"]), (9, 9000), "child: inherited, one freed")
    equal((crow[cl]["live_count"], crow[cl]["live_bytes"]), (5, 10000), "child: its own leak")
    # diff across the fork: the child's own site is new, the inherited one shrank.
    df = {r["line"]: r for r in report("diff", ps, cs)["rows"]}
    equal((df[cl]["size_diff"], df[cl]["status"]), (10000, "new"), "diff: child's site new")
    equal((df[pl]["size_diff"], df[pl]["count_diff"]), (-1000, -1), "diff: inherited block freed")

p, d, snaps = run([prog("forker"), "stress"], timeout=120)
equal((p.returncode, p.stdout.strip()), (0, "stress done"), "fork under allocating threads")
equal(len(snaps), 1, "children that _exit write nothing; the parent writes one")
done()
