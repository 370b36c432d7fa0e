"""mtrace-run --rss-only (issue 10): nothing is traced; mtrace-reaper polls
the RSS of every process of the tree and writes one snapshot per process.
A static program (LD_PRELOAD cannot reach it) and a shell pipeline whose
two processes hold 30 MiB and 20 MiB steady for well over five intervals:
one series per process, its RSS within 10% of VmRSS read here from
/proc/PID/status while they run; how the reaped command ended; `top` on
such a file exits 2 saying what to use instead."""
import time
from mtlib import *

RUN = os.environ["MTRACE_RUN"]
HOLD = prog("rss_hold")
INTERVAL_MS = 100
MIB = 1 << 20


def vmrss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return None


def start(d, argv):
    e = {k: v for k, v in os.environ.items() if not k.startswith("MTRACE_") and k != "LD_PRELOAD"}
    return subprocess.Popen([RUN, "--rss-only", "-i", str(INTERVAL_MS), "-o",
                             os.path.join(d, "%e.%p.%n.snap"), "--", *argv],
                            cwd=d, env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def readings(pidfile, npids, count=6):
    """Waits for NPIDS pids in PIDFILE (each written once its memory is
    resident), then reads their VmRSS COUNT times, 150 ms apart: {pid:
    [(time_ns, bytes)]}."""
    deadline = time.time() + 20
    pids = []
    while time.time() < deadline:
        if os.path.exists(pidfile):
            pids = [int(x) for x in open(pidfile).read().split()]
            if len(pids) >= npids:
                break
        time.sleep(0.02)
    if not check(len(pids) == npids, f"{npids} processes started: {pids}"):
        return {}
    time.sleep(0.25)
    out = {pid: [] for pid in pids}
    for _ in range(count):
        for pid in pids:
            out[pid].append((time.time_ns(), vmrss(pid)))
        time.sleep(0.15)
    return out


def series(snaps):
    js = subprocess.run([REPORT, "timeline", "--format", "json", *snaps], capture_output=True,
                        text=True, timeout=60)
    equal(js.returncode, 0, f"timeline --format json: {js.stderr}")
    return {p["pid"]: p for p in json.loads(js.stdout)["processes"]} if js.returncode == 0 else {}


def compare(proc, reads, what):
    """Each reading against the point nearest in time (within two
    intervals): within 10%; and at least five points in the steady part."""
    pts = proc["points"]
    check(all(p["traced_bytes"] == 0 and p["allocs"] == 0 for p in pts), f"{what}: RSS only")
    for t, want in reads:
        near = min(pts, key=lambda p: abs(p["time_ns"] - t)) if pts else None
        if not check(near and abs(near["time_ns"] - t) <= 2 * INTERVAL_MS * 1000000,
                     f"{what}: a point near the reading at {t}"):
            continue
        check(abs(near["rss_bytes"] - want) <= 0.1 * want,
              f"{what}: RSS {near['rss_bytes']} within 10% of VmRSS {want}")
    lo, hi = reads[0][0] - 10**8, reads[-1][0] + 10**8
    steady = [p for p in pts if lo <= p["time_ns"] <= hi]
    check(len(steady) >= 5, f"{what}: {len(steady)} points while held (want >= 5)")


d = tempfile.mkdtemp(prefix="mtrace-rss-")

# A static program, the command itself: its end is known (reaped here).
pidfile = os.path.join(d, "static.pids")
p = start(d, [HOLD, "20", "1.6", pidfile])
reads = readings(pidfile, 1)
out, err = p.communicate(timeout=60)
equal(p.returncode, 0, f"static: exit status ({err[-500:]})")
snaps = sorted(glob.glob(os.path.join(d, "rss_hold.*.snap")))
equal(len(snaps), 1, f"static: one snapshot: {os.listdir(d)}")
check("RSS only" in err and "mtrace-report timeline: pid" in err,
      f"static: mtrace-run summarizes the timeline: {err[-800:]}")
if snaps and reads:
    (pid, r), = reads.items()
    s = series(snaps)
    if check(list(s) == [pid], f"static: the series of pid {pid}: {list(s)}"):
        proc = s[pid]
        check(proc["rss_only"] and proc["program"].endswith("/rss_hold"), f"static: {proc['program']}")
        equal(proc["snapshots"][0]["reason"], "exit", "static: reaped, its end known")
        compare(proc, r, "static")
        check(proc["peak"]["kind"] == "rss" and proc["peak"]["bytes"] >= 20 * MIB,
              f"static: the RSS peak {proc['peak']}")
    _, h, _, secs = read_sections(snaps[0])
    equal(sorted(secs), [1, 6], "static: STRINGS and TIMELINE only")
    equal(h["flags"] & 2, 2, "static: the header's MT_HDR_RSS_ONLY flag")
    equal(oct(os.stat(snaps[0]).st_mode & 0o777), "0o600", "static: mode 0600")
    # Only timeline (and procs, dump) read such a file.
    t = subprocess.run([REPORT, "top", snaps[0]], capture_output=True, text=True, timeout=60)
    equal(t.returncode, 2, "top on an --rss-only file: exit 2")
    check(t.stderr.strip().endswith("holds only an RSS timeline (mtrace-run --rss-only); "
                                    "use mtrace-report timeline") and t.stderr.count("\n") == 1,
          f"top on an --rss-only file: one clear line: {t.stderr!r}")

# A pipeline: python3 holding 30 MiB | the static program holding 20 MiB.
d = tempfile.mkdtemp(prefix="mtrace-rss-pipe-")
pidfile = os.path.join(d, "pipe.pids")
code = ("import os, sys, time; b = b'x' * (30 << 20); "
        "open(sys.argv[1], 'a').write('%d\\n' % os.getpid()); time.sleep(2.2)")
p = start(d, ["/bin/sh", "-c", f"/usr/bin/python3 -c \"{code}\" {pidfile} | {HOLD} 20 2.2 {pidfile}; exit 3"])
reads = readings(pidfile, 2)
out, err = p.communicate(timeout=60)
equal(p.returncode, 3, f"pipeline: the command's status ({err[-500:]})")
s = series(glob.glob(os.path.join(d, "*.snap")))
names = sorted(os.path.basename(proc["program"]) for proc in s.values())
for pid, r in reads.items():
    if check(pid in s, f"pipeline: a series for pid {pid}"):
        compare(s[pid], r, f"pipeline pid {pid} ({os.path.basename(s[pid]['program'])})")
held = sorted(os.path.basename(s[pid]["program"]) for pid in reads if pid in s)
check(len(held) == 2 and held[1] == "rss_hold" and held[0].startswith("python3"),
      f"pipeline: python3 and rss_hold: {held}")
# one series per process, the shell's too; its end known (the command)
equal(len(names), len(glob.glob(os.path.join(d, "*.snap"))), "pipeline: one series per snapshot")
shells = [proc for proc in s.values() if os.path.basename(proc["program"]) in ("dash", "sh", "bash")]
if check(len(shells) == 1, f"pipeline: the shell's series: {names}"):
    equal(shells[0]["snapshots"][0]["reason"], "exit", "pipeline: the shell reaped, its end known")
done()
