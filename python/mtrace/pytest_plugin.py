"""pytest plugin: gate tests on heap memory, like pytest-memray.

    LD_PRELOAD=/path/to/libmtrace.so python3 -m pytest -p mtrace.pytest_plugin --mtrace

    @pytest.mark.limit_memory("24 MB")   # traced peak during the test minus
    def test_parse(): ...                # the traced bytes at its start

    @pytest.mark.limit_leaks("1 MB", filter_fn=None, warmups=0)
    def test_cache(): ...                # allocated during the test and still
                                         # live after it (gc collected)

Sizes are parsed as pytest-memray does: B, KB, MB, GB, TB are powers of 1024
(KiB, MiB... are accepted too). Only the test function's call is measured,
not its fixtures. `warmups=N` calls the test function N more times first, so
first-call caches do not count as leaks. `filter_fn(stack)` keeps a stack's
leaked bytes when it returns true; `stack.frames` are the Python frames,
innermost first, each with `function`, `filename` and `lineno` (it needs the
reporter: per-stack figures come from two snapshots taken around the test).

A failure takes a snapshot (MTRACE_OUT) and names the top lines responsible
through `mtrace-report` (MTRACE_REPORT, or ../bin/mtrace-report next to the
shim, or PATH). Without --mtrace, or without the shim loaded, the markers are
ignored and one summary line says so.

Sampling mode (issue 6) does not exist yet: when it does, the markers must
fail with a clear message under it (their figures would be estimates).
"""
import collections
import functools
import gc
import json
import os
import re
import shutil
import subprocess

import pytest

import mtrace

MARKERS = ("limit_memory", "limit_leaks")
TOP = 3

_UNITS = {"": 1, "B": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40, "P": 1 << 50}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([KMGTP]?)(I?B)?\s*$", re.IGNORECASE)

StackFrame = collections.namedtuple("StackFrame", "function filename lineno")
Stack = collections.namedtuple("Stack", "frames")


def parse_size(text):
    """Bytes in "24 MB", "1.5GiB", "100 KB", "512" (pytest-memray's units:
    every prefix is a power of 1024)."""
    if isinstance(text, int):
        return text
    m = _SIZE.match(str(text))
    if not m:
        raise ValueError(f"mtrace: not a size: {text!r} (e.g. \"24 MB\", \"512 KiB\")")
    return int(float(m.group(1)) * _UNITS[m.group(2).upper()])


