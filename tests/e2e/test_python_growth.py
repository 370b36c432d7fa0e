"""Python: growth between snapshots taken through the Python module shows
exactly at the growing line (issue 4's test, in Python)."""
from mtlib import *

PY = "/usr/bin/python3"
GROW = line_of("growth.py", "grow")
env = {"PYTHONPATH": os.path.join(os.path.dirname(SRC.rstrip("/")), "..", "python")}
p, d, snaps = run([PY, os.path.join(SRC, "growth.py")], env=env)
equal((p.returncode, p.stderr), (0, ""), "runs clean")
lines = p.stdout.split("\n")
equal(lines[4], "traced True True", "get_traced_memory sees the growth")
taken = [l for l in lines[:4]]
check(all(os.path.exists(t) for t in taken), f"take_snapshot returns the paths: {taken}")


def live(snap):
    return {ln: r["live_bytes"] for ln, r in rows_by_line(report("top", "-n", "0", snap), "growth.py").items()}


series = [live(s) for s in taken]
for a, b in zip(series, series[1:]):
    grow = b.get(GROW, 0) - a.get(GROW, 0)
    check(100_000 <= grow <= 100_200, f"growth at growth.py:{GROW} between snapshots: {grow}")
    others = {ln: b.get(ln, 0) - a.get(ln, 0) for ln in set(a) | set(b) if ln != GROW}
    check(all(abs(v) <= 4096 for v in others.values()), f"no other growth: {others}")
df = report("diff", taken[0], taken[-1])
big = [(os.path.basename(r["file"] or ""), r["line"], r["status"]) for r in df["rows"]
       if abs(r["size_diff"]) > 4096]
equal(big, [("growth.py", GROW, "changed")], "diff first..last: only the growing line")
row = next(r for r in df["rows"] if r["line"] == GROW)
check(300_000 <= row["size_diff"] <= 300_600 and row["count_diff"] == 6,
      f"diff: +6 blocks (object and buffer), ~300 kB: {row['size_diff']}, {row['count_diff']}")

# python -I / -E ignore PYTHONMALLOC: one line says pymalloc stays on.
p, d, snaps = run([PY, "-I", "-c", "pass"])
equal((p.returncode, p.stderr.count("ignores PYTHONMALLOC"), p.stderr.count("\n")), (0, 1, 1),
      f"-I: one line on stderr: {p.stderr!r}")
p, d, snaps = run([PY, "-c", "pass"])
equal((p.returncode, p.stderr), (0, ""), "without -I: nothing on stderr")

# A sub-interpreter's allocations carry its own frames (3.11 keeps the
# thread's first state in the GIL-state slot: the GIL holder's is used).
code = ("import _xxsubinterpreters as i\n"
        "x = i.create()\n"
        "i.run_string(x, 'data = [bytes(1000) for _ in range(10000)]')\n")
p, d, snaps = run([PY, "-c", code])
if p.returncode == 0 and snaps:
    rows = report("top", "-n", "1", snaps[0])["rows"]
    equal((rows[0]["file"], rows[0]["line"]), ("<string>", 1), "sub-interpreter code is attributed to itself")
    check(rows[0]["alloc_bytes"] >= 10_000_000, f"its 10 MB: {rows[0]['alloc_bytes']}")
else:
    check("No module named" in p.stderr, f"sub-interpreter run: {p.stderr}")
done()
