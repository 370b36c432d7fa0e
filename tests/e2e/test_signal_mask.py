"""The shim's own signal masking (sigmask.c). libunwind blocks and
unblocks every signal around each unw_step: two system calls per frame of
every stack the memo fills. The shim holds signals once per walk instead
and answers libunwind's calls in between without the kernel. Checked here:
the program's sigprocmask and pthread_sigmask still work under the shim
(tests/progs/sigmask.c checks its own mask, a bad `how`, a pending signal
delivered on unblock), the memo still gets every stack right, and the calls
that reach glibc (counted by a library preloaded after the shim) stay near
two per filled stack. The 256 stacks share one memo key, more than its set
holds, so each of the 1,024 allocations is a fill: 2,067 calls in all, where
they took 47,371 before. Also: a call before the shim's constructor
(libsigcount's own) blocks everything but glibc's internal signals, errno
untouched, and with MTRACE_DISABLE=1 the interposed functions still work."""
import re
from mtlib import *

COUNT = prog("libsigcount.so")
ALLOC = line_of("callpaths.h", "alloc")
STACKS = 256


def calls(stderr):
    m = re.search(r"sigmask calls: (\d+)", stderr)
    return int(m.group(1)) if m else None


p, d, snaps = run([prog("sigmask")], preload=False, env={"LD_PRELOAD": COUNT})
equal((p.returncode, p.stdout), (0, "ok\n"), f"untraced: {p.stderr.strip()}")
own = calls(p.stderr)

MODES = {"memo": {}, "libunwind": {"MTRACE_UNWIND_MEMO": "0"}, "fp": {"MTRACE_UNWIND": "fp"},
         "sampled": {"MTRACE_SAMPLE_BYTES": "1"}, "disabled": {"MTRACE_DISABLE": "1"}}
for mode, env in MODES.items():
    p, d, snaps = run([prog("sigmask")], env=dict(env, LD_PRELOAD=f"{LIB} {COUNT}"))
    equal((p.returncode, p.stdout), (0, "ok\n"), f"[{mode}] the program's mask works: {p.stderr.strip()}")
    check("early mask: ok" in p.stderr, f"[{mode}] a call before the shim's constructor: {p.stderr.strip()}")
    if mode == "disabled":
        equal(snaps, [], "[disabled] no snapshot")
        continue
    if not check(len(snaps) == 1, f"[{mode}] one snapshot"):
        continue
    js = report("top", "--group-by", "stack", "-n", "0", snaps[0])
    rows = [r for r in js["rows"] if r["stack"] and (r["stack"][0].get("file") or "").endswith("callpaths.h")
            and r["stack"][0]["line"] == ALLOC]
    if mode != "sampled":
        equal((len(rows), sum(r["alloc_count"] for r in rows)), (STACKS, 4 * STACKS),
              f"[{mode}] every call path its own stack, exact counts")
    n = calls(p.stderr)
    if mode in ("memo", "sampled"):
        # At least the first fill of each stack holds signals (2 calls);
        # at most 3 calls per allocation, where it was 46 before.
        check(own is not None and n is not None and 2 * STACKS <= n - own <= 3 * 4 * STACKS,
              f"[{mode}] calls reaching glibc: {n} traced, {own} untraced; "
              f"between {2 * STACKS} and {3 * 4 * STACKS} more")
done()
