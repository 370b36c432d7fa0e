"""Processes and signals under the shim (test_python_procs.py):
  procs.py signals     SIGINT handling as untraced: prints the handler check
                       and whether KeyboardInterrupt was raised
  procs.py subprocess  runs an existing and a missing command
  procs.py execvp      os.execvp across a PATH with missing entries, into
                       /usr/bin/python3 -c (prints "replaced")
  procs.py mp METHOD   a multiprocessing pool (fork or spawn): 2 workers,
                       each allocating at @mp_work"""
import json
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import time


def work(n):
    data = [str(i) * 10 for i in range(n)]  # @mp_work
    time.sleep(0.3)                          # both workers get a task
    return len(data)


def main():
    mode = sys.argv[1]
    if mode == "signals":
        ok = signal.getsignal(signal.SIGINT) is signal.default_int_handler
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)
            raised = False
        except KeyboardInterrupt:
            raised = True
        print(json.dumps({"default_int_handler": ok, "keyboard_interrupt": raised}))
    elif mode == "subprocess":
        rc = subprocess.run(["true"]).returncode
        try:
            subprocess.run(["mtrace-no-such-command"])
            missing = "ran"
        except FileNotFoundError:
            missing = "FileNotFoundError"
        print(json.dumps({"true": rc, "missing": missing}))
    elif mode == "execvp":
        os.environ["PATH"] = os.pathsep.join(["/nonexistent/a", "/nonexistent/b", "/tmp",
                                              os.path.dirname(sys.executable), "/usr/bin"])
        sys.stdout.flush()
        os.execvp("python3", ["python3", "-c", "print('replaced')"])
    elif mode == "mp":
        ctx = mp.get_context(sys.argv[2])
        with ctx.Pool(2) as pool:
            results = pool.map(work, [20000, 20000, 20000, 20000], chunksize=1)
            pool.close()
            pool.join()
        print(json.dumps({"results": results}))


if __name__ == "__main__":
    main()
