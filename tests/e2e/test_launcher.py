"""mtrace-run keeps the command's exit status, says where the snapshots went
and summarizes the main one; `cmake --install` lays out bin/, lib/ and
include/ so that the installed launcher finds the installed shim."""
import shutil
from mtlib import *

RUN = os.environ["MTRACE_RUN"]
BUILD = os.environ["MTRACE_BUILD"]


def launch(launcher, argv, cwd, **extra):
    e = {k: v for k, v in os.environ.items() if not k.startswith("MTRACE_") and k != "LD_PRELOAD"}
    e.update(extra)
    return subprocess.run([launcher, "-o", os.path.join(cwd, "%e.%p.%n.snap"), "--", *argv],
                          cwd=cwd, env=e, capture_output=True, text=True, timeout=120)


d = tempfile.mkdtemp(prefix="mtrace-run-")
p = launch(RUN, [prog("exits")], d)
equal(p.returncode, 7, "exit status of the command")
snaps = glob.glob(os.path.join(d, "exits.*.snap"))
equal(len(snaps), 1, "one snapshot")
check(snaps and snaps[0] in p.stderr, f"says where the snapshot went: {p.stderr}")
check("SITE" in p.stderr and "exits.c:" in p.stderr, "summary lists the top sites")
check("still allocated" in p.stderr, "summary gives the leak total")

# Forked children: every snapshot listed; the summary is the parent's.
p = launch(RUN, [prog("forker")], d, MTRACE_MIN_ALLOCS="0")   # the child allocates little
equal(p.returncode, 0, "forker exit status")
listed = [l.strip() for l in p.stderr.splitlines() if l.strip().startswith("/") and l.endswith(".snap")]
equal(len(listed), 2, f"both processes' snapshots listed: {listed}")
child = p.stdout.split()[1]
summary = [l for l in p.stderr.splitlines() if l.strip().startswith("snapshot ")]
check(len(summary) == 1 and f".{child}." not in summary[0], f"summary is the parent's: {summary}")
# Then one row per process: pid, parent, program, how it ended.
rows = [l.split() for l in p.stderr.split("mtrace-run: processes:")[-1].splitlines()[2:] if l.strip()]
ends = sorted((r[0] == child, r[2], r[3]) for r in rows)
equal(ends, [(False, "forker", "exit(0)"), (True, "forker", "exit(0)")],
      f"per-process summary: {rows}")

# Installed layout.
prefix = tempfile.mkdtemp(prefix="mtrace-prefix-")
subprocess.run(["cmake", "--install", BUILD, "--prefix", prefix], check=True, capture_output=True)
for f in ("bin/mtrace-report", "bin/mtrace-run", "lib/libmtrace.so", "include/mtrace.h"):
    check(os.path.exists(os.path.join(prefix, f)), f"installed {f}")
p = launch(os.path.join(prefix, "bin/mtrace-run"), [prog("exits")], d)
equal(p.returncode, 7, "installed launcher runs the command")
check("still allocated" in p.stderr, f"installed launcher summarizes: {p.stderr[-300:]}")
shutil.rmtree(prefix)
done()
