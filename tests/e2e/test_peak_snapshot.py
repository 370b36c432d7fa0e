"""Surviving SIGKILL (issue 8): with MTRACE_PEAK_SNAPSHOT a program that
grows to 96 MiB at a known line and is then killed by SIGKILL (as the OOM
killer would) leaves exactly one snapshot, the newest peak, which shows the
96 MiB at that line (the older peak files were removed as newer ones were
written); without the knob nothing is left. mtrace-run says the command was
killed and names that file."""
import signal
from mtlib import *

OOM = prog("oom")
GROW = line_of("oom.c", "oom_grow")

p, d, snaps = run([OOM], env={"MTRACE_PEAK_SNAPSHOT": "20"}, timeout=60)
equal(p.returncode, -signal.SIGKILL, "killed by SIGKILL")
if equal(len(snaps), 1, f"one peak snapshot left: {snaps}"):
    h, _, _ = read_raw(snaps[0])
    equal(h["reason"], 5, "a peak snapshot")
    r = rows_by_line(report("top", "-n", "0", snaps[0]), "oom.c").get(GROW)
    check(r is not None and (r["live_bytes"], r["live_count"]) == (96 << 20, 3),
          f"it holds the 96 MiB at oom.c:{GROW}: {r and (r['live_bytes'], r['live_count'])}")
    # RSS is read when the snapshot is written, maybe while the last step's
    # memset still runs: the first two steps are resident for sure.
    check(h["rss_bytes"] >= 64 << 20, f"and RSS: {h['rss_bytes']}")

p, d, snaps = run([OOM], timeout=60)
equal((p.returncode, snaps), (-signal.SIGKILL, []), "without MTRACE_PEAK_SNAPSHOT nothing is left")

tmp = tempfile.mkdtemp(prefix="mtrace-oom-")
p = subprocess.run([os.environ["MTRACE_RUN"], "-p", "20", "-o", os.path.join(tmp, "oom.%n.snap"),
                    "--", OOM], capture_output=True, text=True, timeout=60)
left = glob.glob(os.path.join(tmp, "*"))
equal((p.returncode, len(left)), (137, 1), "mtrace-run: exit 128+9 and one file")
check(left and f"killed by SIGKILL (the OOM killer?); its last peak snapshot: {left[0]}" in p.stderr,
      f"mtrace-run names the peak snapshot: {p.stderr[-500:]}")
done()
