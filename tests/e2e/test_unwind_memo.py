"""The per-thread stack memo (stackmemo.c) answers only with the true
stack: one site reached through three callers from the same return address
at the same depth gets exact per-caller counts, with the memo and without,
also on coroutine stacks that are freed and re-made smaller at the same
place (reading there must not fault). And 40 callers of the site at one
depth, more than a memo set holds, interleaved: exact per caller too."""
from mtlib import *

SITE, A, B, C = (line_of("memo.c", t) for t in ("site", "a", "b", "c"))
MAIN, CO = line_of("memo.c", "main"), line_of("memo.c", "co")
FAN, FANOUT, FANMAIN = (line_of("memo.c", t) for t in ("fan", "fanout", "fanmain"))
# mix(n): a takes 2/7, b 3/7, c 2/7 of n calls.
want = {}
for n, outer in ((7000, MAIN), (700, CO), (700, CO)):
    for caller, share in ((A, 2), (B, 3), (C, 2)):
        want[(caller, outer)] = want.get((caller, outer), 0) + n * share // 7
# fan_all(50): caller k (on line FAN + k) k + 1 times a round.
want_fan = {FAN + k: 50 * (k + 1) for k in range(40)}

for memo in ("1", "0"):
    p, d, snaps = run([prog("memo")], env={"MTRACE_UNWIND_MEMO": memo})
    equal((p.returncode, p.stdout, p.stderr), (0, "done\n", ""), f"[memo={memo}] runs clean")
    js = report("top", "--group-by", "stack", "-n", "0", snaps[0])
    got, got_fan = {}, {}
    for r in js["rows"]:
        fr = [f for f in r["stack"] if (f.get("file") or "").endswith("memo.c")]
        # alloc_one @site <- via_x @a|b|c <- mix <- main @main | co_body @co
        if len(fr) >= 4 and fr[0]["line"] == SITE and fr[1]["line"] in (A, B, C):
            key = (fr[1]["line"], fr[3]["line"])
            got[key] = got.get(key, 0) + r["alloc_count"]
        # alloc_one @site <- fan_k <- fan_all @fanout <- main @fanmain
        if len(fr) >= 4 and fr[0]["line"] == SITE and (fr[2]["line"], fr[3]["line"]) == (FANOUT, FANMAIN):
            got_fan[fr[1]["line"]] = got_fan.get(fr[1]["line"], 0) + r["alloc_count"]
    equal(got, want, f"[memo={memo}] exact allocations per caller and outer line")
    equal(got_fan, want_fan, f"[memo={memo}] 40 callers at one depth: exact per caller")
done()
