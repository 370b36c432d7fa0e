"""The pytest plugin (python/mtrace/pytest_plugin.py) with Debian's pytest under
/usr/bin/python3 on pyprogs/limits.py, and the generation marks it stands on
(mtrace_mark/mtrace_live_since, tests/progs/marks.c, exact figures):
- under the shim with --mtrace: tests within their limits pass, a leak and a
  peak over the limit fail naming the line responsible, a test starting on a
  ~50 MB heap passes limit_memory("10 MB"), warm-ups and filter_fn work;
- without --mtrace (under the shim), and with --mtrace without the shim:
  every test passes and one summary line says the markers were ignored;
- `pytest --markers` lists the markers."""
import shutil
import xml.etree.ElementTree as ET

from pylib import *

PY = "/usr/bin/python3"
LIMITS = script("limits.py")
PLUGIN = ["-m", "pytest", "-p", "mtrace.pytest_plugin", "-p", "no:cacheprovider"]
IGNORED = "mtrace: limit_memory/limit_leaks markers ignored"


def marks_api():
    tag = "[mark/live_since]"
    p, d, snaps = run([prog("marks")])
    equal((p.returncode, p.stderr), (0, ""), f"{tag} runs clean")
    o = json_lines(p.stdout)
    if not equal(o.get("shim"), True, f"{tag} the weak API is bound under the shim"):
        return
    equal((o["m1"], o["m2"]), (1, 2), f"{tag} marks count from 1")
    equal(o["r"], [0] * 8, f"{tag} every live_since on a known mark succeeds")
    equal((o["bad"], o["old"]), (-1, -1), f"{tag} a mark not handed out, and one swept by the wrap, are refused")
    equal(o["empty"], [0, 0], f"{tag} nothing since a fresh mark")
    equal(o["after"], [5 * 1000 + (1 << 20), 6], f"{tag} table and side-table blocks after the mark")
    equal(o["freed"], [4 * 1000 + (1 << 20) + 300, 6],
          f"{tag} a freed block leaves, one freed from before the mark changes nothing, a realloc counts")
    equal(o["m2since"], [4096, 1], f"{tag} since the second mark")
    equal(o["m1since"], [4 * 1000 + (1 << 20) + 300 + 4096, 7], f"{tag} since the first mark, later")
    equal(o["m"], 20002, f"{tag} ids keep increasing past the epoch wrap")
    equal(o["wrap"], [302000, 2], f"{tag} exact after the wrap (table and side table)")
    equal(o["fresh"], [0, 0], f"{tag} nothing since the last mark")
    p, d, snaps = run([prog("marks")], preload=False)
    equal((p.returncode, p.stdout), (0, '{"shim": false}\n'), f"{tag} without the shim: weak symbols NULL")


def pytest_run(args, preload, env=None):
    """Runs pytest on a copy of limits.py in a new directory; returns
    (process, {test name: (outcome, message)}, the copy's path)."""
    d = mkdtemp("mtrace-e2e-pytest-")
    mod = os.path.join(d, "test_limits.py")
    shutil.copy(LIMITS, mod)
    xml = os.path.join(d, "junit.xml")
    p, _, snaps = run_py([PY, *PLUGIN, "--rootdir", d, f"--junitxml={xml}", *args, mod],
                         preload=preload, env=env, cwd=d, timeout=600)
    outcomes = {}
    if os.path.exists(xml):
        for case in ET.parse(xml).getroot().iter("testcase"):
            fail = case.find("failure")
            if fail is None:
                fail = case.find("error")
            outcomes[case.get("name")] = (("failed", fail.get("message") or fail.text or "")
                                          if fail is not None else ("passed", ""))
    return p, outcomes, mod


