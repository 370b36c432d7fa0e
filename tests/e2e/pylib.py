"""Helpers for the Python end-to-end tests (test_python*.py): the interpreters
to test, the scripts in pyprogs/ and their lines tagged `# @name`, runs under
the shim with the Python API module on PYTHONPATH, Python frames read raw
from a snapshot, and the C extension of pyext/ built per interpreter."""
import atexit
import bisect
import functools
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

from mtlib import *

HERE = os.path.dirname(os.path.abspath(__file__))
PYPROGS = os.path.join(HERE, "pyprogs")
PYEXT_SRC = os.path.join(HERE, "pyext", "mtext.c")
PYAPI = os.environ["MTRACE_PYAPI"]          # the source tree's python/ (mtrace.py)

# The tests set these themselves: a value inherited from the caller's shell
# would change what the shim does with the interpreter.
for _k in ("PYTHONMALLOC", "PYTHONTRACEMALLOC", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP",
           "PYTHONWARNINGS", "PYTHONDEVMODE", "MTRACE_PYTHON", "MTRACE_PYMALLOC",
           "MTRACE_QUIET", "MTRACE_DISABLE", "MTRACE_DEPTH", "MTRACE_INTERVAL"):
    os.environ.pop(_k, None)

FRAME_PYTHON = 1                            # MT_FRAME_PYTHON


