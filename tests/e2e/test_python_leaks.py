"""Python in CI (issue 5, README's recipe), for every interpreter present:
- a clean script (json, re, a thread, a class) passes both gates, the shim's
  MTRACE_LEAK_CHECK and `mtrace-report check`, with the built-in
  suppressions (CPython 3.12+ leaves interned strings behind at exit: they
  are the interpreter's own, and suppressed);
- a C extension that loses 1,000,000 bytes fails both, and `check` shows
  the C line with the Python line that called it (a block that large is
  mmap'd: fresh pages no stale pointer can point into, which would make it
  only possibly lost);
- a module-level cache growing between two snapshots fails the growth gate
  (`check --max-growth`) at the growing line, and passes a looser one."""
from pylib import *

LEAKY = script("leaky.py")
SUMMARY = re.compile(r"^SUMMARY: (\d+) byte\(s\) leaked in (\d+) allocation\(s\)\.$", re.M)


def check_run(*args):
    p = subprocess.run([REPORT, "check", "--format", "json", *args], capture_output=True,
                       text=True, timeout=300)
    try:
        return p.returncode, json.loads(p.stdout)
    except ValueError:
        check(False, f"check {args}: not JSON: {p.stdout[:300]} {p.stderr}")
        return p.returncode, None


def exit_snap(snaps, py):
    mine = [s for s in snaps_of(snaps, py) if header(s)["reason"] == 1]
    return mine[-1] if mine else None


for ver, py in interpreters():
    tag = f"[{ver}]"
    # clean
    p, d, snaps = run_py([py, LEAKY, "clean"], env={"MTRACE_LEAK_CHECK": "1"})
    equal((p.returncode, SUMMARY.findall(p.stderr)), (0, []), f"{tag} clean: the shim's gate passes")
    s = exit_snap(snaps, py)
    if check(s, f"{tag} clean: an exit snapshot"):
        rc, js = check_run(s)
        equal((rc, js and js["result"]), (0, "pass"), f"{tag} clean: check passes")
        if js and ver != "3.11":
            check(js["suppressed"]["blocks"] > 0,
                  f"{tag} clean: the interpreter's own leftovers are suppressed: {js['suppressed']}")

    # a C extension's leak
    ext = build_ext(py)
    if ext:
        p, d, snaps = run_py([py, LEAKY, "ext"], env={"MTRACE_LEAK_CHECK": "1"}, pythonpath=[ext])
        equal(p.returncode, 23, f"{tag} ext: the shim's gate fails the run")
        equal(SUMMARY.findall(p.stderr), [("1000000", "1")], f"{tag} ext: exactly the extension's leak")
        check("mtext" in p.stderr, f"{tag} ext: the report names the extension: {p.stderr[-600:]}")
        s = exit_snap(snaps, py)
        if check(s, f"{tag} ext: an exit snapshot"):
            rc, js = check_run(s)
            equal(rc, 1, f"{tag} ext: check fails")
            if js and check(js["groups"], f"{tag} ext: a leaking group"):
                g = js["groups"][0]
                equal((g["bytes"], g["blocks"]), (1000000, 1), f"{tag} ext: 1,000,000 bytes in 1 block")
                where = [(os.path.basename(f["file"] or ""), f["line"]) for f in g["stack"]]
                check(("mtext.c", py_line_of(PYEXT_SRC, "ext_leak")) in where and
                      any(f == "leaky.py" for f, _ in where),
                      f"{tag} ext: the stack shows the C line and the Python caller: {where}")
            rc, js = check_run(s, "--no-default-suppressions")
            check(rc == 1 and js and js["totals"]["leaked_bytes"] >= 1000000,
                  f"{tag} ext: without the built-ins it still fails")

    # a growing global
    p, d, snaps = run_py([py, LEAKY, "growth"])
    out = json_lines(p.stdout)
    if check(p.returncode == 0 and "before" in out, f"{tag} growth: runs: {p.stderr[-400:]}"):
        rc, js = check_run("--max-growth", "1M", out["before"], out["after"])
        equal(rc, 1, f"{tag} growth: more than 1 MiB of growth fails")
        if js and check(js["groups"], f"{tag} growth: a growing group"):
            lines = [(os.path.basename(f["file"] or ""), f["line"]) for f in js["groups"][0]["stack"]]
            check(("leaky.py", py_line_of(LEAKY, "py_grow")) in lines,
                  f"{tag} growth: at the growing line: {lines}")
        rc, js = check_run("--max-growth", "16M", out["before"], out["after"])
        equal(rc, 0, f"{tag} growth: within 16 MiB passes")
done()