def with_mtrace():
    tag = "[--mtrace under the shim]"
    p, got, mod = pytest_run(["--mtrace"], preload=True)
    if not check(len(got) == 8, f"{tag} 8 tests ran: {got}\n{p.stdout[-3000:]}\n{p.stderr[-2000:]}"):
        return
    want = {"test_within_limits": "passed", "test_big_heap_adds_little": "passed",
            "test_leaky": "failed", "test_too_much": "failed", "test_first_call_cache": "passed",
            "test_filtered_leak": "passed", "test_unfiltered_leak": "failed", "test_unmarked": "passed"}
    equal({k: v[0] for k, v in got.items()}, want, f"{tag} outcomes")
    out = p.stdout
    check(IGNORED not in out, f"{tag} no 'ignored' line")
    leak = f"{mod}:{py_line_of(mod, 'leak')}"
    hog = f"{mod}:{py_line_of(mod, 'hog')}"
    check("limit_leaks: 2.0 MiB allocated during the test is still live" in out,
          f"{tag} the leak's size in the failure: {out[-3000:]}")
    check("limit_memory: the test allocated 30.0 MiB at its peak" in out,
          f"{tag} the peak's size in the failure: {out[-3000:]}")
    # The first line named under each failure is the line responsible.
    for name, site in (("test_leaky", leak), ("test_too_much", hog)):
        text = out[out.find(f"_ {name} _"):]
        named = text[text.find("top lines"):].splitlines()[1:]
        tops = [ln for ln in named if ln.startswith("  ") and " block" in ln]
        check(tops and f"{site} (" in tops[0], f"{tag} {name}: first line named is {site}: {text[:1500]}")
    big = f"{mod}:{py_line_of(mod, 'big_heap')}"
    check(f"{big} (" not in out, f"{tag} the heap built at import is never named")
    # The failure snapshots stay; the filter_fn ones are removed.
    snaps = [s for s in os.listdir(os.path.dirname(mod)) if s.startswith("snap.")]
    check(len(snaps) >= 2, f"{tag} the failures' snapshots are kept: {snaps}")


def without_mtrace():
    tag = "[no --mtrace, under the shim]"
    p, got, mod = pytest_run([], preload=True)
    equal(set(v[0] for v in got.values()), {"passed"}, f"{tag} every test passes: {got}")
    equal(len(got), 8, f"{tag} 8 tests")
    lines = [ln for ln in p.stdout.splitlines() if IGNORED in ln]
    equal(len(lines), 1, f"{tag} one summary line: {p.stdout[-2000:]}")
    check(lines and "--mtrace not given" in lines[0] and "(7 marked tests)" in lines[0],
          f"{tag} the line says why: {lines}")


def without_shim():
    tag = "[--mtrace without the shim]"
    p, got, mod = pytest_run(["--mtrace"], preload=False)
    equal(set(v[0] for v in got.values()), {"passed"}, f"{tag} every test passes: {got}")
    equal(len(got), 8, f"{tag} 8 tests")
    lines = [ln for ln in p.stdout.splitlines() if IGNORED in ln]
    equal(len(lines), 1, f"{tag} one summary line: {p.stdout[-2000:]}")
    check(lines and "shim is not loaded" in lines[0], f"{tag} the line says why: {lines}")


def markers():
    tag = "[--markers]"
    p = run_plain([PY, *PLUGIN, "--markers"])
    equal(p.returncode, 0, f"{tag} runs")
    for m in ("@pytest.mark.limit_memory(size)", "@pytest.mark.limit_leaks(size, filter_fn=None, warmups=0)"):
        check(m in p.stdout, f"{tag} lists {m}: {p.stdout[:1500]}")


def sizes():
    tag = "[sizes]"
    p = run_plain([PY, "-c", "from mtrace.pytest_plugin import parse_size as p; import json; "
                   "print(json.dumps([p('24 MB'), p('1KB'), p('1 KiB'), p('2.5 GB'), p('100 B'), "
                   "p('512'), p('1 TB'), p('3mib')]))"])
    equal(json_lines("{\"v\": " + p.stdout.strip() + "}").get("v"),
          [24 << 20, 1024, 1024, int(2.5 * (1 << 30)), 100, 512, 1 << 40, 3 << 20], f"{tag} parsed")


have = subprocess.run([PY, "-c", "import pytest"], capture_output=True).returncode == 0
marks_api()
if check(have, f"{PY} has no pytest (Debian: python3-pytest, which scripts/setup installs)"):
    sizes()
    markers()
    without_shim()
    without_mtrace()
    with_mtrace()
done()
