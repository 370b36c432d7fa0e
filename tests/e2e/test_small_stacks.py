"""Threads on small stacks. pthread_create on a PTHREAD_STACK_MIN (16 KiB)
stack works under the shim (its static TLS once took 14 KiB of every
thread's stack, and the call failed with EINVAL), in every unwinding mode;
such a thread can end the process with exit or exec, and the snapshot
counts every thread's blocks exactly. A stack overflow whose SIGSEGV is
handled on an 8 KiB signal stack still gets its final snapshot (it needed
more than 16 KiB there). The shim's own use of a thread's
stack is measured on a stack the program provides: an allocation's capture
took 24 KiB beyond the program's own use (TLS included), exit 31 KiB and
an exec hook 51 KiB (a 20 KiB frame that jumped the guard page of a 16 KiB
stack); now 1 to 4 KiB each."""
from mtlib import *

UNWIND = {"memo": {}, "libunwind": {"MTRACE_UNWIND_MEMO": "0"}, "fp": {"MTRACE_UNWIND": "fp"},
          "sampled": {"MTRACE_SAMPLE_BYTES": "1"}}
keep, temp = line_of("smallstack.c", "small_keep"), line_of("smallstack.c", "small_temp")

for unwind, env in UNWIND.items():
    for mode in ("join", "exit", "exec"):
        what = f"{unwind}, {mode}"
        p, d, snaps = run([prog("smallstack"), mode], env=env)
        equal((p.returncode, p.stdout.strip()), (0, "created 8"), f"{what}: threads on 16 KiB stacks")
        # /bin/true after exec is traced too, but writes nothing (too few allocations).
        mine = [s for s in snaps if rows_by_line(report("top", "-n", "0", s), "smallstack.c")]
        if not check(len(mine) == 1, f"{what}: one snapshot of smallstack ({p.stderr.strip()})"):
            continue
        if mode == "exec":
            equal(read_raw(mine[0])[0]["reason"], 8, f"{what}: the snapshot is exec's (reason 8)")
        threads = 8 if mode == "join" else 9
        rows = rows_by_line(report("top", "-n", "0", mine[0]), "smallstack.c")
        k, t = rows.get(keep), rows.get(temp)
        if check(k is not None and t is not None, f"{what}: both sites reported"):
            equal((k["alloc_count"], k["live_count"], k["live_bytes"]),
                  (threads * 100, threads * 100, threads * 100 * 300), f"{what}: small_keep")
            equal((t["alloc_count"], t["live_count"], t["alloc_bytes"]),
                  (threads * 1000, 0, threads * 1000 * 64), f"{what}: small_temp")

    what = f"{unwind}, overflow"
    p, d, snaps = run([prog("smallstack"), "overflow"], env=env)
    equal(p.returncode, -11, f"{what}: ends by SIGSEGV, as untraced")
    if check(len(snaps) == 1, f"{what}: the final snapshot ({p.stderr.strip()[-300:]})"):
        js = report("top", "-n", "0", snaps[0])
        h = js["snapshots"][0]
        equal((h["reason"], h["end_signal"]), ("killed", 11), f"{what}: killed by SIGSEGV")
        k = rows_by_line(js, "smallstack.c").get(keep)
        if check(k is not None, f"{what}: small_keep reported"):
            equal((k["alloc_count"], k["live_count"]), (100, 100), f"{what}: small_keep")

    # Threads of three stack sizes, 1 to 4 frames deep, each taking the
    # memo (and scratch block) an ended thread gave back.
    what = f"{unwind}, reuse"
    p, d, snaps = run([prog("smallstack"), "reuse"], env=env)
    equal((p.returncode, p.stdout.strip()), (0, "reuse done"), f"{what}: 400 threads")
    if check(len(snaps) == 1, f"{what}: one snapshot ({p.stderr.strip()[-300:]})"):
        rows = rows_by_line(report("top", "-n", "0", snaps[0]), "smallstack.c")
        k, t = rows.get(keep), rows.get(temp)
        if check(k is not None and t is not None, f"{what}: both sites reported"):
            equal((k["alloc_count"], k["live_count"]), (40000, 40000), f"{what}: small_keep")
            equal((t["alloc_count"], t["live_count"]), (400000, 0), f"{what}: small_temp")
        # Every depth is its own stack: depth 1 + round % 4 over 50 rounds
        # of 8 threads, 1,000 blocks each.
        s = report("top", "--group-by", "stack", "-n", "0", snaps[0])
        depths = sorted(r["alloc_count"] for r in s["rows"]
                        if r.get("file") and r["file"].endswith("smallstack.c") and r.get("line") == temp)
        equal(depths, [96000, 96000, 104000, 104000], f"{what}: small_temp by stack (one per depth)")


def used(mode, preload, env=None):
    p, _, _ = run([prog("smallstack"), "measure", mode], env=env, preload=preload)
    equal(p.returncode, 0, f"measure {mode} ({p.stderr.strip()})")
    return int(p.stdout.split()[-1]) if p.returncode == 0 else 0


for mode in ("join", "exit", "exec"):
    base = used(mode, False)
    for unwind, env in UNWIND.items():
        extra = used(mode, True, env) - base
        print(f"{unwind}, {mode}: the shim used {extra} bytes of the stack beyond the program's {base}")
        check(extra < 8192, f"{unwind}, {mode}: the shim used {extra} bytes of the stack (limit 8 KiB)")
done()
