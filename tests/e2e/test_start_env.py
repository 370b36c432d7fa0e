"""The environment the shim hands the program (issue 6: MTRACE_ROOT goes
into a copy of the array in the shim's own pages, not through setenv,
which would leave blocks in glibc's heap before main). The program sees
MTRACE_ROOT; a string it putenv's over a name already there, held only by
the array, is reachable for the leak scan (not a leak for its gate, not
"possible" through a stray interior pointer); the auxiliary vector
still follows environ's end; a shell run under the shim reads MTRACE_ROOT
from the copy when it starts (and exports it to what it runs)."""
from mtlib import *

ENVCOPY = prog("envcopy")

p, d, snaps = run([ENVCOPY], env={"HOME": "/tmp", "MTRACE_LEAK_CHECK": "1"})
equal(p.returncode, 0, "the leak gate passes (the putenv'd string is held by environ)")
equal(p.stdout.strip(), "root set home /tmp/mtrace-envcopy auxv ok",
      "MTRACE_ROOT set, putenv works on the copy, auxv past environ's end")
scan, per, stacks = read_leaks(snaps[-1]) if snaps else (None, {}, [])
equal(scan and scan["status"], 1, "the exit leak scan ran to the end (MT_SCAN_DONE)")
rows = rows_by_line(report("leaks", snaps[-1]), "envcopy.c") if snaps else {}
row = rows.get(line_of("envcopy.c", "env_string"))
equal(row and row["leaks"]["reachable"], {"bytes": 25, "count": 1},
      "the putenv'd string is reachable through the environment's array")

untraced = subprocess.run([ENVCOPY], capture_output=True, text=True, env={"HOME": "/tmp"})
equal(untraced.stdout.strip(), "root unset home /tmp/mtrace-envcopy auxv ok",
      "the same program untraced")

# A shell imports its environment from the copy at its start.
p, d, snaps = run(["/bin/sh", "-c", 'echo "child:$MTRACE_ROOT"'])
check(p.returncode == 0 and p.stdout.startswith("child:") and ":" in p.stdout[6:],
      f"the shell sees MTRACE_ROOT: {p.stdout!r}")
done()
