"""@mtrace.profile, the line-by-line profile (issue 10), on Debian's
/usr/bin/python3 and every pyenv CPython 3.11-3.13 present:
- pyprogs/profiled.py: a line keeping 10 MB, one making and dropping a 20 MB
  temporary, one calling a helper that keeps 5 MB: increments +10 MB, ~0
  (allocated >= 20 MB), +5 MB, `del` -10 MB, exact within 1%; with the
  default backend (sys.monitoring on 3.12+) and with settrace;
- the same function under Debian's python3-memory-profiler: a table of the
  same shape (line numbers, occurrences, the columns);
- pyprogs/profile_cases.py: generators (one table per generator object,
  the consumer's allocations not counted, closed early), coroutines (what
  runs while one awaits not counted), recursion (one table, nested calls
  joined), exceptions (the raising line counted, the table printed before
  the handler runs), threads (a table per thread, another thread's
  allocations not counted; a generator resumed on another thread is seen
  there with sys.monitoring), profile_block, nested profiles, stream /
  precision / JSON output, chaining with a settrace function already set
  and (3.12+) with another sys.monitoring tool on PROFILER_ID, the
  profiler's own allocations not counted, mark("phase") labels;
- without the shim NotLoadedError, under MTRACE_SAMPLE_BYTES ProfileError;
- the cost on a function spending its time in callees (printed, not gated:
  the machine is shared)."""
import glob

from pylib import *

PY = "/usr/bin/python3"
PROFILED = script("profiled.py")
CASES = script("profile_cases.py")
COST = script("profile_cost.py")
MB = 1 << 20
TOL = 0.01
SMALL = 64 * 1024           # "about nothing": well under the MBs at stake
HEADER_MP = "Line #    Mem usage    Increment  Occurrences   Line Contents"
HEADER = "Line #    Mem usage    Increment  Occurrences    Allocated   Line Contents"


def all_interpreters():
    """pylib's interpreters plus pyenv's 3.11 when present."""
    out = list(interpreters())
    seen = {os.path.realpath(p) for _, p in out}
    for path in sorted(glob.glob("/root/.pyenv/versions/3.11.*/bin/python3.11")):
        if os.path.realpath(path) not in seen:
            seen.add(os.path.realpath(path))
            out.append(("3.11", path))
    return out


def backends(ver):
    return [None, "settrace"] if tuple(map(int, ver.split("."))) >= (3, 12) else [None]


def by_line(table):
    return {ln["lineno"]: ln for ln in table["lines"]}


def at(table, path, tag):
    return by_line(table).get(py_line_of(path, tag)) or {}


def parse_table(text):
    """memory_profiler-shaped tables in text: [(filename, header, {line:
    occurrences or None}, [line numbers])]."""
    out = []
    cur = None
    for line in text.splitlines():
        if line.startswith("Filename: "):
            cur = [line[len("Filename: "):], None, {}, []]
            out.append(cur)
        elif cur is not None and line.startswith("Line #"):
            cur[1] = line
        elif cur is not None and re.match(r"^\s*\d+ ", line):
            m = re.match(r"^\s*(\d+)\s+(-?[\d.]+ MiB\s+){2}(\d+)\s", line)
            n = int(line.split()[0])
            cur[2][n] = int(m.group(3)) if m else None
            cur[3].append(n)
    return out


