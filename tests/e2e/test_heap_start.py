"""The program's heap starts as it would untraced (issue 6): the shim's own
start-up (stack bounds, the marks probe, MTRACE_ROOT, looking for Python)
leaves nothing in glibc's heap, neither live blocks nor freed ones in
tcache, so the program's blocks lie where they would without it, in exact
mode and under sampling. (Left there, 500 bytes moved every block of bench
churn and cost it 770 page faults more than untraced.)"""
from mtlib import *

HEAPSTART = prog("heapstart")


def layout(env=None, preload=True):
    p, d, snaps = run([HEAPSTART], env=env, preload=preload)
    equal(p.returncode, 0, f"heapstart ran ({env})")
    return p.stdout.strip()


untraced = layout(preload=False)
check(untraced.startswith("arena "), f"the program printed its heap: {untraced!r}")
for env in ({}, {"MTRACE_SAMPLE_BYTES": "on"}, {"MTRACE_SAMPLE_BYTES": "64k"},
            {"MTRACE_UNWIND": "fp"}):
    traced = layout(env)
    # The heap may have been set up before main (the probe's blocks merged
    # back into the top chunk); its contents and layout may not differ.
    equal(traced, untraced, f"the heap at main under {env or 'exact mode'}")
done()
