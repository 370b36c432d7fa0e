"""Helpers for mtrace's end-to-end tests: run a program under the shim in a
fresh directory, find its snapshots, read them raw (independently of the
reporter) and through `mtrace-report --format json`, and look up the lines
tagged "@name" in the test programs' sources."""
import glob
import json
import os
import re
import struct
import subprocess
import sys
import tempfile

LIB = os.environ["MTRACE_LIB"]
REPORT = os.environ["MTRACE_REPORT"]
PROGS = os.environ["MTRACE_PROGS"]          # built test programs
SRC = os.environ["MTRACE_SRC"]              # tests/progs sources

failures = []


def check(cond, what):
    """Records a failed expectation (the test goes on, to show them all)."""
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)
    return cond


def equal(actual, expected, what):
    return check(actual == expected, f"{what}: expected {expected!r}, got {actual!r}")


def done():
    if failures:
        print(f"{len(failures)} expectation(s) failed", file=sys.stderr)
        sys.exit(1)
    print("ok")


def line_of(source, tag):
    """The line carrying the comment `/* @tag */`, `// @tag` or `# @tag`."""
    pat = re.compile(r"(/\*|//|#)\s*@" + re.escape(tag) + r"\b")
    with open(os.path.join(SRC, source)) as f:
        for n, text in enumerate(f, 1):
            if pat.search(text):
                return n
    raise KeyError(f"{tag} not in {source}")


def run(argv, env=None, cwd=None, timeout=120, preload=True, out="snap.%p.%n"):
    """Runs argv under the shim in a new temporary directory (or cwd).
    Returns (completed process, directory, sorted snapshot paths)."""
    d = cwd or tempfile.mkdtemp(prefix="mtrace-e2e-")
    e = dict(os.environ)
    e.pop("MTRACE_MANIFEST", None)
    if preload:
        e["LD_PRELOAD"] = LIB
    e["MTRACE_OUT"] = os.path.join(d, out)
    if env:
        e.update(env)
    p = subprocess.run(argv, cwd=d, env=e, capture_output=True, text=True, timeout=timeout)
    snaps = sorted(s for s in glob.glob(os.path.join(d, "snap.*")) if ".tmp" not in s)
    return p, d, snaps


def prog(name):
    return os.path.join(PROGS, name)