def required(ver, py, backend):
    tag = f"[{ver} {backend or 'default'} profiled.py]"
    argv = [py, PROFILED, "mtrace"] + ([backend] if backend else [])
    p, d, snaps = run_py(argv)
    if not equal((p.returncode, p.stderr), (0, ""), f"{tag} runs clean"):
        return None
    with open(os.path.join(d, "profile.json")) as f:
        js = json.load(f)
    keep, temp, helper = (at(js, PROFILED, t) for t in ("keep", "temp", "helper"))
    within(keep.get("increment"), 10 * MB, TOL, f"{tag} the 10 MB line's increment")
    within(keep.get("allocated"), 10 * MB, TOL, f"{tag} the 10 MB line's allocated")
    check(temp.get("increment") is not None and abs(temp["increment"]) <= TOL * 20 * MB,
          f"{tag} the temporary's line: increment ~0: {temp}")
    check(temp.get("allocated") is not None and 20 * MB <= temp["allocated"] <= (1 + TOL) * 20 * MB,
          f"{tag} the temporary's line allocated 20 MB: {temp}")
    within(helper.get("increment"), 5 * MB, TOL, f"{tag} the helper's line's increment")
    within(-(at(js, PROFILED, "del").get("increment") or 0), 10 * MB, TOL, f"{tag} `del keep`")
    occ = {t: at(js, PROFILED, t).get("occurrences")
           for t in ("decorator", "keep", "temp", "helper", "loop", "body", "del", "ret")}
    equal(occ, {"decorator": 1, "keep": 1, "temp": 1, "helper": 1, "loop": 4, "body": 3,
                "del": 1, "ret": 1}, f"{tag} occurrences")
    check(keep.get("mem_usage", 0) >= 10 * MB, f"{tag} mem usage after the 10 MB line: {keep}")
    equal((js["function"], js["filename"], js["unit"]), ("work", PROFILED, "B"), f"{tag} JSON header")
    tables = parse_table(p.stdout)
    if equal(len(tables), 1, f"{tag} one table printed: {p.stdout!r}"):
        fn, head, occ_t, nums = tables[0]
        equal((fn, head), (PROFILED, HEADER), f"{tag} table's Filename and header")
        check(f"\n{'=' * len(HEADER)}\n" in p.stdout, f"{tag} the rule under the header")
        equal({n: o for n, o in occ_t.items() if o is not None},
              {ln["lineno"]: ln["occurrences"] for ln in js["lines"] if ln["occurrences"]},
              f"{tag} the table's occurrences are the JSON's")
    return tables[0] if tables else None


def memory_profiler_shape(ours):
    tag = "[memory_profiler]"
    mp = run_plain([PY, PROFILED, "mp"])
    if not equal(mp.returncode, 0, f"{tag} profiled.py under Debian's python3-memory-profiler "
                 f"(scripts/setup installs it): {mp.stderr[-2000:]}"):
        return
    theirs = parse_table(mp.stdout)
    if not (equal(len(theirs), 1, f"{tag} one table: {mp.stdout!r}") and ours):
        return
    fn, head, occ, nums = theirs[0]
    equal(head, HEADER_MP, f"{tag} memory_profiler 0.61's header, as the module mirrors it")
    equal(fn, ours[0], f"{tag} same Filename line")
    equal(nums, ours[3], f"{tag} same line numbers")
    equal(occ, ours[2], f"{tag} same occurrences (blank where memory_profiler's are)")
    cols = [c for c in re.split(r"\s{2,}", HEADER_MP.strip())]
    ourcols = [c for c in re.split(r"\s{2,}", HEADER.strip())]
    equal([c for c in ourcols if c in cols], cols, f"{tag} its columns in ours, in order")


