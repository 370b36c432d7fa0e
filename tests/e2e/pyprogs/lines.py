"""Known lines (test_python.py): 50 MB kept alive at @A, 10,000 dicts in a
global list at @B, a temporary 20 MB list at @C. At a point where all three
are alive the script takes a snapshot, then frees C and takes another.

`lines.py mtrace`: snapshots by the mtrace module, paths printed as JSON.
`lines.py tracemalloc` (run with -X tracemalloc, no shim): prints
tracemalloc's sizes per line of this file at the same point, as JSON."""
import json
import sys

MODE = sys.argv[1]
if MODE == "tracemalloc":
    import tracemalloc
else:
    import mtrace

objs = []


def make_objects(n):
    for i in range(n):
        objs.append({"i": i, "name": "object"})  # @B


def snapshot(label):
    if MODE == "tracemalloc":
        stats = tracemalloc.take_snapshot().statistics("lineno")
        sizes = {f"{s.traceback[0].lineno}": s.size for s in stats
                 if s.traceback[0].filename == __file__}
        print(json.dumps({label: sizes}))
    else:
        print(json.dumps({label: mtrace.take_snapshot()}))


big = bytearray(50 * 1000 * 1000)  # @A
make_objects(10000)
tmp = [None] * (20 * 1000 * 1000 // 8)  # @C
snapshot("abc")
del tmp
snapshot("end")
