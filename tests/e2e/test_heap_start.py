"""The program's heap starts as it would untraced (issue 6): the shim's own
start-up (stack bounds, the marks probe, MTRACE_ROOT, looking for Python)
leaves nothing in glibc's heap, neither live blocks nor freed ones in
tcache, so the program's blocks lie where they would without it, in exact
mode and under sampling (its start-up, with no block sampled). (Left
there, 500 bytes moved every block of bench churn and cost it 770 page
faults more than untraced.)"""
from mtlib import *

HEAPSTART = prog("heapstart")


def layout(env=None, preload=True):
    p, d, snaps = run([HEAPSTART], env=env, preload=preload)
    equal(p.returncode, 0, f"heapstart ran ({env})")
    return p.stdout.strip()


untraced = layout(preload=False)
check(untraced.startswith("arena "), f"the program printed its heap: {untraced!r}")
# Sampling pads a sampled block (the marks), which moves what follows it:
# an interval no program block reaches (1 TiB) runs the same start-up as
# 512 KiB without ever sampling.
for env in ({}, {"MTRACE_SAMPLE_BYTES": str(1 << 40)}, {"MTRACE_UNWIND": "fp"}):
    traced = layout(env)
    # The heap may have been set up before main (the probe's blocks merged
    # back into the top chunk); its contents and layout may not differ.
    equal(traced, untraced, f"the heap at main under {env or 'exact mode'}")
done()
