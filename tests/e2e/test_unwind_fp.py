"""Frame-pointer unwinding (MTRACE_UNWIND=fp, issue 6) on
tests/progs/fpdeep.c: stacks 40 calls deep on the main thread and two
threads come out as libunwind gives them, frame for frame (less libc's
start-up frames past the first one, which keep no frame pointer); the
allocations on a ucontext coroutine's stack and on a signal's alternate
stack, outside the thread's stack, are handed to libunwind and come out
whole; the same with the stack memo (filled from the frame-pointer chain)
and without it; a bad value is named and ignored."""
from mtlib import *

FP = prog("fpdeep")
# libc's start-up frames, and frames without a name (libc without its
# symbols, on a fresh system), are cut from the outer end of every stack.
START = {"__libc_start_call_main", "__libc_start_main_impl", "__libc_start_main", "_start",
         "start_thread", "__clone3", "__clone", None}


def stacks(mode, memo="1"):
    p, d, snaps = run([FP], env={"MTRACE_UNWIND": mode, "MTRACE_UNWIND_MEMO": memo}, timeout=60)
    equal((p.returncode, len(snaps), p.stderr), (0, 1, ""), f"{mode}, memo {memo}: ran quietly")
    rows = report("top", "--group-by", "stack", "-n", "0", snaps[0])["rows"]
    out = {}
    for r in rows:
        frames = [(f.get("function"), f.get("line")) for f in r["stack"]]
        while frames and frames[-1][0] in START:
            frames.pop()
        if any(f[0] == "leaf" for f in frames):
            out[(r["alloc_count"], r["alloc_bytes"])] = frames
    return out


lib = stacks("libunwind")
SITES = {(1000, 100000): ("main", 43), (2000, 500000): ("worker", 44),
         (100, 33300): ("coroutine", 8), (1, 444): ("on_signal", 5)}
leaf = line_of("fpdeep.c", "fp_leaf")
for memo in ("1", "0"):
    fp = stacks("fp", memo)
    for key, (who, least) in SITES.items():
        a, b = lib.get(key), fp.get(key)
        check(a is not None and len(a) >= least, f"libunwind: the {who} site, {least}+ frames deep: "
              f"{a and len(a)}")
        equal(b, a, f"fp, memo {memo}: the {who} site's stack as libunwind gives it")
    check(all(s[0] == ("leaf", leaf) for s in fp.values()), f"fp, memo {memo}: every stack starts at the leaf's line")

p, d, snaps = run([FP], env={"MTRACE_UNWIND": "dwarf"}, timeout=60)
check("ignoring MTRACE_UNWIND=dwarf" in p.stderr, f"a bad value is named: {p.stderr!r}")
done()