def _human(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


# ---- the reporter -----------------------------------------------------------------
def _shim_path():
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split(None, 5)[-1].strip()
                if os.path.basename(path).startswith("libmtrace.so"):
                    return path
    except OSError:
        pass
    return None


def find_reporter():
    """mtrace-report: $MTRACE_REPORT, beside the shim (<prefix>/bin for
    <prefix>/lib/libmtrace.so, which is also the build tree's layout), PATH."""
    env = os.environ.get("MTRACE_REPORT")
    if env:
        return env if os.access(env, os.X_OK) else None
    shim = _shim_path()
    if shim:
        cand = os.path.join(os.path.dirname(os.path.dirname(shim)), "bin", "mtrace-report")
        if os.access(cand, os.X_OK):
            return cand
    return shutil.which("mtrace-report")


def _report(reporter, *args):
    p = subprocess.run([reporter, *args, "--format", "json"], capture_output=True, text=True,
                       timeout=600, env=dict(os.environ, LD_PRELOAD=""))
    if p.returncode != 0:
        raise RuntimeError(f"mtrace-report {args[0]} exited {p.returncode}: {p.stderr.strip()}")
    return json.loads(p.stdout)


def _py_frames(row):
    return [StackFrame(f.get("function"), f.get("file"), f.get("line"))
            for f in row.get("stack") or [] if f.get("python")]


def _top_lines(rows, metric, test_file, test_func):
    """[(bytes, blocks, 'file:line (function)', via)]: rows of a --group-by
    stack report summed by innermost Python line, preferring the stacks that
    run through the test function (a heap built at import is not the test's)."""
    def in_test(f):
        return f.filename == test_file and (f.function == test_func
                                            or (f.function or "").startswith(test_func + "."))

    def through_test(frames):
        return any(in_test(f) for f in frames)

    rows = [r for r in rows if r.get(metric, 0) > 0]
    mine = [r for r in rows if through_test(_py_frames(r))]
    sums = {}
    for r in mine or rows:
        frames = _py_frames(r)
        if frames:
            f = frames[0]
            key = f"{f.filename}:{f.lineno} ({f.function})"
            via = next((g for g in frames if in_test(g)), None)
            via = (f"{test_file}:{via.lineno}"
                   if via and (via.filename, via.lineno) != (f.filename, f.lineno) else "")
        else:
            key, via = r.get("key") or "?", ""
        b, n, v = sums.get(key, (0, 0, via))
        count = r.get("live_count" if metric == "live_bytes" else "peak_count",
                      r.get("count_diff", 0))
        sums[key] = (b + r[metric], n + (count or 0), v)
    top = sorted(sums.items(), key=lambda kv: -kv[1][0])[:TOP]
    return [(b, n, key, via) for key, (b, n, via) in top]


def _explain(what, item, metric, command):
    """Lines naming the top lines responsible, from a snapshot taken now."""
    try:
        snap = mtrace.take_snapshot()
    except OSError as e:
        return [f"(no snapshot for the details: {e})"]
    reporter = find_reporter()
    if not reporter:
        return [f"snapshot: {snap}",
                "mtrace-report not found, so the lines responsible are not named: set "
                "MTRACE_REPORT=/path/to/mtrace-report, put it on PATH, or install mtrace "
                "(cmake --install BUILD --prefix PREFIX puts it in PREFIX/bin, beside lib/libmtrace.so)"]
    func = getattr(item, "function", None)
    qual = getattr(func, "__qualname__", item.name)
    test_file = str(item.fspath)
    # The stacks through the test function only (the reporter filters; a
    # Python process's snapshot holds a great many stacks), else every one.
    through = ["--include-file", test_file, "--include-function", qual,
               "--include-function", qual + ".*", "--filter-frames", "any"]
    try:
        js = _report(reporter, command, "--group-by", "stack", "-n", "0", *through, snap)
        if not js.get("rows"):
            js = _report(reporter, command, "--group-by", "stack", "-n", str(4 * TOP), snap)
    except (RuntimeError, OSError, ValueError, subprocess.TimeoutExpired) as e:
        return [f"snapshot: {snap}", f"(mtrace-report failed: {e})"]
    out = [f"top lines {what} (mtrace-report {command} {snap}):"]
    for b, n, key, via in _top_lines(js.get("rows", []), metric, test_file, qual):
        out.append(f"  {_human(b):>10} in {n} block{'s' if n != 1 else ''}  {key}"
                   + (f"  <- {via}" if via else ""))
    return out


def _filtered_leaks(before, filter_fn):
    """Bytes of the stacks filter_fn keeps among those whose live bytes grew
    from the snapshot `before` to one taken now."""
    reporter = find_reporter()
    if not reporter:
        raise RuntimeError("limit_leaks(filter_fn=...) needs mtrace-report: set MTRACE_REPORT "
                           "or install mtrace (cmake --install)")
    after = mtrace.take_snapshot()
    js = _report(reporter, "diff", "--group-by", "stack", "-n", "0", before, after)
    kept = 0
    for r in js.get("rows", []):
        grew = r.get("size_diff", 0)
        if grew > 0 and filter_fn(Stack(tuple(_py_frames(r)))):
            kept += grew
    for p in (before, after):
        try:
            os.unlink(p)
        except OSError:
            pass
    return kept


# ---- the hooks --------------------------------------------------------------------
def pytest_addoption(parser):
    group = parser.getgroup("mtrace", "heap limits with the mtrace tracer")
    group.addoption("--mtrace", action="store_true", default=False,
                    help="enforce the limit_memory and limit_leaks markers (the process must "
                         "run under the mtrace shim: LD_PRELOAD=libmtrace.so or mtrace-run)")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "limit_memory(size): fail when the traced heap peaks more than size "
                   "(e.g. \"24 MB\") above its size at the test's start (needs --mtrace)")
    config.addinivalue_line(
        "markers", "limit_leaks(size, filter_fn=None, warmups=0): fail when more than size "
                   "allocated during the test is still live after it (gc collected); warmups "
                   "calls the test that many times first (needs --mtrace)")
    if not config.getoption("mtrace"):
        reason = "--mtrace not given"
    elif not mtrace.is_tracing():
        reason = "the mtrace shim is not loaded (run under LD_PRELOAD=libmtrace.so or mtrace-run)"
    elif mtrace.version() < (0, 2, 0):
        reason = "the loaded mtrace shim %d.%d.%d predates generation marks (0.2)" % mtrace.version()
    else:
        reason = None
    config.pluginmanager.register(_Gate(reason), "mtrace-gate")


