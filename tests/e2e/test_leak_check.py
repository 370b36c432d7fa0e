"""`mtrace-report check` on real exit snapshots (issue 5): the leak gate's
exit codes 0/1/2, each suppression kind against a real stack (function,
source file, module, anchored, wildcard, called_from_lib) and the built-in
ones, thresholds, --classes, JSON and JUnit (parsed here), and real programs
passing with the built-in suppressions: a clean C program, sqlite3, git,
python3."""
import shutil
import xml.etree.ElementTree as ET
from mtlib import *

LEAKS = prog("leaks")
TMP = tempfile.mkdtemp(prefix="mtrace-check-")


def check_cmd(*args):
    return subprocess.run([REPORT, "check", *args], capture_output=True, text=True, timeout=300)


def check_json(*args):
    p = check_cmd("--format", "json", *args)
    try:
        return p.returncode, json.loads(p.stdout)
    except ValueError:
        check(False, f"check --format json {args}: not JSON: {p.stdout[:300]} {p.stderr}")
        return p.returncode, None


def supp(name, text):
    path = os.path.join(TMP, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def exit_snapshot(argv, tag):
    p, d, snaps = run(argv)
    check(p.returncode == 0, f"{tag}: exit status {p.returncode}: {p.stderr[-500:]}")
    check(len(snaps) >= 1, f"{tag}: a snapshot")
    return snaps


leaky = exit_snapshot([LEAKS], "leaks")[0]
clean = exit_snapshot([LEAKS, "clean"], "leaks clean")[0]

# ---- verdicts and exit codes ---------------------------------------------------
rc, js = check_json(leaky)
equal(rc, 1, "leaking program: exit 1")
if js:
    equal((js["result"], js["totals"]["leaked_bytes"], js["totals"]["leaked_blocks"]),
          ("fail", 1192, 5), "leaking program: 1,192 bytes in 5 blocks (LeakSanitizer's figures)")
    equal(js["summary"], "SUMMARY: 1192 byte(s) leaked in 5 allocation(s).", "summary line")
    tops = [(g["function"], os.path.basename(g["file"] or ""), g["line"], g["bytes"], g["blocks"])
            for g in js["groups"]]
    equal(tops, [("leak_definite", "leaks.c", line_of("leaks.c", "leak_definite"), 1000, 1),
                 ("leak_list", "leaks.c", line_of("leaks.c", "leak_list"), 192, 4)],
          "the leaking stacks, with their lines")
    equal(js["groups"][1]["leaks"]["indirect"], {"bytes": 144, "count": 3}, "the list's indirect part")
    equal(js["totals"]["leaks"]["possible"], {"bytes": 2000, "count": 1}, "possibly lost total")

rc, js = check_json(clean)
equal((rc, js and js["result"]), (0, "pass"), "clean program: exit 0")
p = check_cmd(leaky, "--max-leaked-bytes", "1192", "--max-leaked-blocks", "5")
equal(p.returncode, 0, "thresholds: 1192 bytes / 5 blocks allowed")
p = check_cmd(leaky, "--max-leaked-bytes", "1K", "--max-leaked-blocks", "10")
equal(p.returncode, 1, "thresholds: 1K bytes is not enough")
p = check_cmd(clean, "--classes", "definite,indirect,possible,reachable")
equal(p.returncode, 1, "--classes reachable: a clean program keeps blocks reachable")
p = check_cmd(leaky, "--classes", "possible", "--max-leaked-bytes", "2000", "--max-leaked-blocks", "1")
equal(p.returncode, 0, "--classes possible with a 2000-byte threshold")
p = check_cmd(leaky, "--classes", "nonsense")
equal(p.returncode, 2, "bad --classes: exit 2")
p = check_cmd(os.path.join(TMP, "missing.snap"))
equal(p.returncode, 2, "missing snapshot: exit 2")
noscan = run([LEAKS], env={"MTRACE_LEAK_SCAN": "0"})[2][0]
p = check_cmd(noscan)
check(p.returncode == 2 and noscan in p.stderr and p.stderr.count("\n") == 1,
      f"a snapshot without classes: exit 2 with one line naming it: {p.stderr!r}")

# ---- suppressions, each kind, on the real stacks ----------------------------------
kinds = {
    "function": "leak:leak_definite\nleak:leak_list\n",
    "anchored function": "leak:^leak_definite$\nleak:^leak_list$\n",
    "wildcard": "leak:^leak_*$\n",
    "source file": "leak:tests/progs/leaks.c\n",
    "module": "leak:" + os.path.basename(LEAKS) + "\n",
    "called_from_lib": "called_from_lib:" + os.path.basename(LEAKS) + "\n",
}
for kind, text in kinds.items():
    rc, js = check_json(leaky, "--suppressions", supp(kind.replace(" ", "_") + ".supp", text))
    equal(rc, 0, f"suppression by {kind}: the leaks no longer fail")
    if js:
        used = sum(u["blocks"] for u in js["suppressions_used"] if u["type"] != "builtin")
        equal(used, 5, f"suppression by {kind}: reported as used for the 5 blocks")
rc, js = check_json(leaky, "--suppressions", supp("half.supp", "leak:^leak_list$\n"))
equal((rc, js and js["totals"]["leaked_bytes"]), (1, 1000), "one stack suppressed, the other fails")
rc, js = check_json(leaky, "--suppressions", supp("none.supp", "leak:^leak_lis$\nleak:nowhere\n"))
equal((rc, js and js["totals"]["leaked_bytes"]), (1, 1192), "patterns that match nothing")
p = check_cmd(leaky, "--suppressions", supp("bad.supp", "# comment\nleak\n"))
check(p.returncode == 2 and "bad.supp:2" in p.stderr, f"a bad line: exit 2 naming FILE:LINE: {p.stderr!r}")

# ---- JUnit --------------------------------------------------------------------------
xml_path = os.path.join(TMP, "leaks.xml")
p = check_cmd(leaky, clean, "--junit", xml_path)
equal(p.returncode, 1, "JUnit run fails")
try:
    root = ET.parse(xml_path).getroot()
    suites = root.findall("testsuite") if root.tag == "testsuites" else [root]
    cases = [c for s in suites for c in s.findall("testcase")]
    equal(len(cases), 2, "JUnit: one test case per snapshot")
    failed = [c for c in cases if c.find("failure") is not None]
    equal(len(failed), 1, "JUnit: the leaking snapshot fails, the clean one passes")
    if failed:
        f = failed[0].find("failure")
        check("1192 byte(s)" in f.get("message", "") and "leak_definite" in (f.text or ""),
              f"JUnit: the failure carries the summary and the stacks: {f.attrib}")
except (ET.ParseError, OSError) as e:
    check(False, f"JUnit XML does not parse: {e}")

# ---- real programs pass with the built-in suppressions ------------------------------------
reals = [("C program", [LEAKS, "clean"]),
         ("sqlite3", ["sqlite3", ":memory:", "create table t(a, b); "
                      "insert into t select value, hex(value) from generate_series(1, 2000); "
                      "create index tb on t(b); select count(*) from t;"]),
         ("git", ["git", "init", "-q", os.path.join(TMP, "repo")]),
         ("git status", ["git", "-C", os.path.join(TMP, "repo"), "status", "--short"]),
         ("python3", ["/usr/bin/python3", "-c",
                      "import json, re; print(len(json.dumps([{'a': str(i)} for i in range(5000)])))"])]
for tag, argv in reals:
    if not shutil.which(argv[0]):
        check(False, f"{argv[0]} is not installed (the test setup installs it)")
        continue
    for s in exit_snapshot(argv, tag):
        p = check_cmd(s)
        equal(p.returncode, 0, f"{tag}: passes check: {p.stdout[-800:]}")
done()
