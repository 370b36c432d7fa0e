"""Allocations while the interpreter shuts down (test_python_safety.py): in
an atexit handler (@atexit_alloc), and in __del__ of objects that die while
the interpreter finalizes (a module global and a reference cycle)."""
import atexit
import sys


class Holder:
    def __init__(self, name):
        self.name = name
        self.me = self              # a cycle: only the collector frees it

    def __del__(self):
        junk = [bytearray(64) for _ in range(2000)]  # @del_alloc
        sys.stdout.write(f"del {self.name} {len(junk)}\n")
        sys.stdout.flush()


def at_exit():
    junk = {i: str(i) * 3 for i in range(5000)}  # @atexit_alloc
    print("atexit", len(junk), flush=True)


atexit.register(at_exit)
keep = Holder("global")             # freed when the module is cleared
Holder("cycle")                     # garbage: collected at the latest at shutdown
print("main done", flush=True)
