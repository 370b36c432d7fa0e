"""The shim's snapshot signal is invisible to the program: it reads SIG_DFL,
raising the signal writes a snapshot, and a handler the program installs
replaces the shim's (one line on stderr says snapshots on it are off).
Python sees SIG_DFL too and its own handler works."""
from mtlib import *

p, d, snaps = run([prog("sigview")])
expected = ("query: default\nsignal(SIG_DFL) returned: default\nafter SIG_DFL: default\n"
            "replaced: default\nnow: mine, handler ran 1 time(s)\nsignal() returned: mine\n")
equal((p.returncode, p.stdout), (0, expected), "program reads SIG_DFL, its handler wins")
equal(p.stderr.count("snapshots on that signal are off"), 1, f"one line on stderr: {p.stderr!r}")
reasons = sorted(read_raw(s)[0]["reason"] for s in snaps)
equal(reasons, [1, 2], "one signal snapshot (before the program took the signal over), one at exit")

# Python: signal.getsignal reports SIG_DFL; a Python handler replaces the shim's.
script = ("import os, signal\n"
          "print(signal.getsignal(signal.SIGUSR2) == signal.SIG_DFL)\n"
          "got = []\n"
          "signal.signal(signal.SIGUSR2, lambda s, f: got.append(s))\n"
          "os.kill(os.getpid(), signal.SIGUSR2)\n"
          "print(got == [signal.SIGUSR2])\n")
p, d, snaps = run(["/usr/bin/python3", "-c", script])
equal((p.returncode, p.stdout), (0, "True\nTrue\n"), f"python sees SIG_DFL, its handler runs: {p.stderr}")
done()
