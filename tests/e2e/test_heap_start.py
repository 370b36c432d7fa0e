"""The program's heap starts as it would untraced (issue 6): the shim's own
start-up (stack bounds, MTRACE_ROOT, looking for Python)
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
# Sampled requests reach glibc unchanged (test_sampled_entries.py checks a
# heap's whole layout), whichever blocks are sampled.
for env in ({}, {"MTRACE_SAMPLE_BYTES": "512k"}, {"MTRACE_SAMPLE_BYTES": "1"},
            {"MTRACE_UNWIND": "fp"}):
    traced = layout(env)
    equal(traced, untraced, f"the heap at main under {env or 'exact mode'}")
done()
