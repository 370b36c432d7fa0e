"""The exit leak scan (issue 5), read raw from the exit snapshot, and the
shim's own exit-code gate (MTRACE_LEAK_CHECK):
- tests/progs/leaks.c has one block or list per class; every class, byte and
  block count is exact, and the lost totals equal what LeakSanitizer
  (clang -fsanitize=leak, or gcc's when clang is missing) reports for the
  same source. LeakSanitizer has no "possibly lost": it counts interior
  pointers as references, so its totals are definitely + indirectly lost.
- threads still running at exit: four threads allocating and reallocating
  under the scan are parked, their stacks and registers scanned (no false
  leak); a thread that blocks every signal cannot be parked, so nothing is
  called definitely lost (status "partial"), and the scan does not wait for
  it.
- the gate: exit status 23 (or MTRACE_LEAK_EXITCODE) and a LeakSanitizer-like
  summary when leaks are found; the program's own status otherwise, also
  for leaks covered by a MTRACE_SUPPRESSIONS file or by the built-in ones
  (the loader's allocations); MTRACE_LEAK_SCAN=0 writes no classes."""
import shutil
from mtlib import *

CLASSES = LEAK_CLASSES                       # definite indirect possible reachable
SCAN_DONE, SCAN_PARTIAL = 1, 2


def totals(per):
    t = {c: [0, 0] for c in CLASSES}
    for d in per.values():
        for c in CLASSES:
            t[c][0] += d[c][0]
            t[c][1] += d[c][1]
    return {c: tuple(v) for c, v in t.items()}


def classes_by_size(per, stacks):
    """{class: sorted [(blocks, bytes)] per stack} for stacks holding blocks."""
    out = {c: [] for c in CLASSES}
    for sid, d in per.items():
        for c in CLASSES:
            if d[c][0]:
                out[c].append(d[c])
    return {c: sorted(v) for c, v in out.items()}


def one_snapshot(argv, tag, env=None, status=0):
    p, d, snaps = run(argv, env=env)
    equal(p.returncode, status, f"{tag}: exit status")
    if not equal(len(snaps), 1, f"{tag}: one snapshot"):
        return None, None, None, p
    scan, per, stacks = read_leaks(snaps[0])
    return scan, per, stacks, p


# ---- every class, exact -------------------------------------------------------
LEAKS = prog("leaks")
scan, per, stacks, p = one_snapshot([LEAKS], "leaks")
if scan:
    equal((scan["status"], scan["missed"]), (SCAN_DONE, 0), "leaks: complete scan")
    equal(scan["threads"], 2, "leaks: main and the holder thread scanned")
    got = classes_by_size(per, stacks)
    equal(got["definite"], [(1, 48), (1, 1000)],
          "definitely lost: the overwritten pointer and the list's head")
    equal(got["indirect"], [(3, 144)], "indirectly lost: the rest of the list")
    equal(got["possible"], [(1, 2000)], "possibly lost: only an interior pointer")
    for size, what in ((3000, "a global"), (4000, "TLS"), (5000, "another thread's stack")):
        check((1, size) in got["reachable"], f"still reachable through {what}: {got['reachable']}")
    t = totals(per)
    h, _, _ = read_raw(run([LEAKS])[2][0])
    live = sum(v[0] for v in t.values())
    check(live >= 11, f"every live block classified: {t}")

    # LeakSanitizer on the same source: same lost bytes and blocks.
    cc = shutil.which("clang") or shutil.which("gcc")
    tmp = tempfile.mkdtemp(prefix="mtrace-lsan-")
    exe = os.path.join(tmp, "leaks_lsan")
    b = subprocess.run([cc, "-O1", "-g", "-fsanitize=leak", "-pthread", "-o", exe,
                        os.path.join(SRC, "leaks.c")], capture_output=True, text=True)
    if check(b.returncode == 0, f"building leaks.c with {cc} -fsanitize=leak: {b.stderr}"):
        ls = subprocess.run([exe], capture_output=True, text=True,
                            env={**os.environ, "LSAN_OPTIONS": "exitcode=23"})
        direct = re.findall(r"Direct leak of (\d+) byte\(s\) in (\d+) object", ls.stderr)
        indirect = re.findall(r"Indirect leak of (\d+) byte\(s\) in (\d+) object", ls.stderr)
        lsan = {"definite": (sum(int(n) for _, n in direct), sum(int(b) for b, _ in direct)),
                "indirect": (sum(int(n) for _, n in indirect), sum(int(b) for b, _ in indirect))}
        equal(ls.returncode, 23, f"LeakSanitizer ({os.path.basename(cc)}) found the leaks")
        equal({c: t[c] for c in ("definite", "indirect")}, lsan,
              f"lost blocks and bytes equal LeakSanitizer's ({os.path.basename(cc)})")

# ---- threads running at exit ----------------------------------------------------
LT = prog("leak_threads")
# busy: threads allocating, each holding a list only its stack points to.
# filling: threads inside stack memo fills most of the time, with signals
# held by the shim for each walk (sigmask.c): the scan asks them again once
# they unblock (it counted them missed, and nothing was definitely lost).
for mode in ("busy", "filling"):
    for i in range(3):
        scan, per, stacks, p = one_snapshot([LT, mode], f"{mode} run {i}")
        if scan:
            equal((scan["status"], scan["missed"], scan["threads"]), (SCAN_DONE, 0, 5),
                  f"{mode} run {i}: all five threads parked and scanned")
            t = totals(per)
            equal((t["definite"], t["indirect"]), ((1, 777), (0, 0)),
                  f"{mode} run {i}: only main's leak is lost (the workers' blocks are on their stacks)")

