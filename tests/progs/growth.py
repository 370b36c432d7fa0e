"""Grows by one 100 kB bytearray per iteration at a known line and takes a
snapshot after each through the Python API (python/mtrace.py)."""
import mtrace

keep = []


def grow():
    block = bytearray(100_000)  # @grow
    keep.append(block)


mtrace.take_snapshot()          # warm-up: the first call loads ctypes' pieces
for _ in range(4):
    grow()
    print(mtrace.take_snapshot())
current, peak = mtrace.get_traced_memory()
print("traced", current >= 4 * 100_000, peak >= current)
