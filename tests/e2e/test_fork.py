"""fork: parent and child each write a correct snapshot; forking while other
threads allocate does not deadlock. A process tree (issue 8): children that
_exit after fewer than MTRACE_MIN_ALLOCS allocations write nothing by
default, each writes its own with MTRACE_MIN_ALLOCS=0, MTRACE_MAX_FILES caps
the files of the tree (the root's final snapshot aside), and
MTRACE_FOLLOW=0 keeps the children out."""
from mtlib import *

p, d, snaps = run([prog("forker")], env={"MTRACE_MIN_ALLOCS": "0"})
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
equal(len(snaps), 1, "children that _exit with few allocations write nothing; the parent writes one")
p, d, snaps = run([prog("forker"), "stress"], env={"MTRACE_MIN_ALLOCS": "0"}, timeout=120)
heads = [read_raw(s)[0] for s in snaps]
children = [h for h in heads if h["flags"] & 1]
check(len(children) >= 50 and all(h["reason"] == 6 for h in children),
      f"MTRACE_MIN_ALLOCS=0: every child writes its _exit snapshot: {len(children)}")
p, d, snaps = run([prog("forker"), "stress"], env={"MTRACE_MIN_ALLOCS": "0", "MTRACE_MAX_FILES": "10"},
                  timeout=120)
heads = [read_raw(s)[0] for s in snaps]
equal((len(snaps), sum(1 for h in heads if not h["flags"] & 1)), (11, 1),
      "MTRACE_MAX_FILES=10: ten children's files and the root's final one")
check("MTRACE_MAX_FILES=10 reached" in p.stderr, "the cap is said on stderr")
# A shell wrapper starting short helpers, then exec'ing the real program
# (what a pyenv shim does): only the real program's snapshot by default.
WRAPPER = ["/bin/sh", "-c", "for i in 1 2 3 4 5; do /bin/echo $i >/dev/null; true; done; "
           "x=$(/bin/cat /dev/null); exec /usr/bin/python3 -c 'print(len([str(i) for i in range(5000)]))'"]
p, d, snaps = run(WRAPPER)
progs = sorted(os.path.basename(read_raw(s)[0]["program_str"]) for s in snaps)
equal((p.stdout.strip(), progs), ("5000", ["python3.11"]), "wrapper: only the real program's snapshot")
p, d, snaps = run(WRAPPER, env={"MTRACE_MIN_ALLOCS": "0"})
progs = sorted(os.path.basename(read_raw(s)[0]["program_str"]) for s in snaps)
check(len(snaps) >= 8 and {"dash", "echo", "python3.11"} <= set(progs),
      f"wrapper, MTRACE_MIN_ALLOCS=0: the helpers too: {progs}")
p, d, snaps = run(["/bin/sh", "-c", "/bin/echo a | /bin/cat; /bin/echo b | /bin/cat"],
                  env={"MTRACE_MIN_ALLOCS": "0", "MTRACE_MAX_FILES": "2"})
check(len(snaps) <= 3, f"a pipeline under MTRACE_MAX_FILES=2: at most 2 files plus the shell.s: {len(snaps)}")
p, d, snaps = run(["/bin/sh", "-c", "/bin/echo a | /bin/cat"],
                  env={"MTRACE_MIN_ALLOCS": "0", "MTRACE_FOLLOW": "0"})
equal([os.path.basename(read_raw(s)[0]["program_str"]) for s in snaps], ["dash"],
      "a pipeline under MTRACE_FOLLOW=0: only the shell")
p, d, snaps = run([prog("forker")], env={"MTRACE_MIN_ALLOCS": "0", "MTRACE_FOLLOW": "0"})
equal((p.returncode, len(snaps)), (0, 1), "MTRACE_FOLLOW=0: only the parent writes")
done()
