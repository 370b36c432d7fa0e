"""MTRACE_OUT: %p/%n/%e expansion, mode 0600, atomic (no temporary left),
never follows a symlink or overwrites; an unwritable path gives one line on
stderr and leaves the exit status alone; MTRACE_DEPTH bounds the stacks."""
import stat
from mtlib import *

p, d, _ = run([prog("exits")], out="o-%e-%p-%n-%%.snap")
files = os.listdir(d)
if equal(len(files), 1, f"exactly one file (no temporary left): {files}"):
    h, _, _ = read_raw(os.path.join(d, files[0]))
    equal(files[0], f"o-exits-{h['pid']}-0-%.snap", "expanded name")
    equal(stat.S_IMODE(os.stat(os.path.join(d, files[0])).st_mode), 0o600, "mode 0600")
    equal(h["sequence"], 0, "sequence 0")

# A symlink where the snapshot would go is neither followed nor replaced.
d = tempfile.mkdtemp(prefix="mtrace-e2e-")
victim = os.path.join(d, "victim")
open(victim, "w").write("keep me")
os.symlink(victim, os.path.join(d, "snap.fixed"))
p, d, _ = run([prog("exits")], cwd=d, out="snap.fixed")
equal(open(victim).read(), "keep me", "symlink target untouched")
check(os.path.islink(os.path.join(d, "snap.fixed")), "symlink still a symlink")
check(os.path.exists(os.path.join(d, "snap.fixed.1")), "snapshot took the next name")
read_raw(os.path.join(d, "snap.fixed.1"))

# Relative templates are taken from the directory the program started in.
d = tempfile.mkdtemp(prefix="mtrace-e2e-")
e = dict(os.environ, LD_PRELOAD=LIB, MTRACE_OUT="rel.snap")
subprocess.run(["sh", "-c", f"{prog('exits')}; true"], cwd=d, env=e, check=True)
check(os.path.exists(os.path.join(d, "rel.snap")), "relative template in the start directory")

# Unwritable: one line, the program's own status.
p, d, snaps = run([prog("exits")], env={"MTRACE_OUT": "/nonexistent-dir/x.snap"})
equal(p.returncode, 7, "exit status kept")
lines = p.stderr.splitlines()
equal(len(lines), 1, f"one stderr line: {lines}")
check(lines and lines[0].startswith("mtrace: ") and "/nonexistent-dir/x.snap" in lines[0],
      f"clear message: {lines}")

# MTRACE_DEPTH=3: no stack deeper than 3 frames, deep ones flagged truncated.
p, d, snaps = run([prog("known_sites")], env={"MTRACE_DEPTH": "3"})
h, _, stacks = read_raw(snaps[0])
equal(h["max_depth"], 3, "max_depth in header")
check(all(s["frame_count"] <= 3 for s in stacks), "stacks at most 3 frames")
check(any(s["flags"] & 1 for s in stacks), "truncated stacks flagged")
# Default depth 64, and the shim's own frames are not stored.
p, d, snaps = run([prog("known_sites")])
h, _, stacks = read_raw(snaps[0])
equal(h["max_depth"], 64, "default depth")
done()