# A thread in sigwaitinfo for every signal: the kernel unblocks them while
# it waits, so SigBlk says nothing; the park signal went to the program
# (800 times in one run) until the scan looked at the thread's system call.
scan, per, stacks, p = one_snapshot([LT, "sigwait"], "sigwait")
if scan:
    equal(p.stderr, "", "sigwait: the program received no signal of the scan's")
    equal((scan["status"], scan["missed"]), (SCAN_PARTIAL, 1), "sigwait: a partial scan")
    check(scan["ms"] < 500, f"sigwait: no wait for the thread in sigwait ({scan['ms']} ms)")

scan, per, stacks, p = one_snapshot([LT, "blocked"], "blocked")
if scan:
    equal((scan["status"], scan["missed"]), (SCAN_PARTIAL, 1), "blocked: a partial scan")
    check(scan["ms"] < 500, f"blocked: no wait for a thread that blocks the signal ({scan['ms']} ms)")
    t = totals(per)
    equal((t["definite"], t["indirect"]), ((0, 0), (0, 0)), "blocked: nothing definitely lost")
    got = classes_by_size(per, stacks)
    check((1, 777) in got["possible"] and (1, 888) in got["possible"],
          f"blocked: main's leak and the thread's block are possibly lost: {got['possible']}")

# exit from a handler on a signal stack: main's frames, which hold the only
# pointer to 6000 bytes, are on the thread's own stack (they were left out,
# and the block read as definitely lost).
scan, per, stacks, p = one_snapshot([LEAKS, "altstack"], "altstack")
if scan:
    equal((scan["status"], scan["missed"]), (SCAN_DONE, 0), "altstack: complete scan")
    got = classes_by_size(per, stacks)
    equal(got["definite"], [(1, 1000)], "altstack: only the overwritten pointer definitely lost")
    check((1, 6000) in got["reachable"], f"altstack: main's block reachable: {got['reachable']}")

# ---- the scan switched off ---------------------------------------------------------
scan, per, stacks, p = one_snapshot([LEAKS], "MTRACE_LEAK_SCAN=0", env={"MTRACE_LEAK_SCAN": "0"})
if scan is not None:
    equal((scan["status"], per), (0, {}), "MTRACE_LEAK_SCAN=0: no classes")

# ---- the gate ---------------------------------------------------------------------
SUMMARY = re.compile(r"^SUMMARY: (\d+) byte\(s\) leaked in (\d+) allocation\(s\)\.$", re.M)

p, d, snaps = run([LEAKS], env={"MTRACE_LEAK_CHECK": "1"})
equal(p.returncode, 23, "gate: leaks make exit status 23")
equal(SUMMARY.findall(p.stderr), [("1192", "5")], "gate: LeakSanitizer-like summary")
check("Direct leak of 1000 byte(s) in 1 object(s)" in p.stderr, "gate: each leak reported")
check(p.stdout.count("0x") == 2, f"gate: the program's stdout is flushed: {p.stdout!r}")
check(len(snaps) == 1 and f"mtrace-report check {snaps[0]}" in p.stderr,
      "gate: names the exit snapshot for source lines")

p, d, snaps = run([LEAKS], env={"MTRACE_LEAK_CHECK": "1", "MTRACE_LEAK_EXITCODE": "7",
                                "MTRACE_QUIET": "1"})
equal(p.returncode, 7, "gate: MTRACE_LEAK_EXITCODE")
check(SUMMARY.search(p.stderr), "gate: MTRACE_QUIET does not hide the leak report")

p, d, snaps = run([LEAKS, "clean"], env={"MTRACE_LEAK_CHECK": "1"})
equal((p.returncode, p.stderr), (0, ""), "gate: a clean program keeps its status, says nothing")

supp = os.path.join(tempfile.mkdtemp(prefix="mtrace-supp-"), "lsan.supp")
with open(supp, "w") as f:
    f.write("# LeakSanitizer's format\nleak:leaks\n")
p, d, snaps = run([LEAKS], env={"MTRACE_LEAK_CHECK": "1", "MTRACE_SUPPRESSIONS": supp})
equal(p.returncode, 0, "gate: leaks matched by MTRACE_SUPPRESSIONS (module) pass")
with open(supp, "w") as f:
    f.write("leak:^nothing_matches$\n")
p, d, snaps = run([LEAKS], env={"MTRACE_LEAK_CHECK": "1", "MTRACE_SUPPRESSIONS": supp})
equal(p.returncode, 23, "gate: a suppression that matches nothing changes nothing")

# exit() from another thread while main waits: the status stays the program's.
p, d, snaps = run([prog("exits"), "thread"], env={"MTRACE_LEAK_CHECK": "1",
                                                 "MTRACE_SUPPRESSIONS": supp})
check(p.returncode in (3, 23), f"gate: exit from a thread: {p.returncode}")

# Real programs pass with the built-in suppressions.
for argv in (["sqlite3", ":memory:", "create table t(a); insert into t values (1); select * from t;"],
             ["git", "--version"], ["/usr/bin/python3", "-c", "import json; print(json.dumps([1]))"]):
    if not shutil.which(argv[0]):
        check(False, f"{argv[0]} is not installed (the test setup installs it)")
        continue
    p, d, snaps = run(argv, env={"MTRACE_LEAK_CHECK": "1"})
    equal((p.returncode, SUMMARY.findall(p.stderr)), (0, []), f"gate: {argv[0]} passes")
done()
