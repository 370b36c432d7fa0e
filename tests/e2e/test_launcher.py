"""mtrace-run keeps the command's exit status, says where the snapshots went
and summarizes the main one; `cmake --install` lays out bin/, lib/ and
include/ so that the installed launcher finds the installed shim."""
import shutil
import time
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

# The whole tree: a grandchild that outlives its parent (the command exits
# at once) is waited for, its snapshot listed (mtrace-reaper is the child
# subreaper); signals reach the command.
p = launch(RUN, ["/bin/sh", "-c", "(sleep 0.5; exec /usr/bin/python3 -c "
                 "'x = [str(i) for i in range(5000)]') & exit 3"], d)
equal(p.returncode, 3, "tree: the command's status")
check(any("python3" in l and l.strip().startswith("/") for l in p.stderr.splitlines()),
      f"tree: the late grandchild's snapshot is listed: {p.stderr[-600:]}")
import signal as _signal
pr = subprocess.Popen([RUN, "-o", os.path.join(d, "%e.%p.%n.snap"), "--", "/bin/sleep", "30"],
                      cwd=d, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
time.sleep(0.5)
pr.send_signal(_signal.SIGTERM)
out, err = pr.communicate(timeout=30)
equal(pr.returncode, 128 + _signal.SIGTERM, "SIGTERM forwarded: the command's death is the status")

# Silence explained: a static program never loads the shim; neither does a
# setuid program of another user (skipped where the file system is nosuid
# or this process runs with NoNewPrivs).
src = os.path.join(d, "hello.c")
with open(src, "w") as f:
    f.write('#include <stdio.h>\n#include <stdlib.h>\nint main(void) { free(malloc(10)); puts("hi"); return 0; }\n')
static = os.path.join(d, "hello_static")
b = subprocess.run(["gcc", "-static", "-o", static, src], capture_output=True, text=True)
if check(b.returncode == 0, f"building a static program: {b.stderr}"):
    p = launch(RUN, [static], d)
    equal(p.returncode, 0, "static: runs")
    check("looks statically linked" in p.stderr, f"static: explained: {p.stderr[-300:]}")
dyn = os.path.join(d, "hello_setuid")
subprocess.run(["gcc", "-o", dyn, src], check=True)
nnp = "NoNewPrivs:\t1" in open("/proc/self/status").read()
nosuid = subprocess.run(["findmnt", "-n", "-o", "OPTIONS", "--target", d], capture_output=True,
                        text=True).stdout
if os.geteuid() == 0 and not nnp and "nosuid" not in nosuid:
    os.chown(dyn, 65534, 65534)
    os.chmod(dyn, 0o4755)
    p = launch(RUN, [dyn], d)
    equal(p.returncode, 0, "setuid: runs")
    check("is setuid/setgid: the loader ignores LD_PRELOAD" in p.stderr,
          f"setuid: explained: {p.stderr[-300:]}")
else:
    print(f"skipped the setuid case: euid {os.geteuid()}, NoNewPrivs {nnp}, mount options {nosuid.strip()}")

# A program with file capabilities, run by an unprivileged user: the loader
# ignores LD_PRELOAD (secure mode), and mtrace-run says why. The same copy
# without capabilities is traced (the control). Skipped, with the reason,
# where capabilities cannot be set or no user can be switched to.
capdir = tempfile.mkdtemp(prefix="mtrace-caps-")
os.chmod(capdir, 0o1777)
capbin = os.path.join(capdir, "capbin")
shutil.copy(dyn, capbin)
os.chown(capbin, 0, 0)
os.chmod(capbin, 0o755)
setpriv = shutil.which("setpriv")
as_nobody = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"] if setpriv else None


def run_nobody(prog):
    e = {k: v for k, v in os.environ.items() if not k.startswith("MTRACE_") and k != "LD_PRELOAD"}
    return subprocess.run(as_nobody + [RUN, "-o", os.path.join(capdir, "%e.%p.%n.snap"), "--", prog],
                          cwd=capdir, env=e, capture_output=True, text=True, timeout=120)


why = None
if os.geteuid() != 0 or not setpriv or nnp:
    why = f"euid {os.geteuid()}, setpriv {setpriv}, NoNewPrivs {nnp}"
if why is None:
    control = run_nobody(capbin)
    if control.returncode != 0 or not glob.glob(os.path.join(capdir, "capbin.*.snap")):
        why = f"an unprivileged user cannot run the build's mtrace-run here: {control.stderr[-300:]}"
if why is None:
    try:
        # vfs_cap_data v2, effective: CAP_NET_BIND_SERVICE permitted.
        os.setxattr(capbin, "security.capability", struct.pack("<IIIII", 0x02000001, 1 << 10, 0, 0, 0))
    except OSError as e:
        why = f"cannot set file capabilities: {e}"
if why is None:
    for f in glob.glob(os.path.join(capdir, "*.snap")):
        os.unlink(f)
    p = run_nobody(capbin)
    equal((p.returncode, glob.glob(os.path.join(capdir, "*.snap"))), (0, []),
          "file capabilities: runs, not traced")
    check("has file capabilities: the loader ignores LD_PRELOAD" in p.stderr,
          f"file capabilities: explained: {p.stderr[-300:]}")
else:
    print(f"skipped the file-capability case: {why}")

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
