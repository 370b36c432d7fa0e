"""Python programs run unchanged under the shim: `python3 -c`, `python3 -m
json.tool FILE` and a stdlib-heavy script (threads, asyncio, sqlite3, a
subprocess) give the same stdout and exit status as untraced, nothing on
stderr, and a valid snapshot with Python frames. Interpreter shutdown
(allocations in an atexit handler and in __del__ during finalization) and
sub-interpreters are harmless. An unsupported CPython (3.10) says so in one
line and is traced with native stacks only."""
from pylib import *

STDLIB = script("stdlib_mix.py")
FIN = script("fin.py")
SUB = script("sub.py")


def same_as_untraced(tag, argv, expect_stdout=None, **kw):
    """Runs argv without and with the shim: same stdout and status, nothing
    on stderr. Returns (the traced run's snapshot of this interpreter, or
    None; the untraced stdout). Every snapshot written is checked valid."""
    plain = run_plain(argv, **kw)
    equal((plain.returncode, plain.stderr), (0, ""), f"{tag} untraced: runs clean")
    if expect_stdout is not None:
        equal(plain.stdout, expect_stdout, f"{tag} untraced: output")
    p, d, snaps = run_py(argv, **kw)
    equal(p.returncode, plain.returncode, f"{tag} exit status as untraced")
    equal(p.stdout, plain.stdout, f"{tag} same output as untraced")
    equal(p.stderr, "", f"{tag} nothing on stderr")
    for s in snaps:                     # children's (a subprocess's) too
        header(s)
        dump_ok(s)
    mine = snaps_of(snaps, argv[0])
    if not equal(len(mine), 1, f"{tag} one snapshot of the interpreter"):
        return None, plain.stdout
    h = header(mine[0])
    equal(h["reason"], 1, f"{tag} written at exit")
    check(h["total_allocs"] > 1000, f"{tag} allocations traced: {h['total_allocs']}")
    return mine[0], plain.stdout


def has_python_file(tag, snap, pred, what):
    files, nstacks = python_files(snap)
    check(nstacks > 100, f"{tag} stacks with Python frames: {nstacks}")
    check(any(pred(f) for f in files), f"{tag} Python frames of {what}")


def programs(ver, py):
    tag = f"[{ver} -c]"
    code = ("import collections, json\n"
            "c = collections.Counter(str(i % 7) * (i % 5) for i in range(20000))\n"
            "print(json.dumps(sorted(c.items())))")
    snap, out = same_as_untraced(tag, [py, "-c", code])
    if snap:
        has_python_file(tag, snap, lambda f: f == "<string>", "<string>")

    tag = f"[{ver} -m json.tool]"
    d = mkdtemp("mtrace-pyjson-")
    doc = os.path.join(d, "doc.json")
    with open(doc, "w") as f:
        json.dump({"items": [{"id": i, "tags": ["a", "b"], "v": i / 3} for i in range(300)]}, f)
    snap, out = same_as_untraced(tag, [py, "-m", "json.tool", doc])
    if snap:
        has_python_file(tag, snap, lambda f: f.endswith("json/tool.py"), "json/tool.py")

    tag = f"[{ver} stdlib]"
    snap, out = same_as_untraced(tag, [py, STDLIB])
    if snap:
        has_python_file(tag, snap, lambda f: f == STDLIB, "the script")
        files = {os.path.basename(f) for f in python_files(snap)[0]}
        for mod in ("parser.py", "ElementTree.py", "thread.py", "base_events.py", "subprocess.py"):
            check(mod in files, f"{tag} Python frames in {mod}")


def shutdown(ver, py):
    tag = f"[{ver} shutdown]"
    expect = "main done\natexit 5000\ndel cycle 2000\ndel global 2000\n"
    snap, out = same_as_untraced(tag, [py, FIN])
    check(sorted(out.splitlines()) == sorted(expect.splitlines()),
          f"{tag} every handler and __del__ ran: {out!r}")
    if snap:
        # The atexit handler runs before finalization: Python frames still.
        r = raw_python_site(snap, FIN, py_line_of(FIN, "atexit_alloc"))
        check(r["alloc_count"] >= 5000, f"{tag} atexit handler's allocations at its line: {r}")


def subinterpreters(ver, py):
    tag = f"[{ver} subinterpreters]"
    mod = "_interpreters" if tuple(map(int, ver.split("."))) >= (3, 13) else "_xxsubinterpreters"
    probe = subprocess.run([py, "-c", f"import {mod}"], capture_output=True, timeout=60)
    if probe.returncode != 0:
        print(f"{tag} {mod} does not import: skipped")
        return
    expect = "sub 4909\nmain thread None\nsub 4909\nother thread done\ndestroyed\n"
    snap, out = same_as_untraced(tag, [py, SUB], expect_stdout=expect)
    if snap:
        has_python_file(tag, snap, lambda f: f == SUB, "the script")


def unsupported(py):
    ver = os.path.basename(py)
    tag = f"[{ver} unsupported]"
    code = ("import json\n"
            "d = [{'k': str(i)} for i in range(20000)]\n"
            "print(len(json.dumps(d)))")
    plain = run_plain([py, "-c", code])
    equal((plain.returncode, plain.stdout.strip(), plain.stderr), (0, "308890", ""), f"{tag} untraced")
    p, d, snaps = run_py([py, "-c", code])
    equal((p.returncode, p.stdout), (plain.returncode, plain.stdout), f"{tag} output and status unchanged")
    lines = p.stderr.splitlines()
    if equal(len(lines), 1, f"{tag} one line on stderr: {p.stderr!r}"):
        check(re.fullmatch(r"mtrace: Python 3\.10\.\d+ is not supported .*", lines[0]) is not None,
              f"{tag} says it is not supported: {lines[0]!r}")
    mine = snaps_of(snaps, py)
    if equal(len(mine), 1, f"{tag} one snapshot"):
        h = header(mine[0])
        check(h["total_allocs"] > 1000, f"{tag} allocations traced: {h['total_allocs']}")
        equal(frame_kinds(mine[0]), {0}, f"{tag} native frames only")
        dump_ok(mine[0])


for ver, py in interpreters():
    programs(ver, py)
    shutdown(ver, py)
    subinterpreters(ver, py)
for py in unsupported_interpreters():
    unsupported(py)
done()