def cases(ver, py, backend):
    tag = f"[{ver} {backend or 'default'} cases]"
    p, d, snaps = run_py([py, CASES, backend or "default"])
    if not equal((p.returncode, p.stderr), (0, ""), f"{tag} runs clean"):
        return
    out = json.loads(p.stdout)
    for name, v in out.items():
        check("error" not in (v["extra"] or {}), f"{tag} {name}: {v['extra']}")
    C = CASES

    def inc(t, tagname):
        return at(t, C, tagname).get("increment")

    def occ(t, tagname):
        return at(t, C, tagname).get("occurrences")

    # generators
    g = out["generator"]["tables"]
    if equal(len(g), 2, f"{tag} generator: a table per generator object"):
        t = g[0]
        within(inc(t, "gen_keep"), 3 * MB, TOL, f"{tag} generator: 3 x 1 MB kept")
        equal((occ(t, "gen_keep"), occ(t, "gen_yield"), occ(t, "gen_del")), (3, 3, 1),
              f"{tag} generator: occurrences across resumes")
        within(-(inc(t, "gen_del") or 0), 3 * MB, TOL, f"{tag} generator: del")
        total = sum(ln["increment"] or 0 for ln in t["lines"])
        check(abs(total) < SMALL, f"{tag} generator: the consumer's 21 MB not counted: {total}")
        t = g[1]
        equal((occ(t, "gen_keep"), occ(t, "gen_del")), (2, None), f"{tag} generator closed early")
        within(inc(t, "gen_keep"), 2 * MB, TOL, f"{tag} generator closed early: 2 MB")
    equal(out["generator"]["extra"], {"is_gen": "generator"}, f"{tag} generator: still a generator")
    # coroutines
    c = out["coroutine"]["tables"]
    if equal(len(c), 1, f"{tag} coroutine: one table"):
        t = c[0]
        within(inc(t, "co_a"), 2 * MB, TOL, f"{tag} coroutine: before the await")
        within(inc(t, "co_b"), 3 * MB, TOL, f"{tag} coroutine: after the await")
        check(abs(inc(t, "co_await") or 0) < SMALL,
              f"{tag} coroutine: what ran during the await (4 MB) not counted: {at(t, C, 'co_await')}")
    equal(out["coroutine"]["extra"], {"result": 5 * MB, "iscoroutinefunction": True},
          f"{tag} coroutine: result, still a coroutine function")
    # recursion
    r = out["recursion"]["tables"]
    if equal(len(r), 1, f"{tag} recursion: one table for the outermost call"):
        t = r[0]
        equal(by_line(t)[t["first_line"]]["occurrences"], 3, f"{tag} recursion: 3 calls")
        equal((occ(t, "rec_alloc"), occ(t, "rec_call")), (3, 2), f"{tag} recursion: occurrences")
        within(inc(t, "rec_alloc"), 3 * MB, TOL, f"{tag} recursion: 3 x 1 MB")
        check(abs(inc(t, "rec_call") or 0) < SMALL, f"{tag} recursion: results dropped")
        a = at(t, C, "rec_call").get("allocated") or 0
        check(3 * MB <= a <= (1 + TOL) * 3 * MB,
              f"{tag} recursion: the calling lines include the nested calls (2 + 1 MB): {a}")
    # exceptions
    e = out["exception"]["tables"]
    if equal(len(e), 2, f"{tag} exception: two tables"):
        within(inc(e[0], "boom_a"), MB, TOL, f"{tag} exception: before the raise")
        within(inc(e[0], "boom_raise"), 2 * MB, TOL, f"{tag} exception: the raising line")
        equal(occ(e[0], "boom_raise"), 1, f"{tag} exception: the raising line ran once")
        within(inc(e[1], "caught_raise"), MB, TOL, f"{tag} caught: the raising line")
        within(inc(e[1], "caught_handler"), 2 * MB, TOL, f"{tag} caught: the handler")
    equal(out["exception"]["extra"], {"tables_before_handler": [1]},
          f"{tag} exception: the table printed before the handler ran")
    # threads
    th = out["threads"]["tables"]
    if equal(len(th), 2, f"{tag} threads: a table per thread"):
        equal([t["thread"] for t in th], out["threads"]["extra"]["thread_ids"], f"{tag} threads: ids")
        check(abs(inc(th[0], "thr_wait") or 0) < SMALL,
              f"{tag} threads: another thread's 8 MB not counted: {at(th[0], C, 'thr_wait')}")
        for t in th:
            within(inc(t, "thr_mine"), MB, TOL, f"{tag} threads: own 1 MB")
    # a generator handed to another thread: seen there with sys.monitoring
    h = out["gen_thread"]["tables"]
    if equal(len(h), 1, f"{tag} gen_thread: one table"):
        within(inc(h[0], "hand_first"), MB, TOL, f"{tag} gen_thread: the first part")
        if backend is None and tuple(map(int, ver.split("."))) >= (3, 12):
            within(inc(h[0], "hand_second"), 2 * MB, TOL, f"{tag} gen_thread: the part on the other thread")
    # profile_block
    b = out["block"]["tables"]
    if equal(len(b), 1, f"{tag} block: one table"):
        t = b[0]
        equal(t["first_line"], py_line_of(C, "blk_with"), f"{tag} block: starts at the with")
        equal(max(ln["lineno"] for ln in t["lines"]), py_line_of(C, "blk_tmp"),
              f"{tag} block: ends with the block")
        within(inc(t, "blk_keep"), 4 * MB, TOL, f"{tag} block: kept")
        check(abs(inc(t, "blk_tmp") or 0) < SMALL and (at(t, C, "blk_tmp").get("allocated") or 0) >= MB,
              f"{tag} block: the temporary: {at(t, C, 'blk_tmp')}")
    # nested profiles
    n = out["nested"]["tables"]
    if equal([t["function"] for t in n], ["inner", "outer"], f"{tag} nested: a table each, inner first"):
        within(inc(n[0], "nest_inner"), 3 * MB, TOL, f"{tag} nested: inner")
        within(inc(n[1], "nest_call"), 3 * MB, TOL, f"{tag} nested: the outer's calling line")
    # output options
    f = out["formats"]["extra"]
    if f and "text" in f:
        fl = py_line_of(C, "fmt_line")
        check(f["text"].startswith(f"Filename: {C}\n\n{HEADER}\n"), f"{tag} formats: table head: {f['text']!r}")
        row = [ln for ln in f["text"].splitlines() if re.match(rf"^\s*{fl} ", ln)]
        check(row and re.match(rf"^\s*{fl}\s+[\d.]+ MiB\s+1\.000 MiB\s+1\s+1\.000 MiB\s", row[0]),
              f"{tag} formats: precision=3 row: {row}")
        try:
            js = json.loads(f["json"])
            equal((js["unit"], js["function"]), ("B", "formats.<locals>.g"), f"{tag} formats: JSON line")
        except ValueError:
            check(False, f"{tag} formats: JSON output: {f['json']!r}")
        within(by_line(f["last"]).get(fl, {}).get("increment"), MB, TOL, f"{tag} formats: last_result")
    # chaining
    ch = out["chain_settrace"]
    seen = [tuple(x) for x in ch["extra"].get("seen", [])]
    want = [("chained", "call"), ("chained", py_line_of(C, "chain_a")), ("helper", "call"),
            ("helper", py_line_of(C, "chain_helper")), ("chained", py_line_of(C, "chain_call"))]
    check(all(w in seen for w in want), f"{tag} chain_settrace: the tracer kept its events: {seen}")
    equal(ch["extra"].get("restored"), True, f"{tag} chain_settrace: the tracer set back after")
    for key in ("chain_settrace", "chain_monitoring"):
        t = out[key]["tables"]
        if "skipped" in (out[key]["extra"] or {}):
            continue
        if equal(len(t), 1, f"{tag} {key}: one table"):
            within(inc(t[0], "chain_a"), MB, TOL, f"{tag} {key}: own line")
            within(inc(t[0], "chain_call"), 2 * MB, TOL, f"{tag} {key}: the callee's on the call")
    cm = out["chain_monitoring"]["extra"]
    if tuple(map(int, ver.split("."))) >= (3, 12):
        seen = [tuple(x) for x in cm.get("seen", [])]
        want = [("chained", py_line_of(C, "chain_a")), ("chained", py_line_of(C, "chain_call")),
                ("helper", py_line_of(C, "chain_helper"))]
        check(all(w in seen for w in want), f"{tag} chain_monitoring: the other tool kept its events: {cm}")
        equal((cm.get("owner"), cm.get("tools_in_use_after")), ("another profiler", []),
              f"{tag} chain_monitoring: PROFILER_ID stayed the other tool's, ours freed after")
    # the profiler's own allocations
    q = out["overhead"]["tables"]
    if equal(len(q), 1, f"{tag} overhead: one table"):
        t = q[0]
        for ln in (t["first_line"], py_line_of(C, "quiet_a")):
            row = by_line(t)[ln]
            check(abs(row["increment"]) <= 64 and row["allocated"] <= 64,
                  f"{tag} overhead: a line allocating nothing shows ~0: {row}")
        row = at(t, C, "quiet_loop")
        check(row.get("allocated", 1 << 30) <= 1001 * 32 + 1024,
              f"{tag} overhead: 1001 events, no more than the loop's own ints: {row}")
    # mark("phase")
    mk = out["mark"]["extra"]
    check(mk["m2"] > mk["m1"] > 0 and mk["label"] is True, f"{tag} mark: {mk}")
    mine = snaps_of(snaps, py)
    if "read_timeline" in globals() and mine:
        labels = [x["text"] for x in read_timeline(mine[-1])[2]]
        check("phase one" in labels and "phase two" in labels,
              f"{tag} mark(\"phase one\") and label(\"phase two\") on the timeline: {labels}")


