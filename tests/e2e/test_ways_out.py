"""Every way out writes the final snapshot (issue 8): return from main, exit
from a thread, _exit, _Exit, quick_exit, abort, a SIGSEGV fault, SIGTERM
from kill, exec into another program, and a failed exec (no stray file).
Each snapshot is valid, holds the 4242 bytes kept at @kept, and names its
cause; the exit status, the terminating signal and whether a core was
dumped are those of the untraced run under the same limits."""
import resource
import signal
import time
from mtlib import *

WAYS = prog("ways_out")
KEPT = line_of("ways_out.c", "kept")
REASON = {"exit": 1, "_exit": 6, "killed": 7, "exec": 8}


def core_limit():
    resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))


def launch(mode, traced, cwd):
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    if traced:
        env["LD_PRELOAD"] = LIB
        env["MTRACE_OUT"] = os.path.join(cwd, "snap.%p.%n")
        env["MTRACE_MIN_ALLOCS"] = "0"   # the replaced image made one allocation
    p = subprocess.Popen([WAYS, mode], cwd=cwd, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, preexec_fn=core_limit)
    if mode == "term":
        p.stdout.readline()              # "ready"
        p.send_signal(signal.SIGTERM)
    p.communicate(timeout=60)
    return p.returncode


def wait_status(rc):
    """(exit status or None, terminating signal or None)."""
    return (rc, None) if rc >= 0 else (None, -rc)


cases = [("return", "exit", 9, None), ("exit_thread", "exit", 6, None), ("_exit", "_exit", 3, None),
         ("_Exit", "_exit", 5, None), ("quick_exit", "_exit", 7, None),
         ("abort", "killed", None, signal.SIGABRT), ("segv", "killed", None, signal.SIGSEGV),
         ("term", "killed", None, signal.SIGTERM), ("exec", "exec", 0, None),
         ("exec_fail", "exit", 4, None)]
for mode, reason, status, sig in cases:
    plain_dir = tempfile.mkdtemp(prefix="mtrace-ways-plain-")
    traced_dir = tempfile.mkdtemp(prefix="mtrace-ways-")
    plain = launch(mode, False, plain_dir)
    traced = launch(mode, True, traced_dir)
    equal(wait_status(traced), wait_status(plain), f"[{mode}] same end as untraced")
    equal(wait_status(traced), (status, sig), f"[{mode}] the expected end")
    # Whether a core was dumped: the same files (or none) in both directories.
    cores = lambda d: sorted(f.split(".")[0] for f in os.listdir(d) if f.startswith("core"))
    equal(cores(traced_dir), cores(plain_dir), f"[{mode}] core dump as untraced")
    snaps = sorted(glob.glob(os.path.join(traced_dir, "snap.*")))
    mine = []
    for s in snaps:
        h, _, stacks = read_raw(s)
        if h["program_str"].endswith("ways_out"):
            mine.append((h, s))
    if mode == "exec":
        # The replaced image's snapshot, then /bin/true's own, which names it.
        check(len(snaps) == 2, f"[{mode}] two snapshots (ways_out's, true's): {snaps}")
        others = [s for s in snaps if not read_raw(s)[0]["program_str"].endswith("ways_out")]
        if others:
            equal(report("top", others[0])["snapshots"][0]["replaced"], WAYS,
                  f"[{mode}] the new image's header names the one it replaced")
    if not equal(len(mine), 1, f"[{mode}] one snapshot of ways_out: {snaps}"):
        continue
    h, s = mine[0]
    equal(h["reason"], REASON[reason], f"[{mode}] reason recorded")
    equal(h["sequence"], 0, f"[{mode}] sequence 0 (a failed exec's file is gone, its number free)")
    raw = open(s, "rb").read()
    end_signal, end_status = struct.unpack_from("<Ii", raw, 184)
    equal((end_signal, end_status), (sig or 0, status if reason != "exec" and status is not None else 0),
          f"[{mode}] end signal and status in the header")
    js = report("leaks", "-n", "0", s)
    rows = rows_by_line(js, "ways_out.c")
    r = rows.get(KEPT)
    check(r is not None and (r["live_bytes"], r["live_count"]) == (4242, 1),
          f"[{mode}] the kept block at ways_out.c:{KEPT}: {r and (r['live_bytes'], r['live_count'])}")
    if reason == "killed":
        t = subprocess.run([REPORT, "leaks", "-n", "1", s], capture_output=True, text=True)
        check(f"killed by SIG{signal.Signals(sig).name[3:]}" in t.stdout,
              f"[{mode}] the table names the signal: {t.stdout[:400]}")

# vfork children exec: they share the parent's memory until then, so the
# exec hook must leave nothing mapped in it (it did: 24 KiB per exec).
p, d, snaps = run([WAYS, "vfork"])
equal(p.returncode, 0, f"[vfork] 200 children ran /bin/true ({p.stderr.strip()[-300:]})")
if p.returncode == 0:
    grew = int(p.stdout.split()[2])
    check(grew < 1024, f"[vfork] the parent's address space grew by {grew} KiB (limit 1 MiB)")

# MTRACE_DISABLE=1 loads the shim but traces nothing: its exec and exit
# hooks still reach glibc (env's execvp failed with ENOSYS: the real
# functions were resolved only when tracing was on).
p, d, snaps = run(["/usr/bin/env", "/bin/sh", "-c", "echo ran; exit 3"], env={"MTRACE_DISABLE": "1"})
equal((p.returncode, p.stdout, snaps), (3, "ran\n", []), f"[disabled] exec and exit work ({p.stderr.strip()})")
done()
