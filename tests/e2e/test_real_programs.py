"""Real programs run unchanged under the shim, and their snapshots are valid
and symbolize: python3, sqlite3, git."""
import shutil
from mtlib import *

PY = "/usr/bin/python3"
cases = [
    ("python3", [PY, "-c", "import json; d=[{'k': str(i)} for i in range(20000)]; "
                           "print(len(json.dumps(d)))"], "308890", "<listcomp>"),
    ("sqlite3", ["sqlite3", ":memory:",
                 "create table t(a integer primary key, b text); "
                 "with recursive c(x) as (select 1 union all select x+1 from c where x<20000) "
                 "insert into t(b) select printf('row %d', x) from c; "
                 "create index tb on t(b); select count(*) from t where b like 'row 1%';"], "11111", "sqlite3_"),
]
for name, argv, expected, known_fn in cases:
    if not shutil.which(argv[0]):
        check(False, f"{argv[0]} is not installed (the test setup installs it)")
        continue
    plain = subprocess.run(argv, capture_output=True, text=True)
    p, d, snaps = run(argv, timeout=300)
    equal((p.returncode, p.stdout.strip()), (0, expected), f"{name}: runs unchanged")
    equal(p.stdout, plain.stdout, f"{name}: same output as untraced")
    if not check(len(snaps) >= 1, f"{name}: snapshot written"):
        continue
    h, _, stacks = read_raw(snaps[0])
    check(h["total_allocs"] > 1000, f"{name}: allocations traced ({h['total_allocs']})")
    # Stripped binaries symbolize through their dynamic symbols: the top
    # stacks name the program's exported functions (Python: its code).
    js = report("top", "-n", "10", snaps[0])
    check(len(js["rows"]) >= 3, f"{name}: several sites")
    fns = {f["function"] for r in js["rows"] for f in r["stack"] if f.get("function")}
    check(any(known_fn in f for f in fns), f"{name}: stacks name {known_fn}*: {sorted(fns)[:20]}")
    # Native rows list every frame (stack[0] a wrapper, in a module); rows
    # of Python stacks list the Python traceback: a Python frame first, or
    # a native frame (a C extension's) that carries its module, never an
    # interpreter frame.
    def first_ok(r):
        if not r["stack"]:
            return False
        f = r["stack"][0]
        if not any(g["python"] for g in r["stack"]):
            return bool(f["module"])
        if f["python"]:
            return bool(f["function"]) and f["module"] is None
        base = os.path.basename(f["module"] or "")
        return bool(base) and not base.startswith(("python3", "libpython"))
    check(all(first_ok(r) for r in js["rows"]),
          f"{name}: first frames carry modules or are Python frames: "
          f"{[r['stack'][:1] for r in js['rows'] if not first_ok(r)]}")

# git: a repository with a commit, in a temporary directory.
if shutil.which("git"):
    d = tempfile.mkdtemp(prefix="mtrace-git-")
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t", "HOME": d, "MTRACE_OUT": os.path.join(d, "snap.%e.%p.%n")}
    subprocess.run(["git", "init", "-q", d], check=True)
    open(os.path.join(d, "f.txt"), "w").write("hello\n" * 1000)
    for argv in (["git", "add", "f.txt"], ["git", "commit", "-q", "-m", "x"], ["git", "log", "--oneline"]):
        p, _, _ = run(argv, env=env, cwd=d)
        equal(p.returncode, 0, f"{' '.join(argv)} under the shim: {p.stderr}")
    snaps = glob.glob(os.path.join(d, "snap.git.*"))
    check(len(snaps) >= 3, f"git wrote snapshots: {snaps}")
    for s in snaps:
        read_raw(s)
        report("top", s)
else:
    check(False, "git is not installed (the test setup installs it)")
done()