class _Gate:
    def __init__(self, ignored):
        self.ignored = ignored          # why the markers are ignored, or None
        self.marked = 0

    def pytest_collection_modifyitems(self, items):
        self.marked = sum(1 for it in items if any(it.get_closest_marker(m) for m in MARKERS))

    @pytest.hookimpl(hookwrapper=True)
    def pytest_pyfunc_call(self, pyfuncitem):
        marks = {m: pyfuncitem.get_closest_marker(m) for m in MARKERS}
        if self.ignored or not any(marks.values()):
            yield
            return
        func = pyfuncitem.obj
        pyfuncitem.obj = self._measured(pyfuncitem, func, marks["limit_memory"], marks["limit_leaks"])
        try:
            yield
        finally:
            pyfuncitem.obj = func

    def _measured(self, item, func, mem_mark, leak_mark):
        mem_limit = parse_size(mem_mark.args[0]) if mem_mark else None
        leak_limit = filter_fn = None
        warmups = 0
        if leak_mark:
            kw = dict(leak_mark.kwargs)
            leak_limit = parse_size(leak_mark.args[0] if leak_mark.args else kw.pop("size"))
            filter_fn = kw.get("filter_fn")
            warmups = int(kw.get("warmups", 0))

        @functools.wraps(func)
        def run(*args, **kwargs):
            for _ in range(warmups):
                func(*args, **kwargs)
            gc.collect()
            before = None
            if leak_limit is not None and filter_fn is not None:
                before = mtrace.take_snapshot()
            mark = mtrace.mark()
            mtrace.reset_peak()
            start, _ = mtrace.get_traced_memory()
            func(*args, **kwargs)
            _, peak = mtrace.get_traced_memory()
            failures = []
            if mem_limit is not None and peak - start > mem_limit:
                failures.append(
                    (f"limit_memory: the test allocated {_human(peak - start)} at its peak "
                     f"({peak - start} bytes over its start), limit {_human(mem_limit)}",
                     "at the peak", "peak_bytes", "peak"))
            if leak_limit is not None:
                gc.collect()
                leaked, blocks = mtrace.live_since(mark)
                if leaked > leak_limit and filter_fn is not None:
                    leaked = _filtered_leaks(before, filter_fn)
                    before = None
                if leaked > leak_limit:
                    failures.append(
                        (f"limit_leaks: {_human(leaked)} allocated during the test is still "
                         f"live ({leaked} bytes{'' if filter_fn else f' in {blocks} blocks'}), "
                         f"limit {_human(leak_limit)}",
                         "still live", "live_bytes", "leaks"))
            if before:
                try:
                    os.unlink(before)
                except OSError:
                    pass
            if failures:
                lines = [f[0] for f in failures]
                _, what, metric, command = failures[0]
                lines += _explain(what, item, metric, command)
                pytest.fail("\n".join(lines), pytrace=False)

        return run

    def pytest_terminal_summary(self, terminalreporter):
        if self.ignored and (self.marked or self.ignored != "--mtrace not given"):
            terminalreporter.write_line(
                f"mtrace: limit_memory/limit_leaks markers ignored ({self.marked} marked "
                f"test{'s' if self.marked != 1 else ''}): {self.ignored}")