def report(command, *args):
    p = subprocess.run([REPORT, command, "--format", "json", *args],
                       capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        raise RuntimeError(f"mtrace-report {command} {args} exited {p.returncode}: {p.stderr}")
    return json.loads(p.stdout)


def rows_by_line(js, source):
    """{line: row} for rows whose file is `source` (by base name)."""
    out = {}
    for r in js["rows"]:
        if r.get("file") and os.path.basename(r["file"]) == os.path.basename(source):
            out[r["line"]] = r
    return out


# ---- raw snapshot reading (independent of the reporter) ---------------------
HEADER = struct.Struct("<8sIIQII QQQQ IIIIII QQQQQQQQQQ")
SECTION = struct.Struct("<IIQQ")
STACK = struct.Struct("<QII QQQQQQ")
FRAME = struct.Struct("<QII")
NODE = struct.Struct("<QIII")          # addr kind line parent (then reserved)
SEC_FRAMES, SEC_STACKS, SEC_NODES = 3, 4, 8
NO_NODE = 0xffffffff
HEADER_FIELDS = ("magic version header_size file_size section_count section_entry_size "
                 "pid ppid start_time_ns time_ns reason sequence program cmdline max_depth flags "
                 "current_bytes current_blocks peak_bytes peak_blocks total_allocs total_bytes "
                 "total_frees dropped rss_bytes peak_rss_bytes").split()


def read_sections(path):
    """Checks a snapshot's framing and returns (data, header dict, strings
    blob, {section kind: (entry size, offset, count)}); the header dict
    also holds program_str and cmdline_str."""
    data = open(path, "rb").read()
    h = dict(zip(HEADER_FIELDS, HEADER.unpack_from(data, 0)))
    assert h["magic"] == b"MTRSNAP\0", "bad magic"
    assert data[-8:] == b"MTRSEND\0", "bad trailer"
    secs = {}
    for i in range(h["section_count"]):
        kind, esize, off, count = SECTION.unpack_from(data, h["header_size"] + i * SECTION.size)
        secs[kind] = (esize, off, count)
    esize, off, count = secs[1]
    strings = data[off:off + count]
    for key in ("program", "cmdline"):
        o = h[key]
        h[key + "_str"] = strings[o:strings.index(b"\0", o)].decode()
    return data, h, strings, secs


def read_raw(path):
    """Returns (header dict, strings bytes, stacks list of dicts with frames:
    (addr, kind, line) innermost first, from FRAMES or from NODES, the prefix
    tree the shim writes since 0.3)."""
    data, h, strings, secs = read_sections(path)
    ses, soff, scount = secs[SEC_STACKS]
    stacks = []
    for i in range(scount):
        v = STACK.unpack_from(data, soff + i * ses)
        stacks.append(dict(zip(("first_frame frame_count flags alloc_count alloc_bytes "
                                "live_count live_bytes peak_count peak_bytes").split(), v)))
    if SEC_NODES in secs:
        assert SEC_FRAMES not in secs, "both FRAMES and NODES"
        nes, noff, ncount = secs[SEC_NODES]
        nodes = [NODE.unpack_from(data, noff + i * nes) for i in range(ncount)]
        for s in stacks:
            frames, n = [], s["first_frame"]
            for _ in range(s["frame_count"]):
                addr, kind, line, parent = nodes[n]
                assert parent == NO_NODE or parent < n, f"node {n}: parent {parent}"
                frames.append((addr, kind, line))
                n = parent
            assert n == NO_NODE, "chain longer than frame_count"
            s["frames"] = frames
    else:
        fes, foff, fcount = secs[SEC_FRAMES]
        frames = [FRAME.unpack_from(data, foff + i * fes) for i in range(fcount)]
        for s in stacks:
            s["frames"] = frames[s["first_frame"]:s["first_frame"] + s["frame_count"]]
    return h, strings, stacks


TL_POINT = struct.Struct("<6Q")
TL_LABEL = struct.Struct("<3QII")


def read_timeline(path):
    """Returns (header extras: peak_allocs sample_bytes timeline_ms, points
    as dicts, labels as dicts with their text); times in seconds since the
    snapshot's start_time."""
    data, h, strings, secs = read_sections(path)
    extra = dict(zip(("peak_allocs", "sample_bytes", "timeline_ms"),
                     struct.unpack_from("<QQI", data, 240))) if h["header_size"] >= 264 else {}
    t0 = h["start_time_ns"]
    points, labels = [], []
    if 6 in secs:
        esize, off, count = secs[6]
        for i in range(count):
            v = TL_POINT.unpack_from(data, off + i * esize)
            p = dict(zip("time traced max max_time rss allocs".split(), v))
            p["time"] = (p["time"] - t0) / 1e9
            p["max_time"] = (p["max_time"] - t0) / 1e9
            points.append(p)
    if 7 in secs:
        esize, off, count = secs[7]
        for i in range(count):
            v = TL_LABEL.unpack_from(data, off + i * esize)
            text = strings[v[3]:strings.index(b"\0", v[3])].decode()
            labels.append({"time": (v[0] - t0) / 1e9, "allocs": v[1], "traced": v[2],
                           "text": text})
    return extra, points, labels


LEAK_CLASSES = ("definite", "indirect", "possible", "reachable")
LEAK = struct.Struct("<Q4Q4Q")


def read_leaks(path):
    """Returns (scan dict: status threads missed ms, or None when the header
    predates the scan, {stack index: {class: (count, bytes)}}, stacks as
    read_raw gives them)."""
    data, h, strings, secs = read_sections(path)
    scan = None
    if h["header_size"] >= 184:
        v = struct.unpack_from("<4I", data, 168)
        scan = dict(zip(("status", "threads", "missed", "ms"), v))
    per = {}
    if 5 in secs:
        esize, off, count = secs[5]
        for i in range(count):
            v = LEAK.unpack_from(data, off + i * esize)
            per[v[0]] = {c: (v[1 + k], v[5 + k]) for k, c in enumerate(LEAK_CLASSES)}
    return scan, per, read_raw(path)[2]