def errors(ver, py):
    tag = f"[{ver} errors]"
    p = run_plain([py, PROFILED, "mtrace"])
    check(p.returncode == 1 and "mtrace.NotLoadedError: mtrace.profile:" in p.stderr
          and "LD_PRELOAD" in p.stderr, f"{tag} without the shim: NotLoadedError: {p.stderr[-800:]}")
    sampling = {"MTRACE_SAMPLE_BYTES": "524288"}
    q, d, snaps = run_py([py, "-c", "import ctypes; print(ctypes.CDLL(None).mtrace_sample_bytes())"],
                         env=sampling)
    if q.stdout.strip() == "0":
        print(f"{tag} SKIP sampling: the shim does not sample under MTRACE_SAMPLE_BYTES=524288")
        return
    p, d, snaps = run_py([py, PROFILED, "mtrace"], env=sampling)
    check(p.returncode == 1 and "mtrace.ProfileError" in p.stderr
          and "MTRACE_SAMPLE_BYTES=524288" in p.stderr,
          f"{tag} under sampling: ProfileError naming MTRACE_SAMPLE_BYTES: {p.stderr[-800:]}")


def cost(rows):
    """The cost of a profile on a function spending its time in callees."""
    for ver, py in all_interpreters():
        modes = ["plain", "mtrace", "settrace"]
        for m in modes:
            p, d, snaps = run_py([py, COST, m, "3"])
            if equal(p.returncode, 0, f"[{ver} cost {m}] runs: {p.stderr[-500:]}"):
                rows.append((py, "shim", m, json.loads(p.stdout)["seconds"]))
    for m in ("plain", "mp"):
        p = run_plain([PY, COST, m, "3"])
        if equal(p.returncode, 0, f"[memory_profiler cost {m}] runs: {p.stderr[-500:]}"):
            rows.append((PY, "no shim", m, json.loads(p.stdout)["seconds"]))
    base = {}
    print("cost of a profile, work() spending its time in callees (best of 3):")
    for ver, how, m, s in rows:
        base.setdefault((ver, how), s)
        print(f"  {ver:<48} {how:<8} {m:<9} {s * 1000:8.1f} ms  {s / base[(ver, how)]:5.1f}x")


memory_profiler_table = None
for ver, py in all_interpreters():
    for backend in backends(ver):
        t = required(ver, py, backend)
        if py == PY and backend is None:
            memory_profiler_table = t
        cases(ver, py, backend)
    errors(ver, py)
memory_profiler_shape(memory_profiler_table)
cost([])
done()
