"""The Python API module (test_python.py): traced sizes around an allocation
of N bytes at @api_alloc, reset_peak(), take_snapshot(); without the shim,
is_tracing() and NotLoadedError."""
import json
import sys

import mtrace

N = 8 * 1000 * 1000
out = {"tracing": mtrace.is_tracing()}
if not out["tracing"]:
    for name, call in (("take_snapshot", mtrace.take_snapshot),
                       ("get_traced_memory", mtrace.get_traced_memory),
                       ("reset_peak", mtrace.reset_peak)):
        try:
            call()
            out[name] = "no error"
        except mtrace.NotLoadedError:
            out[name] = "NotLoadedError"
        except Exception as e:          # noqa: BLE001 - reported to the test
            out[name] = type(e).__name__
    print(json.dumps(out))
    sys.exit(0)

c0, p0 = mtrace.get_traced_memory()
block = bytearray(N)  # @api_alloc
c1, p1 = mtrace.get_traced_memory()
del block
c2, p2 = mtrace.get_traced_memory()
mtrace.reset_peak()
c3, p3 = mtrace.get_traced_memory()
path = mtrace.take_snapshot()
out.update(N=N, c0=c0, p0=p0, c1=c1, p1=p1, c2=c2, p2=p2, c3=c3, p3=p3, path=path,
           version=list(mtrace.version()))
print(json.dumps(out))
