"""A sub-interpreter allocating (test_python_safety.py): run from the main
thread and from another thread; _xxsubinterpreters (3.11, 3.12) or
_interpreters (3.13)."""
import sys
import threading

if sys.version_info >= (3, 13):
    import _interpreters as interpreters
    run = interpreters.exec
else:
    import _xxsubinterpreters as interpreters
    run = interpreters.run_string

CODE = """
import json
data = [bytes(100) for _ in range(20000)]
text = json.dumps({"k": list(range(1000)), "n": len(data)})
print("sub", len(text), flush=True)
"""

interp = interpreters.create()
r = run(interp, CODE)  # @sub_main
print("main thread", r, flush=True)
t = threading.Thread(target=run, args=(interp, CODE))
t.start()
t.join()
print("other thread done", flush=True)
interpreters.destroy(interp)
print("destroyed", flush=True)