def _version(path):
    p = subprocess.run([path, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                       capture_output=True, text=True, timeout=60)
    return p.stdout.strip() if p.returncode == 0 else None


@functools.lru_cache(None)
def interpreters():
    """[(version, path)]: Debian's /usr/bin/python3 always (not `python3` from
    PATH, which may be a pyenv shim), pyenv's 3.12 and 3.13 when present."""
    found = ["/usr/bin/python3"]
    for minor in (12, 13):
        found += sorted(glob.glob(f"/root/.pyenv/versions/3.{minor}.*/bin/python3.{minor}"))
    out, seen = [], set()
    for path in found:
        real = os.path.realpath(path)
        if real in seen:
            continue
        seen.add(real)
        v = _version(path)
        if check(v is not None, f"{path} does not run"):
            out.append((v, path))
    return out


def unsupported_interpreters():
    """CPython 3.10 from pyenv, when present: traced with native stacks only."""
    return sorted(glob.glob("/root/.pyenv/versions/3.10.*/bin/python3.10"))


def script(name):
    return os.path.join(PYPROGS, name)


def py_line_of(path, tag):
    """The line of the Python (or C) source carrying `# @tag` (or `/* @tag */`)."""
    pat = re.compile(r"(#|/\*|//)\s*@" + re.escape(tag) + r"\b")
    with open(path) as f:
        for n, text in enumerate(f, 1):
            if pat.search(text):
                return n
    raise KeyError(f"{tag} not in {path}")


_tmpdirs = []


@atexit.register
def _cleanup():
    """Python programs write big snapshots (tens of MB): the directories go
    when every expectation held, and stay to look at otherwise."""
    if failures or os.environ.get("MTRACE_KEEP_TMP"):
        if _tmpdirs:
            print(f"kept {len(_tmpdirs)} directories, e.g. {_tmpdirs[-1]}", file=sys.stderr)
        return
    for d in _tmpdirs:
        shutil.rmtree(d, ignore_errors=True)


def mkdtemp(prefix):
    d = tempfile.mkdtemp(prefix=prefix)
    _tmpdirs.append(d)
    return d


def run_py(argv, env=None, preload=True, pythonpath=(), cwd=None, timeout=120):
    """Runs argv (an interpreter and its arguments) like mtlib.run, with the
    API module and `pythonpath` on PYTHONPATH, in a new directory (or cwd)."""
    e = {"PYTHONPATH": os.pathsep.join([PYAPI, *pythonpath])}
    e.update(env or {})
    return run(argv, env=e, preload=preload, cwd=cwd or mkdtemp("mtrace-e2e-py-"), timeout=timeout)


def run_plain(argv, env=None, pythonpath=(), cwd=None, timeout=120):
    """argv without the shim (and without MTRACE_OUT mattering)."""
    p, d, snaps = run_py(argv, env=env, preload=False, pythonpath=pythonpath, cwd=cwd,
                         timeout=timeout)
    check(not snaps, f"untraced run of {argv} wrote snapshots: {snaps}")
    return p


def json_lines(stdout):
    """Every line of stdout that is a JSON object, merged into one dict."""
    out = {}
    for line in stdout.splitlines():
        if line.startswith("{"):
            out.update(json.loads(line))
    return out


def header(path):
    """The snapshot's header (as mtlib.read_raw gives it), without decoding
    its stacks: a Python program's snapshot easily holds millions of frames."""
    return _load(path).header


def snaps_of(snaps, interpreter):
    """The snapshots written by the interpreter's process (not by children
    such as a subprocess's /bin/true), in sequence order."""
    real = os.path.realpath(interpreter)
    mine = []
    for s in snaps:
        h = header(s)
        if os.path.realpath(h["program_str"]) == real:
            mine.append((h["pid"], h["sequence"], s))
    return [s for _, _, s in sorted(mine)]


class _Raw:
    """A snapshot read raw like mtlib.read_raw (independently of the
    reporter), decoding only what the Python tests look at: a Python
    program's snapshot easily holds millions of frames (hundreds of
    thousands of nodes). Frame index i is a FRAMES entry, or a NODES entry
    in a snapshot with the prefix tree (the shim's since 0.3)."""

    def __init__(self, path):
        data, h, self.strings, secs = read_sections(path)
        self.header = h
        # Entries as uint32 words: addr (low, high), kind, line[, parent]; a
        # Python frame's addr is file offset << 32 | function offset.
        self.nodes = SEC_NODES in secs
        es, off, count = secs[SEC_NODES if self.nodes else SEC_FRAMES]
        words = memoryview(data)[off:off + count * es].cast("I")
        step = es // 4
        kinds = words[2::step].tolist()
        self.kinds = set(kinds)
        self.py_at = [i for i, k in enumerate(kinds) if k == FRAME_PYTHON]
        self.func_off, self.file_off = words[0::step].tolist(), words[1::step].tolist()
        self.line = words[3::step].tolist()
        if self.nodes:
            # pyup[i]: node i or its nearest caller that is a Python frame
            # (parents come first, so one pass).
            self.parent = words[4::step].tolist()
            pyup = [NO_NODE] * count
            for i, k in enumerate(kinds):
                p = self.parent[i]
                pyup[i] = i if k == FRAME_PYTHON else (pyup[p] if p != NO_NODE else NO_NODE)
            self.pyup = pyup
        ses, soff, scount = secs[SEC_STACKS]
        fields = ("first_frame frame_count flags alloc_count alloc_bytes live_count "
                  "live_bytes peak_count peak_bytes").split()
        self.stacks = [dict(zip(fields, STACK.unpack_from(data, soff + n * ses))) for n in range(scount)]

    def string(self, off):
        return self.strings[off:self.strings.index(b"\0", off)].decode("utf-8", "replace")

    def frame(self, i):
        """(file, function, line) of Python frame i."""
        return self.string(self.file_off[i]), self.string(self.func_off[i]), self.line[i]

    def python_frames(self, st):
        """Frame indices of the stack's Python frames, innermost first."""
        first = st["first_frame"]
        if not st["frame_count"]:
            return []
        if not self.nodes:
            a = bisect.bisect_left(self.py_at, first)
            b = bisect.bisect_left(self.py_at, first + st["frame_count"], a)
            return self.py_at[a:b]
        out, n = [], self.pyup[first]
        while n != NO_NODE:
            out.append(n)
            p = self.parent[n]
            n = self.pyup[p] if p != NO_NODE else NO_NODE
        return out


@functools.lru_cache(maxsize=4)
def _load(path):
    return _Raw(path)


def raw_stacks(path):
    """Every stack's counters (dicts as in mtlib.read_raw, without frames)."""
    return _load(path).stacks


def frame_kinds(path):
    """The set of frame kinds in the snapshot (0 native, 1 Python)."""
    return _load(path).kinds


def python_files(path):
    """The files of the snapshot's Python frames, and the number of stacks
    that have at least one Python frame."""
    r = _load(path)
    offs = {r.file_off[i] for i in r.py_at}
    nstacks = sum(1 for st in r.stacks if r.python_frames(st))
    return {r.string(o) for o in offs}, nstacks


def python_tracebacks(path):
    """[(stack counters, [(file, function, line)] innermost first)] of the
    stacks with Python frames."""
    r = _load(path)
    out = []
    for st in r.stacks:
        py = r.python_frames(st)
        if py:
            out.append((st, [r.frame(i) for i in py]))
    return out


COUNTERS = ("alloc_count", "alloc_bytes", "live_count", "live_bytes", "peak_count", "peak_bytes")


def raw_python_site(path, file, line):
    """The counters summed over the stacks whose innermost Python frame is
    file:line (the reporter's default row for that line), read raw."""
    r = _load(path)
    out = dict.fromkeys(COUNTERS, 0)
    for st in r.stacks:
        py = r.python_frames(st)
        if py:
            i = py[0]
            if r.line[i] == line and r.string(r.file_off[i]) == file:
                for k in COUNTERS:
                    out[k] += st[k]
    return out


@functools.lru_cache(None)
def _report_cached(command, args):
    return report(command, *args)


def rep(command, *args):
    """mtrace-report's JSON, once per command line: symbolizing a snapshot
    of an interpreter with debug information (pyenv's) takes seconds."""
    return _report_cached(command, args)


def dump_ok(path):
    """The reporter accepts the file (`dump` validates every record; it does
    not symbolize, so it is quick)."""
    p = subprocess.run([REPORT, "dump", path], capture_output=True, text=True, timeout=120)
    return check(p.returncode == 0 and p.stderr == "", f"mtrace-report dump {path}: {p.returncode} {p.stderr}")


def build_ext(interpreter):
    """Builds pyext/mtext.c for the interpreter (its own Python.h) into a new
    directory; returns it, or None (a failed expectation) when it cannot."""
    p = subprocess.run([interpreter, "-c", "import sysconfig; print(sysconfig.get_paths()['include'])"],
                       capture_output=True, text=True, timeout=60)
    inc = p.stdout.strip()
    if not check(os.path.exists(os.path.join(inc, "Python.h")),
                 f"{interpreter}: no Python.h in {inc!r} (Debian: python3-dev, which scripts/setup installs)"):
        return None
    d = mkdtemp("mtrace-pyext-")
    cc = subprocess.run(["gcc", "-shared", "-fPIC", "-g", "-O0", "-Wall", "-I", inc,
                         "-o", os.path.join(d, "mtext.so"), PYEXT_SRC, "-pthread"],
                        capture_output=True, text=True, timeout=120)
    if not check(cc.returncode == 0, f"{interpreter}: building mtext.so failed: {cc.stderr}"):
        return None
    return d


def within(actual, expected, tolerance, what):
    """actual within tolerance (a fraction) of expected."""
    ok = actual is not None and expected and abs(actual - expected) <= tolerance * expected
    return check(ok, f"{what}: {actual} not within {tolerance:.0%} of {expected}")


def row_at(js, path, line):
    """The row of a --group-by line report for path:line, or None."""
    return rows_by_line(js, path).get(line)
