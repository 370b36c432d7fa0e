#!/bin/bash
# CLI tests of mtrace-report against the fixture's snapshots (see fixture.c
# for the stacks and their exact counters, expect.sh for the source lines).
# Usage: cli_test.sh CASE REPORTER SNAPDIR. Every check asserts exact values;
# any mismatch prints what differed and exits 1. JSON is checked with
# Debian's /usr/bin/python3 (the python3 on PATH may be another build).
set -u
CASE=$1 R=$2 D=$3
# One locale for every case: tables use "…" in UTF-8 locales, "..." else.
export LC_ALL=C.UTF-8
unset NO_COLOR
PY=/usr/bin/python3
T=$(mktemp -d "${TMPDIR:-/tmp}/mtrace-report-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
. "$D/expect.sh"
export FIXTURE_SRC FIXTURE_EXE LINE_A LINE_G_CALL LINE_XM LINE_B LINE_C LINE_INL \
    LINE_D_CALL LINE_E LINE_MAIN_A LINE_MAIN_G LINE_MAIN_B LINE_MAIN_C LINE_MAIN_D LINE_MAIN_E
G=$D/good.snap
SRC=$FIXTURE_SRC
# The series of one process (fixture_series.c): S0..S3 in time order.
S0=$D/series0.snap S1=$D/series1.snap S2=$D/series2.snap S3=$D/series3.snap
SOTHER=$D/series_other.snap SCHILD=$D/series_child.snap
# The timeline fixture (fixture_timeline.c): TL0..TL2 one process, TLCHILD its child.
TL0=$D/tl0.snap TL1=$D/tl1.snap TL2=$D/tl2.snap TLCHILD=$D/tl_child.snap
export S0 S3 T D

fail() { echo "FAIL [$CASE]: $*" >&2; exit 1; }

# run ARGS...: runs the reporter, stdout in $T/out, stderr in $T/err, status in $RC
run() {
    timeout 60 "$R" "$@" >"$T/out" 2>"$T/err"
    RC=$?
}
ok() { run "$@"; [ "$RC" = 0 ] || fail "exit $RC for: $* ($(cat "$T/err"))";
       [ ! -s "$T/err" ] || fail "unexpected stderr for $*: $(cat "$T/err")"; }
has() { grep -qF -- "$1" "$T/out" || { cat "$T/out" >&2; fail "output lacks: $1"; }; }
has_re() { grep -qE -- "$1" "$T/out" || { cat "$T/out" >&2; fail "output lacks /$1/"; }; }
# pycheck CODE: run python CODE with j = parsed JSON of $T/out
pycheck() {
    "$PY" - "$T/out" "$1" <<'PYEOF' || { cat "$T/out" >&2; fail "JSON check failed"; }
import json, os, sys
j = json.load(open(sys.argv[1]))
E = os.environ
SRC = E["FIXTURE_SRC"]
def L(name): return "%s:%s" % (SRC, E[name])
def keys(rep=None): return [r["key"] for r in (rep or j)["rows"]]
def cnt(r): return (r["alloc_bytes"], r["alloc_count"], r["live_bytes"], r["live_count"], r["peak_bytes"], r["peak_count"])
def eq(a, b, what=""):
    if a != b:
        sys.exit("mismatch %s:\n  got  %r\n  want %r" % (what, a, b))
exec(sys.argv[2])
PYEOF
}
# Expected rows of diff S0 S3 (live): (key, status, size, size_diff, count, count_diff,
# old_size, old_count), in order: |size_diff| desc, |count_diff| desc, key.
DIFF_LIVE='
def drow(r): return (r["key"], r["status"], r["size"], r["size_diff"], r["count"], r["count_diff"], r["old_size"], r["old_count"])
def drows(rows): return [drow(r) for r in rows]
LA, LC = L("LINE_A"), L("LINE_C")
DIFF = [("/app/srv.py:10", "changed", 5000, 4000, 6, 4, 1000, 2),
        ("/app/db.py:5", "new", 2500, 2500, 5, 5, 0, 0),
        (LC, "new", 2048, 2048, 1, 1, 0, 0),
        ("/app/srv.py:20", "changed", 1000, -2000, 1, -2, 3000, 3),
        ("/app/old.py:9", "gone", 0, -1500, 0, -1, 1500, 1),
        ("/app/srv.py:40", "changed", 600, 500, 4, 3, 100, 1),
        ("/app/a.py:1", "changed", 100, -500, 1, -1, 600, 2),
        (LA, "changed", 600, 500, 2, 1, 100, 1)]
SAME = ("/app/srv.py:30", "same", 700, 0, 7, 0, 700, 7)
def dtot(): t = j["totals"]; return (t["size"], t["size_diff"], t["count"], t["count_diff"], t["old_size"], t["old_count"], t["rows"], t["unchanged"])
'
# Rows of top S3, by allocated bytes (the keys of each site).
TOP_S3='
P1, P2, P3, P4, P5, P6, P7 = "/app/srv.py:10", "/app/srv.py:20", "/app/db.py:5", "/app/old.py:9", "/app/srv.py:30", "/app/srv.py:40", "/app/a.py:1"
N1, N2 = L("LINE_A"), L("LINE_C")
ALL = [P1, N2, P2, P3, P4, P7, N1, P5, P6]   # 900-byte tie P7/N1: by key
PY = [k for k in ALL if k.startswith("/app/")]
'
# The Python fixture (fixture_python.c): PY0 then PY1, one process. Its two
# interpreter modules exist only in the module table: okpy allows exactly
# the reporter's warnings about them on stderr.
PY0=$D/py0.snap PY1=$D/py1.snap
okpy() {
    run "$@"; [ "$RC" = 0 ] || fail "exit $RC for: $* ($(cat "$T/err"))"
    ! grep -vE '^mtrace-report: warning: [^ ]*/py[01]\.snap: module /nonexistent/mtrace-fixture/(bin/python3\.11|lib/libpython3\.11\.so\.1\.0): No such file or directory; its frames show as module\+offset$' "$T/err" \
        || fail "unexpected stderr for $*"
    grep -qF "module /nonexistent/mtrace-fixture/bin/python3.11: No such file" "$T/err" \
        || fail "no warning about the python3.11 module for $*"
}
# Keys and frames of PY1 under --group-by stack (the Python traceback view).
PYSTACKS='
OUTER = " <- main /app/app.py:30 <- <module> /app/app.py:33"
K1 = "Builder.build /app/app.py:12" + OUTER          # S1 + S2: differ in interpreter frames only
K3 = "f_a %s <- Builder.extend /app/app.py:20%s" % (L("LINE_A"), OUTER)   # C extension frame kept
K5 = "pad /app/util.py:5 <- Builder.build /app/app.py:14" + OUTER
K6 = "Builder.build /app/app.py:13" + OUTER
K4_TAIL = " <- f_c %s <- main %s:%s" % (L("LINE_C"), SRC, E["LINE_MAIN_C"])  # native only
def P(fn, line, file="/app/app.py"): return (fn, file, line, True)
TB = [P("main", 30), P("<module>", 33)]
def frames(r): return [(f["function"], f["file"], f["line"], f["python"]) for f in r["stack"]]
def base(f): return f["module"].split("/")[-1] if f["module"] else None
def interp(r): return [f for f in r["stack"] if base(f) in ("python3.11", "libpython3.11.so.1.0")]
'

# Expected default top rows (key, counters), by allocated bytes.
ROWS_TOP='
ROWS = [("/app/app.py:7", (10000,10,100,1,5000,5)), (L("LINE_A"), (5120,5,1024,1,3072,3)),
        (L("LINE_XM"), (3000,3,3000,3,3000,3)), (L("LINE_C"), (2048,2,0,0,0,0)),
        (L("LINE_INL"), (512,1,512,1,512,1))]
'

# The leak fixture (fixture_leaks.c): leak.snap and friends, all with leak
# classes except leak_noscan.snap (and good.snap, the first writers' header).
LK=$D/leak.snap LKCHILD=$D/leak_child.snap LKPART=$D/leak_partial.snap
LKNOSCAN=$D/leak_noscan.snap LKCLEAN=$D/leak_clean.snap LKHOSTILE=$D/leak_hostile.snap
LKHTML=$D/leak_html.snap
# runl RC ARGS...: exit status RC; stderr holds at most the warnings about the
# fixture's modules that exist only in the module table.
runl() {
    local want=$1; shift
    run "$@"
    [ "$RC" = "$want" ] || { cat "$T/out" "$T/err" >&2; fail "exit $RC, want $want for: $*"; }
    ! grep -vE '^mtrace-report: warning: [^ ]*: module /nonexistent/mtrace-fixture/[^ ]*: No such file or directory; its frames show as module\+offset$' "$T/err" \
        || fail "unexpected stderr for $*"
}
# hcheck PAGE FOLDED CODE: checks an HTML page (self-contained: nothing
# fetched, no markup from the data, exactly the data and the code scripts)
# and runs CODE with j = its embedded data, paths = {root-first frame names:
# node}, total = the root's value(s), and the folded lines' sums.
hcheck() {
    "$PY" - "$1" "$2" "$3" <<'PYEOF' || fail "html check failed: $1"
import json, os, re, sys
E = os.environ
SRC = E["FIXTURE_SRC"]
def L(name): return "%s:%s" % (SRC, E[name])
def eq(a, b, what=""):
    if a != b:
        sys.exit("mismatch %s:\n  got  %r\n  want %r" % (what, a, b))
page = open(sys.argv[1], "rb").read().decode("utf-8")
assert page.startswith("<!DOCTYPE html>"), page[:40]
assert page.rstrip().endswith("</html>"), page[-40:]
for bad in ("http://", "https://", "<img", "<iframe", "<link", "@@", "\u2028", "\u2029"):
    assert bad not in page.lower(), "page contains " + repr(bad)
assert not re.search(r"<[a-z][^>]*\ssrc\s*=", page, re.I), "a tag with src="
eq(len(re.findall(r"<script", page, re.I)), 2, "script elements")
m = re.search(r'<script type="application/json" id="mtrace-data">(.*?)</script>', page, re.S)
data = m.group(1)
for c in "<>&":
    assert c not in data, "raw %r in the data" % c
j = json.loads(data)
nodes = j["nodes"]
fr = j["frames"]
paths = {}
for i, n in enumerate(nodes):
    assert n[1] < i or i == 0, "parent after child"
    n.append((fr[n[0]][0],) if i == 0 else nodes[n[1]][-1] + (fr[n[0]][0],))
    paths[n[-1]] = n
total = nodes[0][2:-1] if nodes else []   # none: a page of plots only
lines = [l.rsplit(" ", 2 if j["diff"] else 1) for l in open(sys.argv[2]).read().splitlines()] if sys.argv[2] else []
fsum = [sum(int(l[k]) for l in lines) for k in range(1, 3 if j["diff"] else 2)]
exec(sys.argv[3])
PYEOF
}
# fails RC TEXT ARGS...: exit status RC, no stdout, one stderr line with TEXT
fails() {
    local want=$1 text=$2; shift 2
    run "$@"
    [ "$RC" = "$want" ] || { cat "$T/err" >&2; fail "exit $RC, want $want for: $*"; }
    [ ! -s "$T/out" ] || fail "unexpected stdout for $*: $(head -3 "$T/out")"
    [ "$(wc -l <"$T/err")" = 1 ] || fail "want one stderr line for $*, got: $(cat "$T/err")"
    grep -qF -- "$text" "$T/err" || fail "stderr for $* lacks '$text': $(cat "$T/err")"
}
# Figures of leak.snap (see fixture_leaks.c).
LEAKS='
LA, LC = L("LINE_A"), L("LINE_C")
def cls(x): return {k: (x["leaks"][k]["count"], x["leaks"][k]["bytes"]) for k in ("definite", "indirect", "possible", "reachable")}
def C(d=(0, 0), i=(0, 0), p=(0, 0), r=(0, 0)): return {"definite": d, "indirect": i, "possible": p, "reachable": r}
'
# xmlcheck CODE: run python CODE with t = the parsed JUnit file $T/junit.xml
xmlcheck() {
    "$PY" - "$T/junit.xml" "$1" <<'PYEOF' || { cat "$T/junit.xml" >&2; fail "JUnit check failed"; }
import os, sys, xml.etree.ElementTree as ET
t = ET.parse(sys.argv[1]).getroot()
E = os.environ
def eq(a, b, what=""):
    if a != b:
        sys.exit("mismatch %s:\n  got  %r\n  want %r" % (what, a, b))
exec(sys.argv[2])
PYEOF
}

# fcheck FOLDED JSON CODE: run python CODE with `lines` = the folded file
# FOLDED, checked against the collapsed-stack grammar (valid UTF-8, a line
# "frame;frame;... N" or with two values "... OLD NEW", no empty frame, no
# ';' or control byte in a frame, sorted, each stack once), `two` whether
# it has two values, and j = the parsed JSON file JSON ("": none).
fcheck() {
    "$PY" - "$1" "$2" "$3" <<'PYEOF' || { cat "$1" >&2; fail "folded check failed"; }
import json, os, re, sys
E = os.environ
SRC = E["FIXTURE_SRC"]
def L(name): return "%s:%s" % (SRC, E[name])
def eq(a, b, what=""):
    if a != b:
        sys.exit("mismatch %s:\n  got  %r\n  want %r" % (what, a, b))
raw = open(sys.argv[1], "rb").read().decode("utf-8")
j = json.load(open(sys.argv[2])) if sys.argv[2] else None
FR = r"[^;\x00-\x1f\x7f]+"
# diff's lines carry two values: the whole file has them or none does
two = bool(raw) and all(re.match(r"^.+ \d+ \d+$", l) for l in raw.splitlines())
LINE = re.compile(r"^(%s(?:;%s)*) (\d+)%s$" % (FR, FR, r" (\d+)" if two else ""))
assert raw == "" or raw.endswith("\n"), "no final newline"
lines = []
for l in raw.splitlines():
    m = LINE.match(l)
    assert m, "not a folded line: %r" % l
    lines.append((m.group(1).split(";"), int(m.group(2)), int(m.group(3)) if two else None))
stacks = [";".join(f) for f, _, _ in lines]
eq(stacks, sorted(stacks), "sorted"); eq(len(set(stacks)), len(stacks), "each stack once")
def key(fr):
    """The --group-by line key of a frame: file:line, or the whole fallback label."""
    fr = fr[:-len(" (inlined)")] if fr.endswith(" (inlined)") else fr
    m = re.match(r"^.+ (\S+:\d+)$", fr)
    return m.group(1) if m else fr
def site(frames):
    """The allocation site: the innermost Python frame, else the leaf."""
    py = [f for f in frames if re.search(r"\.py:\d+$", f)]
    return key(py[-1] if py else frames[-1])
def leaf(frames): return key(frames[-1])
def by(fn, col=1, root=None):
    d = {}
    for fr, a, b in lines:
        if root is not None:
            if fr[0] != root:
                continue
            fr = fr[1:]
        k = fn(fr)
        d[k] = d.get(k, 0) + (a if col == 1 else b)
    return {k: v for k, v in d.items() if v}
def want(field, rows=None):
    return {r["key"]: r[field] for r in (rows or j["rows"]) if r[field]}
exec(sys.argv[3])
PYEOF
}
# pprof_top FILE SAMPLE_INDEX [pprof options]: `go tool pprof -top -lines` of
# FILE into $T/top, and "flat cum name" per node into $T/nodes (bytes in B).
pprof_top() {
    local f=$1 si=$2 unit=; shift 2
    case $si in *_space) unit=-unit=B ;; esac   # -unit=B would show counts as bytes too
    "$GO" tool pprof $unit -lines -top -nodefraction=0 -nodecount=1000 \
        -sample_index="$si" "$@" "$f" >"$T/top" 2>"$T/gerr" \
        || { cat "$T/gerr" >&2; fail "go tool pprof -top failed on $f"; }
    [ ! -s "$T/gerr" ] || fail "go tool pprof said: $(cat "$T/gerr")"
    sed -nE 's/^ *(-?[0-9]+)B? +[-0-9.]+% +[-0-9.]+% +(-?[0-9]+)B? +[-0-9.]+% +(.*)$/\1 \2 \3/p' \
        "$T/top" >"$T/nodes"
}
# has_node FLAT CUM NAME: $T/nodes has that line
has_node() { grep -qxF -- "$1 $2 $3" "$T/nodes" || { cat "$T/top" >&2; fail "pprof lacks node: $*"; }; }

case $CASE in
help)
    ok --help; has "usage: mtrace-report COMMAND"; has "operator new*"; has "PyMem_*"
    has "  diff OLD NEW"; has "--metric live|alloc|peak"; has "--include-file GLOB"
    has "--exclude-module GLOB"; has "--filter-frames site|any"; has "--force"; has "--all"
    has "Python stacks"; has "  modules: python3* libpython*"
    has "  functions (frames without a module): _Py* Py*"
    ok --version; has_re "^mtrace-report [0-9]+\.[0-9]+\.[0-9]+ \(reads snapshot format version 1\)$"
    ;;
top_json)
    ok top --format json -n 0 "$G"
    pycheck "$ROWS_TOP"'
eq(j["mtrace_report"], 1); eq(j["command"], "top"); eq(j["group_by"], "line"); eq(j["sort"], "bytes")
s = j["snapshots"][0]
eq((s["pid"], s["ppid"], s["forked"], s["reason"], s["sequence"], s["time_ns"]),
   (4242, 4000, True, "exit", 3, 1700000000123456789), "header")
eq((s["program"], s["current_bytes"], s["current_blocks"], s["peak_bytes"], s["rss_bytes"],
    s["peak_rss_bytes"], s["total_allocs"], s["dropped"]),
   ("/usr/bin/fixture-prog", 4637, 7, 11584, 5 << 20, 6 << 20, 23, 2), "header counters")
t = j["totals"]
eq((t["alloc_bytes"], t["alloc_count"], t["live_bytes"], t["live_count"], t["peak_bytes"],
    t["peak_count"], t["rows"]), (20781, 23, 4637, 7, 11584, 12, 7), "totals")
eq(len(j["rows"]), 7)
eq([(r["key"], cnt(r)) for r in j["rows"][:5]], ROWS, "rows")
r = j["rows"]
eq((r[0]["function"], r[0]["file"], r[0]["line"], r[0]["module"]), ("work", "/app/app.py", 7, None))
st = r[0]["stack"]
eq((st[0]["function"], st[0]["file"], st[0]["line"], st[0]["python"], st[0]["module"]),
   ("f_e", SRC, int(E["LINE_E"]), False, E["FIXTURE_EXE"]), "native frame above python")
eq([(f["function"], f["line"], f["python"], f["address"]) for f in st[1:3]],
   [("work", 7, True, None), ("<module>", 1, True, None)])
eq((st[3]["function"], st[3]["line"]), ("main", int(E["LINE_MAIN_E"])))
# representative stack of the merged f_a row: the heavier one, called from main
eq([(f["function"], f["line"], f["inlined"]) for f in r[1]["stack"]],
   [("f_a", int(E["LINE_A"]), False), ("main", int(E["LINE_MAIN_A"]), False)])
eq((r[1]["function"], r[1]["file"], r[1]["line"]), ("f_a", SRC, int(E["LINE_A"])))
# wrapper frame in libc skipped: site is f_c, the libc frame stays in the stack
eq(r[3]["function"], "f_c")
eq(r[3]["stack"][0]["module"].split("/")[-1], "libc.so.6")
eq([(f["function"], f["line"]) for f in r[3]["stack"][1:]],
   [("f_c", int(E["LINE_C"])), ("main", int(E["LINE_MAIN_C"]))])
# inlined frames
eq([(f["function"], f["line"], f["inlined"]) for f in r[4]["stack"]],
   [("inl", int(E["LINE_INL"]), True), ("f_d", int(E["LINE_D_CALL"]), False),
    ("main", int(E["LINE_MAIN_D"]), False)], "inline chain")
eq(r[4]["stack"][0]["address"], r[4]["stack"][1]["address"])
# all-wrapper stack: the outermost (only) frame, in libc
# (with libc debug info installed the key is malloc.c:LINE, else "malloc (libc.so.6+0x...)")
eq(cnt(r[5]), (100,1,0,0,0,0)); assert "malloc" in r[5]["function"], r[5]
eq(r[5]["module"].split("/")[-1], "libc.so.6")
eq((r[6]["key"], cnt(r[6]), r[6]["module"], r[6]["stack"][0]["address"]),
   ("0x10", (1,1,1,1,0,0), None, "0x10"))
'
    ;;
table)
    ok top "$G"
    has "mtrace-report top: by line, sorted by bytes"
    has "  program   /usr/bin/fixture-prog  pid 4242 (forked from 4000)"
    has "  taken     exit #3 at 2023-11-14 22:13:20 UTC"
    has "  heap      4.5 KiB in 7 blocks now, peak 11.3 KiB"
    has "  RSS       5.0 MiB, peak 6.0 MiB"
    has "  allocs    23 (20.3 KiB in total)"
    has "  dropped   2 events lost (tracer memory exhausted)"
    has_re "^ *ALLOCATED +ALLOCS +LIVE +LIVE# +% +SITE$"
    has_re "^ +9\.8 KiB +10 +100 B +1 +48\.1% +/app/app\.py:7$"
    has_re "^ +5\.0 KiB +5 +1\.0 KiB +1 +24\.6% +${SRC//./\\.}:$LINE_A$"
    has "      f_a  $SRC:$LINE_A"
    has "      main  $SRC:$LINE_MAIN_A"
    has "      inl  $SRC:$LINE_INL (inlined)"
    has "      f_d  $SRC:$LINE_D_CALL"
    has "      work  /app/app.py:7"
    has "      <module>  /app/app.py:1"
    has_re "^      [_A-Za-z]*malloc (\(libc\.so\.6\+0x[0-9a-f]+\)|.*malloc\.c:[0-9]+)$"
    has "total: 20.3 KiB in 23 allocations; 4.5 KiB in 7 blocks still live"
    ok top --stack-depth 1 "$G"
    grep -qF "      main  $SRC:$LINE_MAIN_A" "$T/out" && fail "--stack-depth 1 shows 2 frames"
    has "      … 1 more frames"
    ;;
group_function)
    ok top --format json --group-by function -n 0 "$G"
    pycheck '
eq(j["group_by"], "function")
eq(keys()[:5], ["work (/app/app.py)", "f_a", "xmalloc", "f_c", "inl"])
eq(cnt(j["rows"][1]), (5120,5,1024,1,3072,3))'
    ;;
group_file)
    ok top --format json --group-by file -n 0 "$G"
    pycheck '
eq([(k.split("/")[-1], cnt(r)[0]) for k, r in zip(keys(), j["rows"])][:2] + [cnt(r)[0] for r in j["rows"][2:]],
   [(SRC.split("/")[-1], 10680), ("app.py", 10000), 100, 1])
assert keys()[2].split("/")[-1] in ("libc.so.6", "malloc.c"), keys()  # malloc.c with libc debug info
eq(keys()[3], "??")
eq(keys()[0], SRC)'
    ;;
group_stack)
    ok top --format json --group-by stack -n 0 "$G"
    pycheck '
eq(len(j["rows"]), 8); eq(j["totals"]["alloc_bytes"], 20781)
k = "f_a %s <- main %s:%s" % (L("LINE_A"), SRC, E["LINE_MAIN_A"])
r = [r for r in j["rows"] if r["key"] == k]
eq(len(r), 1, "stack key " + k); eq(cnt(r[0]), (4096,4,1024,1,2048,2))
k2 = "f_a %s <- g %s:%s <- main %s:%s" % (L("LINE_A"), SRC, E["LINE_G_CALL"], SRC, E["LINE_MAIN_G"])
eq([cnt(r) for r in j["rows"] if r["key"] == k2], [(1024,1,0,0,1024,1)])'
    ok top --group-by stack "$G"
    has_re "^ +4\.0 KiB +4 +1\.0 KiB +1 +19\.7% +${SRC//./\\.}:$LINE_A$"
    ;;
limit)
    ok top --format json -n 2 "$G"
    pycheck 'eq(len(j["rows"]), 2); eq(j["totals"]["rows"], 7); eq(j["limit"], 2); eq(j["totals"]["alloc_bytes"], 20781)'
    ok top -n 2 "$G"
    has "showing 2 of 7 sites (-n 0 shows all)"
    ok top --format json "$G"
    pycheck 'eq(len(j["rows"]), 7)'
    ;;
sort)
    ok top --format json --sort count -n 0 "$G"
    pycheck 'eq(keys()[:4], ["/app/app.py:7", L("LINE_A"), L("LINE_XM"), L("LINE_C")])
eq([cnt(r)[1] for r in j["rows"]], [10, 5, 3, 2, 1, 1, 1])
eq(keys()[4:], sorted(keys()[4:]))  # ties: by key'
    ok top --format json --sort live -n 3 "$G"
    pycheck 'eq(keys(), [L("LINE_XM"), L("LINE_A"), L("LINE_INL")]); eq(j["sort"], "live")'
    ok top --format json --sort live-count -n 2 "$G"
    pycheck 'eq(keys(), [L("LINE_XM"), "/app/app.py:7"])'
    ok top --format json --sort peak -n 0 "$G"
    pycheck 'eq(keys()[:4], ["/app/app.py:7", L("LINE_A"), L("LINE_XM"), L("LINE_INL")])'
    ok top --sort live "$G"
    has_re "^ +2\.9 KiB +3 +2\.9 KiB +3 +64\.7% +${SRC//./\\.}:$LINE_XM$"
    ;;
alloc_fn)
    ok top --format json --alloc-fn 'xmall*' --alloc-fn nomatch -n 0 "$G"
    pycheck 'eq(keys()[:3], ["/app/app.py:7", L("LINE_A"), L("LINE_B")])
eq(j["rows"][2]["function"], "f_b"); assert L("LINE_XM") not in keys()'
    ;;
native)
    ok top --format json --native -n 1 "$G"
    pycheck 'eq(keys(), [L("LINE_E")]); eq(j["rows"][0]["function"], "f_e")'
    ;;
leaks)
    ok leaks --format json -n 0 "$G"
    pycheck 'eq(j["command"], "leaks"); eq(j["sort"], "live")
eq(keys(), [L("LINE_XM"), L("LINE_A"), L("LINE_INL"), "/app/app.py:7", "0x10"])
eq((j["totals"]["live_bytes"], j["totals"]["live_count"], j["totals"]["rows"]), (4637, 7, 5))'
    ok leaks "$G"
    has_re "^ *LIVE +BLOCKS +ALLOCATED +ALLOCS +% +SITE$"
    has "4,637 bytes in 7 blocks still allocated"
    ;;
peak)
    ok peak --format json -n 0 "$G"
    pycheck 'eq(j["command"], "peak"); eq(j["sort"], "peak")
eq(keys(), ["/app/app.py:7", L("LINE_A"), L("LINE_XM"), L("LINE_INL")])
eq((j["totals"]["peak_bytes"], j["totals"]["peak_count"]), (11584, 12))'
    ok peak "$G"
    has "11,584 bytes in 12 blocks live at the peak"
    ;;
dump)
    ok dump "$G"
    has "  version 1  header_size 168  file_size $(stat -c %s "$G")"
    has "  pid 4242  ppid 4000  flags 0x1 (forked)"
    has "  reason 1 (exit)  sequence 3  max_depth 64"
    has '  program "/usr/bin/fixture-prog"'
    has "stacks 8  frames 19"
    has "    alloc 4096 bytes / 4  live 1024 bytes / 1  peak 2048 bytes / 2"
    has '    #1   python "work" "/app/app.py" line 7'
    has_re "^    #0   native 0x0000000000000010$"
    bid=$("$PY" - "$FIXTURE_EXE" <<'PYEOF'
import sys
d = open(sys.argv[1], "rb").read()
i = d.find(b"GNU\0", d.find(b"\x03\0\0\0GNU\0") )  # NT_GNU_BUILD_ID note
n = int.from_bytes(d[i-8:i-4], "little")
print(d[i+4:i+4+n].hex())
PYEOF
)
    has "build-id $bid  path \"$FIXTURE_EXE\""
    ;;
extended)
    # a newer writer: bigger header and records, an unknown section: same report
    ok top --format json -n 0 "$G"; mv "$T/out" "$T/good.json"
    ok top --format json -n 0 "$D/ext.snap"
    "$PY" - "$T/good.json" "$T/out" <<'PYEOF' || fail "ext.snap reads differently"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for x in (a, b):
    for s in x["snapshots"]: del s["file"]
assert a == b
PYEOF
    ;;
nodes)
    # NODES (the shim's layout since 0.3) reads as FRAMES does: the same
    # stacks written both ways give the same reports
    same() { # A B ARGS...: output (and warnings) of ARGS on A and on B, file names and
             # the header's line aside (good.snap has the first, shorter header)
        local a=$1 b=$2 f; shift 2
        for f in "$a" "$b"; do
            run "$@" "$D/$f"; [ "$RC" -le 1 ] || fail "exit $RC for: $* $f ($(cat "$T/err"))"
            { echo "exit $RC"; cat "$T/out" "$T/err"; } |
                sed -e "s|$D/$f|F|g" -e '/^  taken /d' >"$T/$f.txt"
        done
        cmp -s "$T/$a.txt" "$T/$b.txt" ||
            { diff "$T/$a.txt" "$T/$b.txt" >&2; fail "$b reads unlike $a: $*"; }
    }
    for pair in "good.snap nodes.snap" "ext.snap ext_nodes.snap" "py0.snap py0_nodes.snap" \
                "leak.snap leak_nodes.snap"; do
        set -- $pair
        same "$1" "$2" top -n 0
        same "$1" "$2" top --group-by stack -n 0 --format json
        same "$1" "$2" top --native --group-by function -n 0
        same "$1" "$2" peak --format folded
        same "$1" "$2" leaks --format json -n 0
    done
    same leak.snap leak_nodes.snap check --format json -n 0
    ok diff --format json -n 0 "$G" "$D/nodes.snap"   # one of each layout
    pycheck 'eq(j["totals"]["rows"], 0)'
    ok dump "$D/nodes.snap"
    has "  pid 4242  ppid 4000  flags 0x5 (forked) (nodes)"
    has "kind 8 (nodes)  entry_size 24"
    has "stacks 8  frames 19"
    has '    #1   python "work" "/app/app.py" line 7'
    ;;
build_id)
    run top --format json -n 0 "$D/badbid.snap"
    [ "$RC" = 0 ] || fail "exit $RC"
    [ "$(wc -l <"$T/err")" = 1 ] || fail "want one warning line, got: $(cat "$T/err")"
    grep -qF "mtrace-report: warning: $D/badbid.snap: module $FIXTURE_EXE: build-id differs" "$T/err" \
        || fail "warning text: $(cat "$T/err")"
    pycheck '
exe = E["FIXTURE_EXE"].split("/")[-1]
eq(keys()[0], "/app/app.py:7")
import re
assert re.fullmatch(re.escape(exe) + r"\+0x[0-9a-f]+", keys()[1]), keys()
eq(j["rows"][1]["function"], None); eq(j["rows"][1]["module"], E["FIXTURE_EXE"])'
    ;;
missing_module)
    run top -n 3 "$D/missing.snap"
    [ "$RC" = 0 ] || fail "exit $RC"
    [ "$(wc -l <"$T/err")" = 1 ] || fail "want one warning line, got: $(cat "$T/err")"
    grep -qF "module /nonexistent/report_fixture_gone: No such file or directory" "$T/err" \
        || fail "warning text: $(cat "$T/err")"
    has_re "report_fixture_gone\+0x[0-9a-f]+$"
    ;;
merge)
    ok top --format json --merge -n 0 "$G" "$D/good2.snap"
    pycheck 'eq(len(j["snapshots"]), 2); eq(j["merged"], True)
eq([s["pid"] for s in j["snapshots"]], [4242, 4243])
eq(j["totals"]["alloc_bytes"], 2 * 20781); eq(cnt(j["rows"][1]), (10240,10,2048,2,6144,6))'
    ok peak --merge "$G" "$D/good2.snap"
    has "merged    2 snapshots; peak figures are the sum of per-process peaks"
    has "23,168 bytes in 24 blocks live at the peak (sum of per-process peaks)"
    ;;
several)
    ok top --format json "$G" "$D/good2.snap"
    pycheck 'eq(type(j), list); eq(len(j), 2)
eq([x["snapshots"][0]["pid"] for x in j], [4242, 4243])
eq([x["totals"]["alloc_bytes"] for x in j], [20781, 20781])'
    ok leaks "$G" "$D/good2.snap"
    [ "$(grep -c '^mtrace-report leaks: by line' "$T/out")" = 2 ] || fail "want two sections"
    [ "$(grep -c '^4,637 bytes in 7 blocks still allocated$' "$T/out")" = 2 ] || fail "want two totals"
    ;;
diff_json)
    ok diff --format json -n 0 "$S0" "$S3"
    pycheck "$DIFF_LIVE"'
eq((j["mtrace_report"], j["command"], j["group_by"], j["metric"], j["all"], j["limit"], j["notes"], j["filters"]),
   (1, "diff", "line", "live", False, 0, [], None))
eq([(s["sequence"], s["pid"]) for s in j["snapshots"]], [(0, 5000), (3, 5000)])
eq(drows(j["rows"]), DIFF, "diff rows")
eq(dtot(), (12548, 5548, 27, 10, 7000, 17, 8, 1), "totals")
r = j["rows"]
eq((r[0]["function"], r[0]["file"], r[0]["line"], r[0]["module"]), ("handle", "/app/srv.py", 10, None))
eq([(f["function"], f["line"]) for f in r[0]["stack"]], [("handle", 10), ("<module>", 3)])
# a gone site keeps the old snapshot s stack
eq((r[4]["function"], r[4]["file"], r[4]["line"]), ("legacy", "/app/old.py", 9))
eq([(f["function"], f["line"]) for f in r[4]["stack"]], [("legacy", 9), ("<module>", 6)])
eq((r[2]["function"], r[2]["file"], r[2]["line"], r[2]["module"]), ("f_c", SRC, int(E["LINE_C"]), E["FIXTURE_EXE"]))
eq(r[2]["stack"][0]["module"].split("/")[-1], "libc.so.6")
'
    # reversed: every sign flips, new <-> gone
    ok diff --format json -n 0 "$S3" "$S0"
    pycheck "$DIFF_LIVE"'
flip = {"new": "gone", "gone": "new", "changed": "changed"}
want = sorted([(k, flip[st], os, -sd, oc, -cd, s, c) for (k, st, s, sd, c, cd, os, oc) in DIFF],
              key=lambda x: (-abs(x[3]), -abs(x[5]), x[0]))
eq(drows(j["rows"]), want, "reversed")
eq(dtot(), (7000, -5548, 17, -10, 12548, 27, 8, 1))'
    # a snapshot against itself: nothing changed
    ok diff --format json "$S3" "$S3"
    pycheck 'eq(j["rows"], []); eq((j["totals"]["size_diff"], j["totals"]["unchanged"]), (0, 8))  # old.py: in neither'
    ;;
diff_table)
    ok diff "$S0" "$S3"
    has "mtrace-report diff: live bytes by line, largest change first"
    has "  old       $S0"
    has "            signal #0 at 2023-11-14 22:15:00 UTC; heap 6.8 KiB in 17 blocks, peak 7.8 KiB"
    has "  new       $S3"
    has "            exit #3 at 2023-11-14 22:15:04 UTC; heap 12.3 KiB in 27 blocks, peak 13.2 KiB"
    has_re "^ *LIVE +CHANGE +BLOCKS +CHANGE +STATUS +SITE$"
    has_re "^ *4\.9 KiB +\+3\.9 KiB +6 +\+4 +changed +/app/srv\.py:10$"
    has_re "^ *2\.4 KiB +\+2\.4 KiB +5 +\+5 +new +/app/db\.py:5$"
    has_re "^ *1000 B +-2\.0 KiB +1 +-2 +changed +/app/srv\.py:20$"
    has_re "^ *0 B +-1\.5 KiB +0 +-1 +gone +/app/old\.py:9$"
    has "      legacy  /app/old.py:9"
    has "1 unchanged site hidden (--all shows them)"
    has "total: 12.3 KiB in 27 blocks live; change +5.4 KiB, +10 blocks"
    grep -q "note" "$T/out" && fail "unexpected note"
    grep -qF "/app/srv.py:30" "$T/out" && fail "unchanged site shown"
    # order of the site column: the sort of diff_json
    grep -E '^ *[0-9].* (changed|new|gone|same) +[^ ]+$' "$T/out" | awk '{print $NF}' >"$T/order"
    printf '%s\n' /app/srv.py:10 /app/db.py:5 "$SRC:$LINE_C" /app/srv.py:20 /app/old.py:9 \
        /app/srv.py:40 /app/a.py:1 "$SRC:$LINE_A" | diff - "$T/order" >&2 || fail "row order"
    ;;
diff_options)
    ok diff --format json --all -n 0 "$S0" "$S3"
    pycheck "$DIFF_LIVE"'eq(drows(j["rows"]), DIFF + [SAME]); eq(j["all"], True); eq(dtot()[6:], (9, 1))'
    ok diff --all --stack-depth 0 "$S0" "$S3"
    has_re "^ *700 B +0 B +7 +0 +same +/app/srv\.py:30$"
    ok diff --format json -n 2 "$S0" "$S3"
    pycheck "$DIFF_LIVE"'eq(drows(j["rows"]), DIFF[:2]); eq(dtot()[6], 8); eq(j["limit"], 2)'
    ok diff -n 2 "$S0" "$S3"
    has "showing 2 of 8 sites (-n 0 shows all)"
    ok diff --format json --metric alloc -n 0 "$S0" "$S3"
    pycheck "$DIFF_LIVE"'eq(j["metric"], "alloc")
eq(drows(j["rows"]), [("/app/srv.py:10", "changed", 9000, 5000, 20, 10, 4000, 10),
                      (LC, "new", 4096, 4096, 3, 3, 0, 0),
                      ("/app/db.py:5", "new", 2500, 2500, 5, 5, 0, 0),
                      (LA, "changed", 900, 700, 5, 3, 200, 2),
                      ("/app/srv.py:40", "changed", 600, 500, 4, 3, 100, 1)])
eq(dtot(), (23196, 12796, 54, 24, 10400, 30, 5, 4))'
    ok diff --metric alloc "$S0" "$S3"
    has_re "^ *ALLOCATED +CHANGE +ALLOCS +CHANGE +STATUS +SITE$"
    has "total: 22.7 KiB in 54 allocations; change +12.5 KiB, +24 allocations"
    ok diff --format json --metric peak -n 3 "$S0" "$S3"
    pycheck "$DIFF_LIVE"'eq(j["metric"], "peak")
eq(drows(j["rows"]), [("/app/srv.py:10", "changed", 6000, 5000, 7, 5, 1000, 2),
                      ("/app/db.py:5", "new", 2500, 2500, 5, 5, 0, 0), (LC, "new", 2048, 2048, 1, 1, 0, 0)])
eq(dtot()[:6], (13548, 6548, 28, 11, 7000, 17))'
    ok diff --metric peak "$S0" "$S3"
    has "total: 13.2 KiB in 28 blocks at the peak; change +6.4 KiB, +11 blocks"
    # grouped by file; +2500/+5 tie between two files: by key
    ok diff --format json --group-by file -n 0 "$S0" "$S3"
    pycheck "$DIFF_LIVE"'eq(j["group_by"], "file")
eq(drows(j["rows"]), [(SRC, "changed", 2648, 2548, 3, 2, 100, 1),
                      ("/app/db.py", "new", 2500, 2500, 5, 5, 0, 0),
                      ("/app/srv.py", "changed", 7300, 2500, 18, 5, 4800, 13),
                      ("/app/old.py", "gone", 0, -1500, 0, -1, 1500, 1),
                      ("/app/a.py", "changed", 100, -500, 1, -1, 600, 2)])'
    ;;
diff_force)
    run diff "$S0" "$SOTHER"
    [ "$RC" = 2 ] || fail "different programs: exit $RC, want 2"
    [ ! -s "$T/out" ] || fail "different programs: unexpected stdout"
    [ "$(wc -l <"$T/err")" = 1 ] || fail "want one stderr line, got: $(cat "$T/err")"
    grep -qxF "mtrace-report: $S0 and $SOTHER are snapshots of different programs (/usr/bin/series-prog, /usr/bin/other-prog); --force compares them anyway" "$T/err" \
        || fail "stderr: $(cat "$T/err")"
    run diff --format json "$SOTHER" "$S0"
    [ "$RC" = 2 ] && [ ! -s "$T/out" ] || fail "reversed: exit $RC"
    ok diff --format json --force -n 0 "$S0" "$SOTHER"
    pycheck "$DIFF_LIVE"'eq(drows(j["rows"]), DIFF); eq(j["notes"], [])
eq([s["program"] for s in j["snapshots"]], ["/usr/bin/series-prog", "/usr/bin/other-prog"])'
    ;;
diff_fork)
    ok diff --format json -n 0 "$S0" "$SCHILD"
    pycheck "$DIFF_LIVE"'eq(j["notes"], ["comparing a fork child with its parent"]); eq(drows(j["rows"]), DIFF)
eq([(s["pid"], s["ppid"], s["forked"]) for s in j["snapshots"]], [(5000, 1, False), (5001, 5000, True)])'
    ok diff "$SCHILD" "$S0"
    has "  note      comparing a fork child with its parent"
    has "            /usr/bin/series-prog  pid 5001 (forked from 5000)"
    # a fork child of another process: no note
    ok diff --format json "$SCHILD" "$G" --force
    pycheck 'eq(j["notes"], [])'
    ;;
diff_bad)
    for args in "$S0 $D/bad_magic.snap" "$D/bad_version.snap $S3" "$S0 $T/nonexistent.snap"; do
        run diff $args
        [ "$RC" = 2 ] || fail "diff $args: exit $RC, want 2"
        [ ! -s "$T/out" ] || fail "diff $args: unexpected stdout"
        [ "$(wc -l <"$T/err")" = 1 ] || fail "diff $args: want one stderr line, got: $(cat "$T/err")"
    done
    run diff "$S0" "$D/bad_magic.snap"
    grep -qxF "mtrace-report: $D/bad_magic.snap: not an mtrace snapshot" "$T/err" || fail "stderr: $(cat "$T/err")"
    # huge counters: changes of 2^64-1 stay exact
    ok diff --format json --metric alloc --force "$D/huge.snap" "$G"
    pycheck 'M = 2**64 - 1
eq(j["totals"]["old_size"], M); eq(j["totals"]["size_diff"], 20781 - M)
eq((j["rows"][0]["key"], j["rows"][0]["size_diff"], j["rows"][0]["status"]), ("0x10", -(M - 1), "changed"))
eq((j["rows"][-1]["key"], j["rows"][-1]["size_diff"]), ("/app/app.py:7", -(M - 10000)))'
    ok diff --metric alloc --force "$G" "$D/huge.snap"
    has_re "\+16\.0 EiB +[0-9,]+ +\+18,446,744,073,709,551,60[0-9]"
    ;;
filter_file)
    f() { ok top --format json -n 0 "$@" "$S3"; }
    f --include-file srv.py
    pycheck "$TOP_S3"'eq(keys(), [P1, P2, P5, P6])
fl = j["filters"]
eq((fl["frames"], fl["include_file"], fl["exclude_file"], fl["include_function"], fl["stacks_total"], fl["stacks_kept"]),
   ("site", ["srv.py"], [], [], 9, 4))
eq(cnt(fl["kept"]), (13300, 34, 7300, 18, 8300, 19))
eq(cnt(j["totals"]), (13300, 34, 7300, 18, 8300, 19)); eq(j["totals"]["rows"], 4)
eq(j["snapshots"][0]["current_bytes"], 12548)  # the header stays unfiltered'
    f --include-file 's*.py'; pycheck "$TOP_S3"'eq(keys(), [P1, P2, P5, P6])'
    f --include-file '/app/s*'; pycheck "$TOP_S3"'eq(keys(), [P1, P2, P5, P6])'
    f --include-file 'app/s*'; pycheck "$TOP_S3"'eq(keys(), [])'   # with a /: the whole path
    f --include-file srv.py --include-file db.py; pycheck "$TOP_S3"'eq(keys(), [P1, P2, P3, P5, P6])'
    f --include-file '/app/*'; pycheck "$TOP_S3"'eq(keys(), PY)'
    f --exclude-file srv.py; pycheck "$TOP_S3"'eq(keys(), [N2, P3, P4, P7, N1])'
    f --include-file fixture.c; pycheck "$TOP_S3"'eq(keys(), [N2, N1])'
    f --include-file main.py; pycheck "$TOP_S3"'eq(keys(), [])'
    f --include-file main.py --filter-frames any; pycheck "$TOP_S3"'eq(keys(), PY); eq(j["filters"]["frames"], "any")'
    f --exclude-file main.py --filter-frames any; pycheck "$TOP_S3"'eq(keys(), [N2, N1])'
    f --exclude-file main.py; pycheck "$TOP_S3"'eq(keys(), ALL)'
    ok top -n 0 --stack-depth 0 --include-file srv.py "$S3"
    has "  filters   include file srv.py (site frame)"
    has "  filtered  4 of 9 stacks: 13.0 KiB in 34 allocations; 7.1 KiB in 18 blocks live; 8.1 KiB at peak"
    has "  heap      12.3 KiB in 27 blocks now, peak 13.2 KiB"
    has "total: 13.0 KiB in 34 allocations; 7.1 KiB in 18 blocks still live"
    ok top "$S3"
    grep -q "filter" "$T/out" && fail "filter lines without filters"
    ;;
filter_function)
    f() { ok top --format json -n 0 "$@" "$S3"; }
    f --include-function 'f_*'; pycheck "$TOP_S3"'eq(keys(), [N2, N1])'
    f --include-function handle --include-function cache; pycheck "$TOP_S3"'eq(keys(), [P1, P2])'
    f --include-file srv.py --include-function cache; pycheck "$TOP_S3"'eq(keys(), [P2])'  # AND over kinds
    f --include-file db.py --include-function cache; pycheck "$TOP_S3"'eq(keys(), [])'
    f --exclude-function handle --exclude-function 'f_?'; pycheck "$TOP_S3"'eq(keys(), [P2, P3, P4, P7, P5, P6])'
    f --include-function '*malloc*'; pycheck "$TOP_S3"'eq(keys(), [])'   # the site is f_c
    f --include-function '*malloc*' --filter-frames any; pycheck "$TOP_S3"'eq(keys(), [N2])'
    f --exclude-function '<module>' --filter-frames any; pycheck "$TOP_S3"'eq(keys(), [N2, N1])'
    f --exclude-function '<module>'; pycheck "$TOP_S3"'eq(keys(), ALL)'
    f --include-function main --filter-frames any --exclude-function 'f_a'; pycheck "$TOP_S3"'eq(keys(), [N2])'
    ;;
filter_module)
    exe=$(basename "$FIXTURE_EXE")
    f() { ok top --format json -n 0 "$@" "$S3"; }
    f --include-module "$exe"; pycheck "$TOP_S3"'eq(keys(), [N2, N1])'
    f --include-module "$FIXTURE_EXE"; pycheck "$TOP_S3"'eq(keys(), [N2, N1])'
    f --include-module "/nowhere/$exe"; pycheck "$TOP_S3"'eq(keys(), [])'
    f --include-module 'libc.so*'; pycheck "$TOP_S3"'eq(keys(), [])'
    f --include-module 'libc.so*' --filter-frames any; pycheck "$TOP_S3"'eq(keys(), [N2])'
    f --exclude-module 'libc.so*' --filter-frames any; pycheck "$TOP_S3"'eq(keys(), [P1, P2, P3, P4, P7, N1, P5, P6])'
    f --exclude-module 'libc.so*'; pycheck "$TOP_S3"'eq(keys(), ALL)'
    f --include-module '*'; pycheck "$TOP_S3"'eq(keys(), [N2, N1])'   # Python frames have no module
    f --exclude-module "$exe"; pycheck "$TOP_S3"'eq(keys(), PY)'
    ok top --stack-depth 0 --include-module 'libc.so*' --exclude-function 'x*' --include-file 'f*.c' --filter-frames any "$S3"
    has "  filters   include file f*.c, module libc.so*; exclude function x* (any frame)"
    has "  filtered  1 of 9 stacks: 4.0 KiB in 3 allocations; 2.0 KiB in 1 blocks live; 2.0 KiB at peak"
    ;;
filter_commands)
    ok leaks --format json -n 0 --exclude-file srv.py "$S3"
    pycheck "$TOP_S3"'eq(keys(), [P3, N2, N1, P7]); eq((j["totals"]["live_bytes"], j["totals"]["live_count"]), (5248, 9))
eq(j["filters"]["stacks_kept"], 5)'
    ok peak --format json -n 0 --include-function 'f_*' "$S3"
    pycheck "$TOP_S3"'eq(keys(), [N2, N1]); eq((j["totals"]["peak_bytes"], j["totals"]["peak_count"]), (2648, 3))'
    ok diff --format json -n 0 --include-file srv.py "$S0" "$S3"
    pycheck "$DIFF_LIVE"'eq(drows(j["rows"]), [DIFF[0], DIFF[3], DIFF[5]])
eq(dtot(), (7300, 2500, 18, 5, 4800, 13, 3, 1)); eq(j["filters"]["include_file"], ["srv.py"])'
    ok diff --format json -n 0 --group-by file --include-file main.py --filter-frames any "$S0" "$S3"
    pycheck "$DIFF_LIVE"'eq([(r["key"], r["status"], r["size_diff"], r["count_diff"]) for r in j["rows"]],
   [("/app/db.py", "new", 2500, 5), ("/app/srv.py", "changed", 2500, 5), ("/app/old.py", "gone", -1500, -1),
    ("/app/a.py", "changed", -500, -1)])'
    ok diff --stack-depth 0 --include-file srv.py "$S0" "$S3"
    has "  filters   include file srv.py (site frame)"
    has "total: 7.1 KiB in 18 blocks live; change +2.4 KiB, +5 blocks"
    ok top --merge --format json --include-function cache "$S0" "$S3"
    pycheck 'eq([r["key"] for r in j["rows"]], ["/app/srv.py:20"]); eq(j["totals"]["live_bytes"], 4000)'
    ;;
series_table)
    # given out of order; series1 and series2 share a time: by sequence
    ok top --stack-depth 0 "$S3" "$S2" "$S0" "$S1"
    has "mtrace-report series: 4 snapshots of pid 5000, /usr/bin/series-prog"
    has_re "^ *TIME +REASON +SEQ +CURRENT +PEAK +RSS +CHANGE +SNAPSHOT$"
    grep -E '^ *[0-9]+\.[0-9]{3}s ' "$T/out" | sed -E 's/ +/ /g; s/^ //' >"$T/series"
    printf '%s\n' "0.000s signal 0 6.8 KiB 7.8 KiB 10.0 MiB - $S0" \
        "1.500s timer 1 8.3 KiB 8.8 KiB 11.0 MiB +1.5 KiB $S1" \
        "1.500s api 2 9.4 KiB 9.8 KiB 12.0 MiB +1.1 KiB $S2" \
        "4.250s exit 3 12.3 KiB 13.2 KiB 16.0 MiB +2.8 KiB $S3" | diff - "$T/series" >&2 \
        || fail "series lines"
    has "grew most, first to last snapshot (live bytes by line):"
    grep -E '^ +\+' "$T/out" | sed -E 's/ +/ /g' >"$T/growth"
    printf '%s\n' " +3.9 KiB +4 blocks changed /app/srv.py:10" " +2.4 KiB +5 blocks new /app/db.py:5" \
        " +2.0 KiB +1 blocks new $SRC:$LINE_C" | diff - "$T/growth" >&2 || fail "growth lines"
    has "mtrace-report top: by line, sorted by bytes (last snapshot)"
    has "  taken     exit(0) #3 at 2023-11-14 22:15:04 UTC"
    [ "$(grep -c '^mtrace-report top:' "$T/out")" = 1 ] || fail "want one report (the last)"
    has "total: 22.7 KiB in 54 allocations; 12.3 KiB in 27 blocks still live"
    # the series comes before the report
    [ "$(grep -n '^mtrace-report' "$T/out" | cut -d: -f1 | tr '\n' ' ')" = "1 $(grep -n '^mtrace-report top' "$T/out" | cut -d: -f1) " ] || fail "order of sections"
    ok leaks --stack-depth 0 --include-file srv.py "$S0" "$S3"
    has "mtrace-report series: 2 snapshots of pid 5000, /usr/bin/series-prog"
    grep -E '^ +\+' "$T/out" | sed -E 's/ +/ /g' >"$T/growth"
    printf '%s\n' " +3.9 KiB +4 blocks changed /app/srv.py:10" " +500 B +3 blocks changed /app/srv.py:40" \
        | diff - "$T/growth" >&2 || fail "filtered growth lines"
    has "mtrace-report leaks: by line, sorted by live (last snapshot)"
    ok top --include-file nothing.py "$S0" "$S3"
    has "  no site grew"
    ;;
series_json)
    ok top --format json -n 3 "$S3" "$S2" "$S0" "$S1"
    pycheck 'eq(type(j), dict)
eq([(p["sequence"], p["reason"], p["elapsed_ns"], p["current_bytes"], p["current_change"]) for p in j["series"]],
   [(0, "signal", 0, 7000, None), (1, "timer", 1500000000, 8524, 1524),
    (2, "api", 1500000000, 9648, 1124), (3, "exit", 4250000000, 12548, 2900)])
eq([(p["file"].split("/")[-1], p["time_ns"], p["peak_bytes"], p["rss_bytes"]) for p in j["series"]],
   [("series0.snap", 1700000100000000000, 8000, 10 << 20), ("series1.snap", 1700000101500000000, 9000, 11 << 20),
    ("series2.snap", 1700000101500000000, 10000, 12 << 20), ("series3.snap", 1700000104250000000, 13548, 16 << 20)])
eq(j["growth_metric"], "live")
eq([(g["key"], g["status"], g["size"], g["size_diff"], g["count"], g["count_diff"]) for g in j["growth"]],
   [("/app/srv.py:10", "changed", 5000, 4000, 6, 4), ("/app/db.py:5", "new", 2500, 2500, 5, 5),
    ("%s:%s" % (SRC, E["LINE_C"]), "new", 2048, 2048, 1, 1)])
eq(j["growth"][0]["stack"][0]["function"], "handle")
eq([s["sequence"] for s in j["snapshots"]], [3]); eq(j["totals"]["alloc_bytes"], 23196)
eq(len(j["rows"]), 3); eq(j["rows"][0]["key"], "/app/srv.py:10")'
    ok top --format json --group-by file "$S0" "$S3"
    pycheck 'eq([(g["key"], g["size_diff"], g["count_diff"]) for g in j["growth"]],
   [(SRC, 2548, 2), ("/app/db.py", 2500, 5), ("/app/srv.py", 2500, 5)])'
    ;;
series_not)
    # different processes (pid), or same pid but another program: one report each
    ok top --format json "$S0" "$SCHILD"
    pycheck 'eq(type(j), list); eq([x["snapshots"][0]["pid"] for x in j], [5000, 5001]); assert all("series" not in x for x in j)'
    ok top --format json "$S3" "$SOTHER"
    pycheck 'eq(type(j), list); eq(len(j), 2); assert all("series" not in x for x in j)'
    ok top --stack-depth 0 "$S0" "$SCHILD"
    grep -q "^mtrace-report series" "$T/out" && fail "series for two processes"
    [ "$(grep -c '^mtrace-report top:' "$T/out")" = 2 ] || fail "want two sections"
    # --merge sums instead
    ok top --format json --merge "$S0" "$S3"
    pycheck 'eq(type(j), dict); assert "series" not in j; eq(j["totals"]["alloc_bytes"], 10400 + 23196)'
    # one snapshot: no series
    ok top --format json "$S3"
    pycheck 'assert "series" not in j'
    ;;
py_stack)
    # the Python traceback: interpreter frames (by module name) and wrappers
    # hidden, the C extension frame (f_a) kept, S1 and S2 merged
    okpy top --format json --group-by stack -n 0 "$PY1"
    pycheck "$PYSTACKS"'
rows = j["rows"]
eq([(r["key"], cnt(r)) for r in rows[:2]], [(K1, (5000,5,3000,3,4000,4)), (K3, (3000,3,3000,3,3000,3))])
eq([(r["key"], cnt(r)) for r in rows[3:]], [(K6, (600,2,300,1,300,1)), (K5, (500,5,0,0,100,1))])
eq(frames(rows[0]), [P("Builder.build", 12)] + TB)
eq(frames(rows[1]), [("f_a", SRC, int(E["LINE_A"]), False), P("Builder.extend", 20)] + TB)
eq(base(rows[1]["stack"][0]), E["FIXTURE_EXE"].split("/")[-1])
eq(frames(rows[4]), [P("pad", 5, "/app/util.py"), P("Builder.build", 14)] + TB)
eq([(r["function"], r["file"], r["line"]) for r in rows[:2]], [("Builder.build", "/app/app.py", 12), ("Builder.extend", "/app/app.py", 20)])
eq([interp(r) for r in rows], [[]] * 5, "no interpreter frames")
# the native-only stack as before: every frame, the libc wrapper included
assert rows[2]["key"].endswith(K4_TAIL), rows[2]["key"]
eq(cnt(rows[2]), (2048,2,1024,1,1024,1)); eq(rows[2]["function"], "f_c")
eq(base(rows[2]["stack"][0]), "libc.so.6"); eq(len(rows[2]["stack"]), 3)
eq((j["totals"]["alloc_bytes"], j["totals"]["live_bytes"], j["totals"]["rows"]), (11148, 7324, 5))'
    okpy top --group-by stack -n 0 "$PY1"
    has_re "^ +4\.9 KiB +5 +2\.9 KiB +3 +44\.9% +/app/app\.py:12$"
    has_re "^ +2\.9 KiB +3 +2\.9 KiB +3 +26\.9% +/app/app\.py:20$"
    grep -A2 -E "% +/app/app\.py:20$" "$T/out" | tail -2 >"$T/frames"
    printf '%s\n' "      f_a  $SRC:$LINE_A" "      Builder.extend  /app/app.py:20" | diff - "$T/frames" >&2 \
        || fail "C extension frame above the Python frames"
    has "      <module>  /app/app.py:33"
    grep -qE "python3\.11(\.so\.1\.0)?\+0x" "$T/out" && fail "interpreter frames shown"
    ;;
py_native)
    # --native: every frame, keyed by every frame (S1 and S2 apart)
    okpy top --format json --group-by stack --native -n 0 "$PY1"
    pycheck "$PYSTACKS"'
rows = j["rows"]
eq([cnt(r)[0] for r in rows], [4000, 3000, 2048, 1000, 600, 500])
assert rows[0]["key"].endswith("python3.11+0x1000 <- python3.11+0x2000 <- " + K1), rows[0]["key"]
assert rows[3]["key"].endswith("python3.11+0x1100 <- libpython3.11.so.1.0+0x3000 <- " + K1), rows[3]["key"]
assert rows[1]["key"].endswith("f_a %s <- libpython3.11.so.1.0+0x3100 <- Builder.extend /app/app.py:20%s" % (L("LINE_A"), OUTER)), rows[1]["key"]
eq([(base(f), f["function"], f["python"]) for f in interp(rows[0])], [("python3.11", None, False)] * 2)
eq(frames(rows[0])[3:], [P("Builder.build", 12)] + TB)
eq(base(rows[0]["stack"][0]), "libc.so.6")
eq((rows[0]["function"], rows[0]["module"].split("/")[-1], rows[0]["line"]), (None, "python3.11", None))  # the native site
eq(rows[1]["function"], "f_a")'
    okpy top --group-by stack --native -n 0 "$PY1"
    has "      python3.11+0x1000"
    has "      libpython3.11.so.1.0+0x3100"
    # by line: the native site, merging what shares it; every frame listed
    okpy top --format json --native -n 0 "$PY1"
    pycheck "$PYSTACKS"'eq([(r["key"], cnt(r)[:2]) for r in j["rows"]],
   [("python3.11+0x1000", (4500, 9)), (L("LINE_A"), (3000, 3)), (L("LINE_C"), (2048, 2)),
    ("python3.11+0x1100", (1000, 1)), ("python3.11+0x1200", (600, 2))])
r = j["rows"]
eq(base(r[0]["stack"][0]), "libc.so.6"); eq(len(r[0]["stack"]), 6)
eq([(base(f), f["python"]) for f in interp(r[0])], [("python3.11", False)] * 2)
eq(frames(r[0])[3:], [P("Builder.build", 12)] + TB)
eq(frames(r[1])[1], ("f_a", SRC, int(E["LINE_A"]), False))
eq([base(f) for f in interp(r[1])], ["libpython3.11.so.1.0"])'
    okpy top --native -n 0 "$PY1"
    grep -A3 -E "% +python3\.11\+0x1000$" "$T/out" | tail -3 >"$T/frames"
    printf '%s\n' "      python3.11+0x1000" "      python3.11+0x2000" "      Builder.build  /app/app.py:12" \
        | diff - "$T/frames" >&2 || fail "--native by line: every frame from the first non-wrapper"
    has "      libpython3.11.so.1.0+0x3100"
    okpy top --format json --native --group-by function -n 0 "$PY1"
    pycheck "$PYSTACKS"'eq(sum(len(interp(r)) for r in j["rows"]), 6)'
    ;;
py_group)
    # by line: the innermost Python line; a native-only stack by its native line
    okpy top --format json -n 0 "$PY1"
    pycheck "$PYSTACKS"'
eq([(r["key"], cnt(r)) for r in j["rows"]],
   [("/app/app.py:12", (5000,5,3000,3,4000,4)), ("/app/app.py:20", (3000,3,3000,3,3000,3)),
    (L("LINE_C"), (2048,2,1024,1,1024,1)), ("/app/app.py:13", (600,2,300,1,300,1)),
    ("/app/util.py:5", (500,5,0,0,100,1))])
r = j["rows"]
eq((r[0]["function"], r[0]["file"], r[0]["line"], r[0]["module"]), ("Builder.build", "/app/app.py", 12, None))
eq((r[2]["function"], r[2]["file"], r[2]["line"], r[2]["module"]), ("f_c", SRC, int(E["LINE_C"]), E["FIXTURE_EXE"]))
# each Python row lists its Python traceback, as under --group-by stack:
# interpreter frames and the wrapper hidden, the C extension frame (f_a) kept
eq([frames(x) for x in r[:2]], [[P("Builder.build", 12)] + TB,
   [("f_a", SRC, int(E["LINE_A"]), False), P("Builder.extend", 20)] + TB])
eq(base(r[1]["stack"][0]), E["FIXTURE_EXE"].split("/")[-1])
eq(frames(r[3]), [P("Builder.build", 13)] + TB)
eq(frames(r[4]), [P("pad", 5, "/app/util.py"), P("Builder.build", 14)] + TB)
eq([interp(x) for x in r], [[]] * 5, "no interpreter frames")
# the native-only stack as before: every frame, the libc wrapper included
eq(base(r[2]["stack"][0]), "libc.so.6"); eq(len(r[2]["stack"]), 3)'
    okpy top -n 0 "$PY1"
    has_re "^ +4\.9 KiB +5 +2\.9 KiB +3 +44\.9% +/app/app\.py:12$"
    has_re "^ +2\.0 KiB +2 +1\.0 KiB +1 +18\.4% +${SRC//./\\.}:$LINE_C$"
    grep -A1 -E "% +/app/app\.py:12$" "$T/out" | tail -1 >"$T/frames"
    printf '%s\n' "      Builder.build  /app/app.py:12" | diff - "$T/frames" >&2 \
        || fail "Python frame first under a Python line"
    grep -A2 -E "% +/app/app\.py:20$" "$T/out" | tail -2 >"$T/frames"
    printf '%s\n' "      f_a  $SRC:$LINE_A" "      Builder.extend  /app/app.py:20" | diff - "$T/frames" >&2 \
        || fail "C extension frame above the Python frames"
    grep -A1 -E "% +${SRC//./\\.}:$LINE_C$" "$T/out" | tail -1 >"$T/frames"
    printf '%s\n' "      f_c  $SRC:$LINE_C" | diff - "$T/frames" >&2 || fail "native-only row changed"
    has "      <module>  /app/app.py:33"
    grep -qE "python3\.11(\.so\.1\.0)?\+0x" "$T/out" && fail "interpreter frames shown"
    # by function: QUALNAME (FILE.py); by file: the .py file; both list the traceback
    okpy top --format json --group-by function -n 0 "$PY1"
    pycheck "$PYSTACKS"'eq([(r["key"], cnt(r)) for r in j["rows"]],
   [("Builder.build (/app/app.py)", (5600,7,3300,4,4300,5)), ("Builder.extend (/app/app.py)", (3000,3,3000,3,3000,3)),
    ("f_c", (2048,2,1024,1,1024,1)), ("pad (/app/util.py)", (500,5,0,0,100,1))])
r = j["rows"]
eq([frames(x) for x in r[:2]], [[P("Builder.build", 12)] + TB,
   [("f_a", SRC, int(E["LINE_A"]), False), P("Builder.extend", 20)] + TB])
eq([interp(x) for x in r], [[]] * 4); eq(base(r[2]["stack"][0]), "libc.so.6")'
    okpy top --format json --group-by file -n 0 "$PY1"
    pycheck "$PYSTACKS"'eq([(r["key"], cnt(r)) for r in j["rows"]],
   [("/app/app.py", (8600,10,6300,7,7300,8)), (SRC, (2048,2,1024,1,1024,1)), ("/app/util.py", (500,5,0,0,100,1))])
r = j["rows"]
eq(frames(r[0]), [P("Builder.build", 12)] + TB)
eq(frames(r[2]), [P("pad", 5, "/app/util.py"), P("Builder.build", 14)] + TB)
eq([interp(x) for x in r], [[]] * 3); eq(len(r[1]["stack"]), 3)'
    okpy top --group-by function -n 0 "$PY1"
    has_re "^ +5\.5 KiB +7 +3\.2 KiB +4 +50\.2% +Builder\.build \(/app/app\.py\)$"
    grep -A2 -E "% +Builder\.extend \(/app/app\.py\)$" "$T/out" | tail -2 >"$T/frames"
    printf '%s\n' "      f_a  $SRC:$LINE_A" "      Builder.extend  /app/app.py:20" | diff - "$T/frames" >&2 \
        || fail "C extension frame above the Python frames (by function)"
    grep -qE "python3\.11(\.so\.1\.0)?\+0x" "$T/out" && fail "interpreter frames shown"
    okpy top --group-by file -n 0 "$PY1"
    grep -qE "python3\.11(\.so\.1\.0)?\+0x" "$T/out" && fail "interpreter frames shown"
    has "      pad  /app/util.py:5"
    ;;
py_diff)
    # OLD has S1 and S2' (other interpreter frames): one group with NEW's S1 and S2
    okpy diff --format json --group-by stack -n 0 "$PY0" "$PY1"
    pycheck "$PYSTACKS$DIFF_LIVE"'
eq(drows(j["rows"]), [(K3, "new", 3000, 3000, 3, 3, 0, 0), (K1, "changed", 3000, 1500, 3, 1, 1500, 2),
                      (K6, "new", 300, 300, 1, 1, 0, 0), (K5, "gone", 0, -200, 0, -2, 200, 2)])
eq(dtot(), (7324, 4600, 8, 3, 2724, 5, 4, 1))
eq(frames(j["rows"][0]), [("f_a", SRC, int(E["LINE_A"]), False), P("Builder.extend", 20)] + TB)
eq(frames(j["rows"][3]), [P("pad", 5, "/app/util.py"), P("Builder.build", 14)] + TB)  # gone: OLD stack
eq([interp(r) for r in j["rows"]], [[]] * 4)'
    okpy diff --group-by stack "$PY0" "$PY1"
    has_re "^ *2\.9 KiB +\+1\.5 KiB +3 +\+1 +changed +"
    has "      f_a  $SRC:$LINE_A"
    grep -qE "python3\.11(\.so\.1\.0)?\+0x" "$T/out" && fail "interpreter frames shown"
    # --native: S1, S2 and S2' apart
    okpy diff --format json --group-by stack --native -n 0 "$PY0" "$PY1"
    pycheck "$PYSTACKS$DIFF_LIVE"'
eq(sorted((r["status"], r["size_diff"]) for r in j["rows"]),
   [("changed", 1000), ("gone", -500), ("gone", -200), ("new", 300), ("new", 1000), ("new", 3000)])
eq(dtot()[6:], (6, 1))'
    # by line
    okpy diff --format json -n 0 "$PY0" "$PY1"
    pycheck "$PYSTACKS$DIFF_LIVE"'eq(drows(j["rows"]), [("/app/app.py:20", "new", 3000, 3000, 3, 3, 0, 0),
    ("/app/app.py:12", "changed", 3000, 1500, 3, 1, 1500, 2), ("/app/app.py:13", "new", 300, 300, 1, 1, 0, 0),
    ("/app/util.py:5", "gone", 0, -200, 0, -2, 200, 2)])
eq(frames(j["rows"][0]), [("f_a", SRC, int(E["LINE_A"]), False), P("Builder.extend", 20)] + TB)
eq(frames(j["rows"][1]), [P("Builder.build", 12)] + TB)
eq(frames(j["rows"][3]), [P("pad", 5, "/app/util.py"), P("Builder.build", 14)] + TB)  # gone: OLD stack
eq([interp(r) for r in j["rows"]], [[]] * 4)'
    okpy diff -n 0 "$PY0" "$PY1"
    has "      f_a  $SRC:$LINE_A"
    grep -qE "python3\.11(\.so\.1\.0)?\+0x" "$T/out" && fail "interpreter frames shown"
    okpy diff --native -n 0 "$PY0" "$PY1"
    has "      python3.11+0x1300"
    ;;
py_commands)
    okpy leaks --format json --group-by stack -n 0 "$PY1"
    pycheck "$PYSTACKS"'eq([r["key"] for r in j["rows"]][:2], [K1, K3]); assert j["rows"][2]["key"].endswith(K4_TAIL)
eq([r["key"] for r in j["rows"]][3:], [K6]); eq((j["totals"]["live_bytes"], j["totals"]["live_count"]), (7324, 8))'
    okpy peak --format json --group-by stack -n 0 "$PY1"
    pycheck "$PYSTACKS"'eq([r["key"] for r in j["rows"] if "f_c" not in r["key"]], [K1, K3, K6, K5])
eq([cnt(r)[4] for r in j["rows"]], [4000, 3000, 1024, 300, 100])'
    okpy leaks --group-by stack "$PY1"
    grep -qE "python3\.11(\.so\.1\.0)?\+0x" "$T/out" && fail "interpreter frames shown"
    has "7,324 bytes in 8 blocks still allocated"
    # the series: growth by stack, keys and stacks of the traceback view
    okpy top --format json --group-by stack "$PY1" "$PY0"
    pycheck "$PYSTACKS"'eq([(g["key"], g["status"], g["size_diff"]) for g in j["growth"]],
   [(K3, "new", 3000), (K1, "changed", 1500), (K6, "new", 300)])
eq(frames(j["growth"][0]), [("f_a", SRC, int(E["LINE_A"]), False), P("Builder.extend", 20)] + TB)
eq([s["sequence"] for s in j["series"]], [0, 1]); eq(j["rows"][0]["key"], K1)'
    # by line (the default): rows and growth list the traceback too
    okpy leaks --format json -n 0 "$PY1"
    pycheck "$PYSTACKS"'eq(keys()[:2], ["/app/app.py:12", "/app/app.py:20"])
eq(frames(j["rows"][1]), [("f_a", SRC, int(E["LINE_A"]), False), P("Builder.extend", 20)] + TB)
eq([interp(r) for r in j["rows"]], [[]] * 4)'
    okpy peak -n 0 "$PY1"
    has "      f_a  $SRC:$LINE_A"
    grep -qE "python3\.11(\.so\.1\.0)?\+0x" "$T/out" && fail "interpreter frames shown"
    okpy leaks "$PY1"
    grep -qE "python3\.11(\.so\.1\.0)?\+0x" "$T/out" && fail "interpreter frames shown"
    okpy top --format json "$PY1" "$PY0"
    pycheck "$PYSTACKS"'eq([(g["key"], g["status"], g["size_diff"]) for g in j["growth"]],
   [("/app/app.py:20", "new", 3000), ("/app/app.py:12", "changed", 1500), ("/app/app.py:13", "new", 300)])
eq(frames(j["growth"][0]), [("f_a", SRC, int(E["LINE_A"]), False), P("Builder.extend", 20)] + TB)
eq(frames(j["growth"][1]), [P("Builder.build", 12)] + TB)
eq([interp(x) for x in j["growth"] + j["rows"]], [[]] * 8)'
    okpy top --group-by function "$PY0" "$PY1"
    grep -qE "python3\.11(\.so\.1\.0)?\+0x" "$T/out" && fail "interpreter frames shown"
    okpy top --group-by stack --stack-depth 0 "$PY0" "$PY1"
    has "mtrace-report series: 2 snapshots of pid 6000, /usr/bin/python3.11"
    has_re "^ +\+1\.5 KiB +\+1 blocks +changed +Builder\.build /app/app\.py:12 <- main /app/app\.py:30 <- <module> /app/app\.py:33$"
    ;;
leaks_classes)
    runl 0 leaks "$LK"
    has "mtrace-report leaks: by line, sorted by lost"
    has "  leak scan done: 3 threads scanned in 12 ms"
    has_re "^DEFINITE +INDIRECT +POSSIBLE +REACHABLE +BLOCKS +% +SITE$"
    has_re "^ +100 B +300 B +0 B +64 B +5 +68\.7% +${SRC//./\\.}:$LINE_A$"
    has_re "^ +70 B +0 B +0 B +0 B +1 +12\.0% +/app/app\.py:5$"
    has_re "^ +30 B +0 B +2\.0 KiB +0 B +3 +5\.2% +${SRC//./\\.}:$LINE_C$"
    has "2,694 bytes in 12 blocks still allocated"
    has "LEAK SUMMARY:"
    has "  definitely lost: 282 bytes in 6 blocks"
    has "  indirectly lost: 300 bytes in 3 blocks"
    has "    possibly lost: 2,048 bytes in 2 blocks"
    has "  still reachable: 64 bytes in 1 blocks"
    # the first row's order: by lost bytes; --sort live puts f_c's 2 KiB first
    runl 0 leaks --sort live "$LK"
    has "sorted by live"
    grep -m1 -E '[0-9]%  ' "$T/out" | grep -qF "$SRC:$LINE_C" || fail "--sort live: first row"
    runl 0 leaks --group-by stack -n 1 "$LK"
    has "showing 1 of 7 sites"
    runl 0 leaks "$LKPART"
    has "  leak scan partial: 1 thread could not be scanned: lost blocks are counted as possibly lost (2 scanned in 5 ms)"
    has_re "^ +0 B +0 B +400 B +0 B +4 +- +"
    runl 0 leaks "$LKNOSCAN"
    has "  leak scan not run: blocks still allocated when the snapshot was taken, without classes"
    has_re "^ *LIVE +BLOCKS +ALLOCATED +ALLOCS +% +SITE$"
    grep -q "LEAK SUMMARY" "$T/out" && fail "summary without classes"
    has "400 bytes in 4 blocks still allocated"
    # top and peak: columns as before, no scan line
    runl 0 top "$LK"
    has_re "^ *ALLOCATED +ALLOCS +LIVE +LIVE# +% +SITE$"
    grep -q "leak scan" "$T/out" && fail "scan line in top"
    ;;
leaks_json)
    runl 0 leaks --format json -n 0 "$LK"
    pycheck "$LEAKS"'
eq(j["leak_classes"], True); eq(j["sort"], "lost")
s = j["snapshots"][0]
eq((s["leak_scan"], s["leak_threads"], s["leak_threads_missed"], s["leak_scan_ms"]), ("done", 3, 0, 12))
eq(keys(), [LA, "/app/app.py:5", "/app/app.py:1", "ld-linux-x86-64.so.2+0x20", LC])
eq([cls(r) for r in j["rows"]], [C(d=(1, 100), i=(3, 300), r=(1, 64)), C(d=(1, 70)), C(d=(1, 50)),
                                 C(d=(2, 32)), C(d=(1, 30), p=(2, 2048))])
eq(cls(j["totals"]), C(d=(6, 282), i=(3, 300), p=(2, 2048), r=(1, 64)))
eq((j["totals"]["live_bytes"], j["totals"]["live_count"]), (2694, 12))'
    runl 0 leaks --format json --sort lost-count -n 0 "$LK"
    pycheck "$LEAKS"'eq(j["sort"], "lost-count"); eq(keys()[:2], [LA, "ld-linux-x86-64.so.2+0x20"])'
    runl 0 top --format json --include-file app.py "$LK"
    pycheck "$LEAKS"'eq(j["leak_classes"], True); eq(cls(j["filters"]["kept"]), C(d=(2, 120)))'
    ok leaks --format json "$G"
    pycheck '
eq(j["leak_classes"], False); eq(j["snapshots"][0]["leak_scan"], "none")
eq(j["totals"]["leaks"], None); eq([r["leaks"] for r in j["rows"]], [None] * len(j["rows"]))'
    runl 0 leaks --format json "$LKPART"
    pycheck 'eq((j["snapshots"][0]["leak_scan"], j["snapshots"][0]["leak_threads_missed"]), ("partial", 1))'
    # a merged report of a scanned and an unscanned snapshot carries classes
    runl 0 leaks --format json --merge "$LK" "$LKNOSCAN"
    pycheck "$LEAKS"'eq(j["leak_classes"], True); eq([s["leak_scan"] for s in j["snapshots"]], ["done", "none"])'
    ;;
leaks_old)
    # good.snap has the first writers' 168-byte header: no leak fields
    ok dump "$G"
    has "  version 1  header_size 168"
    has "  leak_scan 0 (none)  leak_threads 0  leak_threads_missed 0  leak_scan_ms 0"
    grep -q "^leaks " "$T/out" && fail "leaks listed without a scan"
    ok leaks "$G"
    has "  leak scan not run: blocks still allocated at exit, without classes"
    has "4,637 bytes in 7 blocks still allocated"
    ;;
dump_leaks)
    ok dump "$LK"
    has "  version 1  header_size 264"
    has "  leak_scan 1 (done)  leak_threads 3  leak_threads_missed 0  leak_scan_ms 12"
    has_re "^  \[4\] kind 5 \(leaks\)  entry_size 72  offset [0-9]+  count 7$"
    has "leaks 7"
    has "  [0] stack 0  definite 100 bytes / 1  indirect 300 bytes / 3  possible 0 bytes / 0  reachable 0 bytes / 0"
    has "  [6] stack 7  definite 30 bytes / 1  indirect 0 bytes / 0  possible 0 bytes / 0  reachable 0 bytes / 0"
    ;;
check_exit)
    runl 1 check "$LK"
    runl 1 check --max-leaked-bytes 500 "$LK"                    # 6 blocks > 0
    runl 0 check --max-leaked-bytes 500 --max-leaked-blocks 6 "$LK"
    runl 1 check --max-leaked-bytes 499 --max-leaked-blocks 6 "$LK"
    runl 1 check --max-leaked-bytes 1K --max-leaked-blocks 5 "$LK"
    runl 0 check --max-leaked-bytes 1K --max-leaked-blocks 100 "$LK"
    runl 0 check "$LKCLEAN"                                      # built-ins and reachable only
    runl 1 check --no-default-suppressions "$LKCLEAN"
    runl 1 check --classes reachable "$LKCLEAN"
    run check "$LKPART"                                          # possibly lost only
    [ "$RC" = 0 ] || fail "partial: exit $RC"
    grep -qF "mtrace-report: warning: $LKPART: partial leak scan (1 thread not scanned): its lost blocks count as possibly lost, which this gate does not count (--classes possible does)" "$T/err" \
        || fail "partial: $(cat "$T/err")"
    runl 1 check --classes possible "$LKPART"
    runl 1 check "$LK" "$LKCHILD"
    runl 0 check --max-leaked-bytes 1500 --max-leaked-blocks 7 "$LK" "$LKCHILD"
    runl 1 check --max-leaked-bytes 1499 --max-leaked-blocks 7 "$LK" "$LKCHILD"
    fails 2 "$LKNOSCAN: no leak classes: it was not written at exit" check "$LKNOSCAN"
    fails 2 "$G: no leak classes: the heap was not scanned at exit (MTRACE_LEAK_SCAN=0" check "$G"
    fails 2 "$LKNOSCAN: no leak classes" check "$LK" "$LKNOSCAN"
    fails 2 "$D/bad_magic.snap: not an mtrace snapshot" check "$D/bad_magic.snap"
    fails 2 "$D/bad_leaks_dup.snap: leak entry 1: stack" check "$LK" "$D/bad_leaks_dup.snap"
    fails 2 "$T/none.supp: No such file or directory" check --suppressions "$T/none.supp" "$LK"
    printf 'leak:ok\nbroken line\n' >"$T/bad.supp"
    fails 2 "mtrace-report: $T/bad.supp:2: expected TYPE:PATTERN" check --suppressions "$T/bad.supp" "$LK"
    fails 2 "$D: Is a directory" check --suppressions "$D" "$LK"
    # huge counters saturate instead of wrapping
    runl 1 check --format json "$D/huge_leak.snap"
    pycheck 'M = 2**64 - 1; eq((j["totals"]["leaked_bytes"], j["totals"]["leaked_blocks"]), (M, M))'
    ;;
check_table)
    runl 1 check "$LK"
    has "mtrace-report check: definitely and indirectly lost, by stack"
    has "  leak scan done: 3 threads scanned in 12 ms"
    has_re "^  suppress  built-in \([0-9]+ patterns\)$"
    has "#1 400 bytes in 4 blocks at $SRC:$LINE_A"
    has "   definitely lost 100 bytes in 1 block; indirectly lost 300 bytes in 3 blocks"
    has "#2 70 bytes in 1 block at /app/app.py:5"
    has "#3 30 bytes in 1 block at $SRC:$LINE_C"
    # the C extension's frame above the traceback, interpreter frames hidden
    grep -A4 -F "#2 70 bytes" "$T/out" | tail -3 >"$T/frames"
    printf '%s\n' "      f_a  $SRC:$LINE_A" "      Builder.make  /app/app.py:5" "" | diff - "$T/frames" >&2 \
        || fail "stack of #2"
    grep -A3 -F "#1 400 bytes" "$T/out" | tail -2 >"$T/frames"
    printf '%s\n' "      f_a  $SRC:$LINE_A" "      main  $SRC:$LINE_MAIN_A" | diff - "$T/frames" >&2 \
        || fail "stack of #1"
    has "Suppressions used:"
    has_re "^ +count +bytes +template$"
    has_re "^ +1 +50 +module:python3\* \(site frame\)  \(built-in: CPython"
    has_re "^ +2 +32 +module:ld-linux\*  \(built-in: "
    has "suppressed: 82 bytes in 3 blocks"
    has "  definitely lost: 200 bytes in 3 blocks"
    has "SUMMARY: 500 byte(s) leaked in 6 allocation(s)."
    has "thresholds: at most 0 bytes and 0 blocks (--max-leaked-bytes, --max-leaked-blocks)"
    has "FAIL: definitely and indirectly lost: 500 bytes in 6 blocks, over the thresholds"
    [ "$(tail -1 "$T/out")" = "FAIL: definitely and indirectly lost: 500 bytes in 6 blocks, over the thresholds" ] \
        || fail "FAIL is not the last line"
    runl 1 check -n 1 --stack-depth 1 "$LK"
    has "showing 1 of 3 groups (-n 0 shows all)"
    has "      … 1 more frames"
    grep -qF "#2 " "$T/out" && fail "-n 1 shows two groups"
    runl 1 check "$LK" "$LKCHILD"
    has "#1 1,400 bytes in 5 blocks at $SRC:$LINE_A"
    has "  snapshot  $LKCHILD"
    has "            /usr/bin/leak-prog  pid 7001 (forked from 7000); leak scan done: 1 thread scanned in 1 ms"
    has "FAIL: definitely and indirectly lost: 1,500 bytes in 7 blocks in 2 snapshots, over the thresholds"
    runl 0 check "$LKCLEAN"
    has "no leaks in the gated classes"
    has "SUMMARY: 0 byte(s) leaked in 0 allocation(s)."
    has "PASS: definitely and indirectly lost: 0 bytes in 0 blocks, within the thresholds"
    runl 0 check --max-leaked-bytes 2K --max-leaked-blocks 10 "$LK"
    has "thresholds: at most 2,048 bytes and 10 blocks"
    has "PASS: definitely and indirectly lost: 500 bytes in 6 blocks, within the thresholds"
    runl 1 check --classes possible,definite --group-by line "$LK"
    has "mtrace-report check: definitely and possibly lost, by line"
    has "#1 2,078 bytes in 3 blocks at $SRC:$LINE_C"
    has "   definitely lost 30 bytes in 1 block; possibly lost 2,048 bytes in 2 blocks"
    runl 1 check --classes reachable,definite "$LK"
    has "mtrace-report check: definitely lost and still reachable, by stack"
    COLUMNS=60 runl 1 check "$LK"
    "$PY" -c 'import sys; m = max(len(l) for l in open(sys.argv[1], encoding="utf-8").read().splitlines()); sys.exit(m > 60)' "$T/out" \
        || { cat "$T/out" >&2; fail "lines over 60 columns"; }
    ;;
check_json)
    runl 1 check --format json "$LK"
    pycheck "$LEAKS"'
eq((j["mtrace_report"], j["command"], j["mode"], j["group_by"], j["limit"]), (1, "check", "leaks", "stack", 10))
eq(j["classes"], ["definite", "indirect"]); eq(j["thresholds"], {"max_leaked_bytes": 0, "max_leaked_blocks": 0})
eq((j["suppression_files"], j["default_suppressions"], j["filters"]), ([], True, None))
t = j["totals"]
eq((t["leaked_bytes"], t["leaked_blocks"], t["groups"], t["live_bytes"], t["live_count"]), (500, 6, 3, 2612, 9))
eq(cls(t), C(d=(3, 200), i=(3, 300), p=(2, 2048), r=(1, 64)))
eq(j["suppressed"], {"stacks": 2, "blocks": 3, "bytes": 82})
eq([(u["type"], u["pattern"], u["file"], u["line"], u["stacks"], u["blocks"], u["bytes"]) for u in j["suppressions_used"]],
   [("builtin", "module:python3* (site frame)", None, None, 1, 1, 50),
    ("builtin", "module:ld-linux*", None, None, 1, 2, 32)])
assert all(u["reason"] for u in j["suppressions_used"])
g = j["groups"]
eq([(x["bytes"], x["blocks"]) for x in g], [(400, 4), (70, 1), (30, 1)])
eq([x["function"] for x in g], ["f_a", "Builder.make", "f_c"])
eq(cls(g[0]), C(d=(1, 100), i=(3, 300)))
eq([(f["function"], f["python"]) for f in g[1]["stack"]], [("f_a", False), ("Builder.make", True)])
assert ("f_a %s <- main " % LA) in g[0]["key"], g[0]["key"]
eq(j["summary"], "SUMMARY: 500 byte(s) leaked in 6 allocation(s)."); eq(j["result"], "fail")
eq(j["snapshots"][0]["leak_scan"], "done")'
    printf '# user file\nleak:Builder.make\n' >"$T/u.supp"
    runl 0 check --format json --suppressions "$T/u.supp" --max-leaked-bytes 430 --max-leaked-blocks 5 \
        --exclude-module 'ld-linux*' "$LK"
    pycheck "$LEAKS"'
eq(j["result"], "pass"); eq(j["suppression_files"], [E["T"] + "/u.supp"])
eq([(u["type"], u["pattern"], u["file"], u["line"], u["blocks"], u["bytes"]) for u in j["suppressions_used"]],
   [("leak", "Builder.make", E["T"] + "/u.supp", 2, 1, 70),
    ("builtin", "module:python3* (site frame)", None, None, 1, 50)])
eq((j["totals"]["leaked_bytes"], j["totals"]["leaked_blocks"]), (430, 5))
eq(j["filters"]["exclude_module"], ["ld-linux*"]); eq(j["thresholds"]["max_leaked_bytes"], 430)'
    runl 0 check --format json "$LKCLEAN"
    pycheck 'eq((j["result"], j["groups"], j["totals"]["leaked_bytes"]), ("pass", [], 0))'
    ;;
check_junit)
    runl 1 check --junit "$T/junit.xml" "$LK" "$LKCLEAN"
    has "FAIL: "
    xmlcheck '
eq(t.tag, "testsuites"); eq((t.get("tests"), t.get("failures")), ("2", "1"))
s = t.findall("testsuite"); eq(len(s), 1); s = s[0]
eq((s.get("name"), s.get("tests"), s.get("failures"), s.get("errors")), ("mtrace leak check", "2", "1", "0"))
c = s.findall("testcase")
eq([x.get("name") for x in c], ["leak-prog pid 7000 (%s/leak.snap)" % E["D"], "leak-prog pid 7004 (%s/leak_clean.snap)" % E["D"]])
eq([x.get("classname") for x in c], ["mtrace.check"] * 2)
f = c[0].find("failure"); eq(c[1].find("failure"), None)
eq(f.get("message"), "SUMMARY: 500 byte(s) leaked in 6 allocation(s).")
assert "#1 400 bytes in 4 blocks at %s:%s" % (E["FIXTURE_SRC"], E["LINE_A"]) in f.text, f.text
assert "Builder.make  /app/app.py:5" in f.text and f.text.rstrip().endswith("over the thresholds"), f.text'
    # a passing gate: no failure, whatever a snapshot holds
    runl 0 check --max-leaked-bytes 1K --max-leaked-blocks 100 --junit "$T/junit.xml" "$LK"
    xmlcheck 'eq(t.get("failures"), "0"); eq(t.find("testsuite/testcase").find("failure"), None)'
    # names and stacks from the program: escaped, characters XML cannot carry replaced
    runl 1 check --junit "$T/junit.xml" "$LKHOSTILE"
    xmlcheck '
f = t.find("testsuite/testcase/failure")
eq(f.get("message"), "SUMMARY: 16 byte(s) leaked in 1 allocation(s).")
assert "/app/<x>&\"\x27" in f.text and "\ufffd" in f.text and "]]>" in f.text, repr(f.text)
assert "\x01" not in f.text and "\x1b" not in f.text and "\ufffe" not in f.text, repr(f.text)'
    runl 1 check --format json "$LKHOSTILE"
    pycheck 'eq(j["groups"][0]["function"], "evil<&>\x7f")'
    # the growth gate writes one test case
    runl 1 check --max-growth 1K --junit "$T/junit.xml" "$S0" "$S3"
    xmlcheck 'c = t.find("testsuite/testcase"); eq(t.get("failures"), "1")
assert c.get("name").startswith("live bytes growth "), c.get("name")
assert c.find("failure").get("message").startswith("live bytes grew by more than 1024 bytes"), c.find("failure").get("message")'
    run check --junit /nonexistent/dir/j.xml "$LKCLEAN"
    [ "$RC" = 2 ] || fail "unwritable JUnit file: exit $RC"
    grep -qF "mtrace-report: /nonexistent/dir/j.xml: cannot write the JUnit file: No such file or directory" "$T/err" \
        || fail "unwritable JUnit file: $(cat "$T/err")"
    ;;
check_suppress)
    # each kind of pattern, and a suppressed leak does not fail check
    sup() { printf '%s\n' "$@" >"$T/s.supp"; }
    sup "leak:f_a"                                   # function, on a frame under the site too
    runl 1 check --suppressions "$T/s.supp" "$LK"
    has "SUMMARY: 30 byte(s) leaked in 1 allocation(s)."
    has_re "^ +5 +470 +leak:f_a  \($T/s\.supp:1\)$"
    sup "# both" "leak:f_a" "" "leak:^f_c\$"
    runl 0 check --suppressions "$T/s.supp" "$LK"
    has_re "^ +1 +30 +leak:\^f_c\\$  \($T/s\.supp:4\)$"
    sup "leak:^f_\$"                                 # anchored both ends: no function is "f_"
    runl 1 check --suppressions "$T/s.supp" "$LK"
    has "SUMMARY: 500 byte(s) leaked in 6 allocation(s)."
    sup "leak:fixture.c"                             # source file
    runl 0 check --suppressions "$T/s.supp" "$LK"
    has_re "^ +6 +500 +leak:fixture\.c  "
    sup "leak:bin/report_fixture"                    # module path
    runl 0 check --suppressions "$T/s.supp" "$LK"
    sup "leak:^/app/app.py\$"                        # Python file, before the built-ins
    runl 1 check --format json --suppressions "$T/s.supp" "$LK"
    pycheck 'eq([(u["pattern"], u["stacks"], u["bytes"]) for u in j["suppressions_used"]], [("^/app/app.py$", 2, 120), ("module:ld-linux*", 1, 32)])'
    sup "leak:Builder.*ke"                           # wildcard, Python function
    runl 1 check --format json --suppressions "$T/s.supp" "$LK"
    pycheck 'eq([(u["pattern"], u["bytes"]) for u in j["suppressions_used"]][0], ("Builder.*ke", 70))'
    sup "called_from_lib:report_fixture"             # the site frame's module
    runl 0 check --suppressions "$T/s.supp" "$LK"
    sup "called_from_lib:libc.so"                    # malloc's module is never the site
    runl 1 check --suppressions "$T/s.supp" "$LK"
    has "SUMMARY: 500 byte(s) leaked in 6 allocation(s)."
    # two files, in order; another sanitizer's types are ignored with one warning
    printf 'race:foo\nrace:bar\nleak:f_a\n' >"$T/a.supp"
    printf 'leak:f_c\n' >"$T/b.supp"
    run check --suppressions "$T/a.supp" --suppressions "$T/b.supp" "$LK"
    [ "$RC" = 0 ] || fail "two files: exit $RC"
    [ "$(grep -c "'race:' suppressions are not about leaks; ignored" "$T/err")" = 1 ] || fail "race warning: $(cat "$T/err")"
    grep -qF "warning: $T/a.supp:1: " "$T/err" || fail "race warning location"
    has "  suppress  $T/a.supp, $T/b.supp; built-in"
    # a suppression file through a pipe
    runl 0 check --suppressions <(printf 'leak:fixture.c\n') "$LK"
    ;;
check_defaults)
    ok check --help
    has "usage: mtrace-report check [options] SNAPSHOT..."
    has "Example:"
    has "--max-growth BYTES"
    has "Built-in suppressions"
    has "known_frames.h"
    has_re "^  module:python3\* \(site frame\) +CPython"
    has_re "^  module:ld-linux\* +the dynamic loader"
    has_re "^  function:_dl_\* +the dynamic loader"
    has "Exit status: 0 within the thresholds, 1 beyond them, 2 bad usage"
    # docs/CI.md lists the same table
    ci=$(dirname "$0")/../../docs/CI.md
    sed -n '/^Built-in suppressions/,/^$/p' "$T/out" \
        | sed -n 's/^  \(\(module\|function\):.*[^ ]\)  \+\([^ ].*\)$/| `\1` | \3 |/p' >"$T/defaults"
    [ "$(wc -l <"$T/defaults")" -ge 3 ] || fail "built-in table in --help: $(cat "$T/defaults")"
    while IFS= read -r row; do
        grep -qF -- "$row" "$ci" || fail "docs/CI.md lacks the row (keep it like known_frames.h): $row"
    done <"$T/defaults"
    [ "$(grep -c '^| `\(module\|function\):' "$ci")" = "$(wc -l <"$T/defaults")" ] \
        || fail "docs/CI.md lists another number of built-in suppressions than known_frames.h"
    ok --help
    has "  check    CI gate"
    # built-ins look at the site frames only: S4 (libpython deeper) and S7
    # (python3.11 deeper) stay; S3 and S5 (site in python3.11, ld-linux) go
    runl 1 check --format json -n 0 "$LK"
    pycheck 'eq(sorted(g["bytes"] for g in j["groups"]), [30, 70, 400])'
    runl 1 check --no-default-suppressions "$LK"
    has "  suppress  none (--no-default-suppressions)"
    has "SUMMARY: 582 byte(s) leaked in 9 allocation(s)."
    grep -q "Suppressions used" "$T/out" && fail "suppressions used without any"
    ;;
check_usage)
    expect_usage() {
        run "$@"
        [ "$RC" = 2 ] || fail "$*: exit $RC, want 2"
        [ "$(wc -l <"$T/err")" = 1 ] || fail "$*: want one stderr line, got: $(cat "$T/err")"
        grep -q '^mtrace-report: ' "$T/err" || fail "$*: stderr: $(cat "$T/err")"
        [ ! -s "$T/out" ] || fail "$*: unexpected stdout"
    }
    expect_usage check
    expect_usage top --junit "$T/x.xml" "$LK"
    expect_usage leaks --max-leaked-bytes 1 "$LK"
    expect_usage diff --max-growth 1 "$S0" "$S3"
    expect_usage check --max-leaked-bytes -1 "$LK"
    expect_usage check --max-leaked-bytes 1.5K "$LK"
    expect_usage check --max-leaked-bytes 99999999999999999999 "$LK"
    expect_usage check --max-leaked-blocks 1K "$LK"
    expect_usage check --classes bogus "$LK"
    expect_usage check --classes definite, "$LK"
    expect_usage check --classes "" "$LK"
    expect_usage check --sort live "$LK"
    expect_usage check --merge "$LK"
    expect_usage check --metric live "$LK"
    expect_usage check --all "$LK"
    expect_usage check --force "$LK"
    expect_usage check --format xml "$LK"
    expect_usage check --max-growth 1K "$LK"
    expect_usage check --max-growth 1K "$S0" "$S1" "$S3"
    expect_usage check --max-growth 1K --classes possible "$S0" "$S3"
    expect_usage check --max-growth 1K --suppressions "$T/x" "$S0" "$S3"
    expect_usage check --max-growth "$S0" "$S3"
    run top --junit x "$LK"; grep -qF -- "--junit is an option of check" "$T/err" || fail "message: $(cat "$T/err")"
    ;;
check_growth)
    ok check --max-growth 6000 "$S0" "$S3"
    has "mtrace-report check --max-growth: live bytes by stack, OLD to NEW"
    has "total: 12.3 KiB in 27 blocks live, was 6.8 KiB in 17; change +5.4 KiB"
    has "threshold: growth of at most 6,000 bytes, in total and per group (--max-growth)"
    has "PASS: live bytes grew by 5,548 bytes in total; no group grew by more than 6,000 bytes"
    run check --max-growth 5000 "$S0" "$S3"
    [ "$RC" = 1 ] || fail "total over: exit $RC"
    has "FAIL: live bytes grew by 5,548 bytes in total, more than allowed; no group grew by more than 5,000 bytes"
    # one group over the limit, the total (after filters) within it
    run check --max-growth 3000 --include-file srv.py "$S0" "$S3"
    [ "$RC" = 1 ] || fail "group over: exit $RC"
    has_re "^\+3\.9 KiB +\+4 blocks +changed +/app/srv\.py:10$"
    has "      handle  /app/srv.py:10"
    has "FAIL: live bytes grew by 2,500 bytes in total; 1 group grew by more than 3,000 bytes"
    run check --max-growth 3K --format json --group-by line "$S0" "$S3"
    [ "$RC" = 1 ] || fail "json: exit $RC"
    pycheck '
eq((j["command"], j["mode"], j["group_by"], j["thresholds"]), ("check", "growth", "line", {"max_growth": 3072}))
t = j["totals"]
eq((t["size"], t["old_size"], t["size_diff"], t["count_diff"], t["exceeded"], t["groups"]), (12548, 7000, 5548, 10, True, 1))
eq([(g["key"], g["status"], g["size_diff"]) for g in j["groups"]], [("/app/srv.py:10", "changed", 4000)])
eq(j["result"], "fail"); eq([s["file"] for s in j["snapshots"]], [E["S0"], E["S3"]])'
    ok check --max-growth 2000 "$S3" "$S0"                    # shrank; /app/srv.py:20 grew by 2000
    has "PASS: live bytes shrank by 5,548 bytes in total; no group grew by more than 2,000 bytes"
    run check --max-growth 1999 "$S3" "$S0"
    [ "$RC" = 1 ] || fail "a group over while the total shrank: exit $RC"
    fails 2 "are snapshots of different programs" check --max-growth 1K "$S0" "$SOTHER"
    run check --max-growth 1K --force "$S0" "$SOTHER"
    [ "$RC" = 1 ] || fail "--force: exit $RC"
    ;;
huge)
    ok top --format json "$D/huge.snap"
    pycheck 'M = 2**64 - 1
eq(j["totals"]["alloc_bytes"], M); eq(j["rows"][0]["alloc_bytes"], M)'
    ok top "$D/huge.snap"
    has "16.0 EiB"
    ;;
bad_inputs)
    # expect_bad FILE TEXT: exit 2, no stdout, exactly one stderr line with TEXT
    expect_bad() {
        run top "$1"
        [ "$RC" = 2 ] || fail "$1: exit $RC, want 2"
        [ ! -s "$T/out" ] || fail "$1: unexpected stdout"
        [ "$(wc -l <"$T/err")" = 1 ] || fail "$1: want one stderr line, got: $(cat "$T/err")"
        local line; line=$(cat "$T/err")
        [[ "$line" == "mtrace-report: $1: "* && "$line" == *"$2"* ]] \
            || fail "$1: stderr '$line' is not 'mtrace-report: $1: ...$2...'"
    }
    n=0
    while IFS=$'\t' read -r f msg; do
        expect_bad "$D/$f" "$msg"
        n=$((n + 1))
    done <"$D/bad.list"
    [ "$n" -ge 25 ] || fail "bad.list has only $n cases"
    expect_bad "$T/nonexistent.snap" "No such file or directory"
    expect_bad "$D" "Is a directory"
    expect_bad /dev/zero "not a regular file"
    mkfifo "$T/fifo"
    expect_bad "$T/fifo" "not a regular file"   # run() has a timeout: must not hang
    printf 'MTRSNAP\0\1\0\0\0' >"$T/short.snap"
    expect_bad "$T/short.snap" "truncated at offset 12"
    # the first bad file stops the run, even after a good one
    run leaks "$G" "$D/bad_magic.snap"
    [ "$RC" = 2 ] && [ ! -s "$T/out" ] && [ "$(wc -l <"$T/err")" = 1 ] || fail "good+bad"
    ;;
bad_usage)
    expect_usage() {
        run "$@"
        [ "$RC" = 2 ] || fail "$*: exit $RC, want 2"
        [ "$(wc -l <"$T/err")" = 1 ] || fail "$*: want one stderr line, got: $(cat "$T/err")"
        grep -q '^mtrace-report: ' "$T/err" || fail "$*: stderr: $(cat "$T/err")"
    }
    expect_usage
    expect_usage frobnicate "$G"
    expect_usage top
    expect_usage top --bogus "$G"
    expect_usage top --sort size "$G"
    expect_usage top --group-by module "$G"
    expect_usage top --format xml "$G"
    expect_usage top -n -1 "$G"
    expect_usage top -n abc "$G"
    expect_usage top --stack-depth "$G"
    expect_usage dump --format json "$G"
    expect_usage dump --include-file x "$G"
    expect_usage diff "$G"
    expect_usage diff "$G" "$G" "$G"
    expect_usage diff --metric size "$G" "$G"
    expect_usage diff --sort live "$G" "$G"
    expect_usage diff --merge "$G" "$G"
    expect_usage top --all "$G"
    expect_usage top --force "$G"
    expect_usage leaks --metric live "$G"
    expect_usage top --filter-frames all "$G"
    expect_usage top --include-file "$G"
    ;;
width)
    ok top "$G"
    "$PY" -c 'import sys; m = max(len(l) for l in open(sys.argv[1], encoding="utf-8").read().splitlines()); sys.exit(m > 120)' "$T/out" \
        || fail "lines over 120 columns"
    COLUMNS=60 ok top "$G"
    "$PY" -c 'import sys; m = max(len(l) for l in open(sys.argv[1], encoding="utf-8").read().splitlines()); sys.exit(m > 60)' "$T/out" \
        || { cat "$T/out" >&2; fail "lines over 60 columns"; }
    has "…"
    has_re "^ +9\.8 KiB +10 +100 B +1 +48\.1% +/app/app\.py:7$"
    # diff and the series view fit too
    maxcols() { "$PY" -c 'import sys; m = max(len(l) for l in open(sys.argv[1], encoding="utf-8").read().splitlines()); sys.exit(m > int(sys.argv[2]))' "$T/out" "$1" \
        || { cat "$T/out" >&2; fail "lines over $1 columns"; }; }
    COLUMNS=60 ok diff --include-file srv.py --include-function '*' "$S0" "$S3"; maxcols 60
    has "            7.1 KiB in 18 blocks live;"
    COLUMNS=60 ok top "$S0" "$S1" "$S3"; maxcols 60
    has_re "^ +TIME +REASON +SEQ +CURRENT +PEAK +RSS +CHANGE$"
    ok top "$S0" "$S1" "$S3"; maxcols 120
    has_re "^ +TIME +REASON +SEQ +CURRENT +PEAK +RSS +CHANGE +SNAPSHOT$"
    ;;
folded)
    # top: each stack root first; summed by allocation site it is top's JSON
    ok top --format json -n 0 "$G"; cp "$T/out" "$T/j"
    ok top --format folded "$G"; cp "$T/out" "$T/f"
    fcheck "$T/f" "$T/j" '
eq(two, False); eq(len(lines), 8)
eq(by(site), want("alloc_bytes"), "top by site")
eq([l for l in raw.splitlines() if ";f_d " in l],
   ["main %s;f_d %s;inl %s (inlined) 512" % (L("LINE_MAIN_D"), L("LINE_D_CALL"), L("LINE_INL"))])
# a native frame above Python frames stays the leaf; the site is the Python line
eq([l for l in raw.splitlines() if "f_e " in l],
   ["main %s;<module> /app/app.py:1;work /app/app.py:7;f_e %s 10000" % (L("LINE_MAIN_E"), L("LINE_E"))])
eq([l for l in raw.splitlines() if l.startswith("0x10 ")], ["0x10 1"])'
    ok top --format folded --metric count "$G"; cp "$T/out" "$T/f"
    fcheck "$T/f" "$T/j" 'eq(by(site), want("alloc_count"), "top count")'
    ok top --format folded --metric bytes --sort count "$G"; cp "$T/out" "$T/f2"
    cmp -s "$T/f2" "$T/f" && fail "--metric bytes gave counts"
    ok top --format json --native -n 0 "$G"; cp "$T/out" "$T/j"
    ok top --format folded --native "$G"; cp "$T/out" "$T/f"
    fcheck "$T/f" "$T/j" 'eq(by(leaf), want("alloc_bytes"), "--native: by native site")'
    for c in "leaks live" "peak peak"; do
        set -- $c
        ok "$1" --format json -n 0 "$G"; cp "$T/out" "$T/j"
        ok "$1" --format folded "$G"; cp "$T/out" "$T/f"
        fcheck "$T/f" "$T/j" "eq(by(site), want('${2}_bytes'), '$1')"
        ok "$1" --format folded --metric count "$G"; cp "$T/out" "$T/f"
        fcheck "$T/f" "$T/j" "eq(by(site), want('${2}_count'), '$1 count')"
    done
    # -n given: the N heaviest stacks; the filters apply
    ok top --format folded -n 2 "$G"; cp "$T/out" "$T/f"
    fcheck "$T/f" "" 'eq(sorted(v for _, v, _ in lines), [4096, 10000])'
    ok top --format folded --include-function f_a "$G"; cp "$T/out" "$T/f"
    fcheck "$T/f" "" 'eq(by(site), {L("LINE_A"): 5120})'
    # several snapshots of one process: the last one's stacks
    ok top --format folded "$S3"; cp "$T/out" "$T/last"
    ok top --format folded "$S0" "$S1" "$S3"; cmp "$T/out" "$T/last" || fail "series: not the last snapshot"
    # --merge of two processes: summed
    ok top --format folded --merge "$G" "$D/good2.snap"; cp "$T/out" "$T/f"
    ok top --format json -n 0 --merge "$G" "$D/good2.snap"
    fcheck "$T/f" "$T/out" 'eq(by(site), want("alloc_bytes"), "merged")'
    ;;
folded_py)
    okpy top --format json -n 0 "$PY1"; cp "$T/out" "$T/j"
    okpy top --format folded "$PY1"; cp "$T/out" "$T/f"
    fcheck "$T/f" "$T/j" '
eq(by(site), want("alloc_bytes"), "Python top by site")
# Python tracebacks: interpreter frames hidden, the C extension frame kept as the leaf
eq([l for l in raw.splitlines() if "Builder.extend" in l],
   ["<module> /app/app.py:33;main /app/app.py:30;Builder.extend /app/app.py:20;f_a %s 3000" % L("LINE_A")])
assert not any("python3.11" in l or "libpython" in l for l in raw.splitlines()), raw'
    okpy top --format json --native -n 0 "$PY1"; cp "$T/out" "$T/j"
    okpy top --format folded --native "$PY1"; cp "$T/out" "$T/f"
    fcheck "$T/f" "$T/j" '
eq(by(leaf), want("alloc_bytes"), "--native")
assert any("python3.11+0x" in l for l in raw.splitlines()), "--native shows the interpreter"'
    okpy diff --format json --all -n 0 "$PY0" "$PY1"; cp "$T/out" "$T/j"
    okpy diff --format folded "$PY0" "$PY1"; cp "$T/out" "$T/f"
    fcheck "$T/f" "$T/j" 'eq(two, True)
eq(by(site, 1), want("old_size"), "old"); eq(by(site, 2), want("size"), "new")'
    ;;
folded_leaks)
    # a scanned heap: one line per leak class, under a root frame
    runl 0 leaks --format json -n 0 "$LK"; cp "$T/out" "$T/j"
    runl 0 leaks --format folded "$LK"; cp "$T/out" "$T/f"
    fcheck "$T/f" "$T/j" '
names = {"definite": "[definitely lost]", "indirect": "[indirectly lost]",
         "possible": "[possibly lost]", "reachable": "[still reachable]"}
eq(sorted({fr[0] for fr, _, _ in lines}), sorted(names.values()))
for k, root in names.items():
    w = {r["key"]: r["leaks"][k]["bytes"] for r in j["rows"] if r["leaks"][k]["bytes"]}
    eq(by(site, root=root), w, k)
eq(sum(v for _, v, _ in lines), j["totals"]["live_bytes"])
eq([l for l in raw.splitlines() if l.startswith("[indirectly lost];")],
   ["[indirectly lost];main %s;f_a %s 300" % (L("LINE_MAIN_A"), L("LINE_A"))])'
    runl 0 leaks --format folded --metric count "$LK"; cp "$T/out" "$T/f"
    fcheck "$T/f" "$T/j" '
for k, root in {"definite": "[definitely lost]", "possible": "[possibly lost]"}.items():
    eq(by(site, root=root), {r["key"]: r["leaks"][k]["count"] for r in j["rows"] if r["leaks"][k]["count"]}, k)'
    # merged with a snapshot that was not scanned: its blocks have no class
    runl 0 leaks --format folded --merge "$LK" "$LKNOSCAN"; cp "$T/out" "$T/f"
    fcheck "$T/f" "" '
eq(by(site, root="[unclassified]"), {L("LINE_A"): 400})'
    # hostile names: still one valid UTF-8 line, ';' and control bytes as '?'
    runl 0 leaks --format folded "$LKHOSTILE"; cp "$T/out" "$T/f"
    fcheck "$T/f" "" '
eq(raw, "[definitely lost];evil<&>? /app/<x>&\"'"'"'??[31m?\ufffe]]>.py:3 16\n")'
    ;;
folded_diff)
    ok diff --format json --all -n 0 "$S0" "$S3"; cp "$T/out" "$T/j"
    ok diff --format folded "$S0" "$S3"; cp "$T/out" "$T/f"
    fcheck "$T/f" "$T/j" 'eq(two, True)
eq(by(site, 1), want("old_size"), "old"); eq(by(site, 2), want("size"), "new")
# unchanged stacks too (a flame graph of NEW), gone ones with 0
assert any(l.endswith("same /app/srv.py:30 700 700") for l in raw.splitlines()), raw
assert any(l.endswith("legacy /app/old.py:9 1500 0") for l in raw.splitlines()), raw'
    ok diff --format folded --metric count "$S0" "$S3"; cp "$T/out" "$T/f"
    fcheck "$T/f" "$T/j" 'eq(by(site, 1), want("old_count"), "old"); eq(by(site, 2), want("count"), "new")'
    ok diff --format json --all -n 0 --metric alloc "$S0" "$S3"; cp "$T/out" "$T/j"
    ok diff --format folded --metric alloc --metric count "$S0" "$S3"; cp "$T/out" "$T/f"
    fcheck "$T/f" "$T/j" 'eq(by(site, 1), want("old_count"), "old"); eq(by(site, 2), want("count"), "new")'
    ;;
folded_usage)
    fails 2 "--format folded draws whole stacks" top --format folded --group-by function "$G"
    ok top --format folded --group-by stack "$G"
    fails 2 "--format folded writes one profile" top --format folded "$G" "$D/good2.snap"
    fails 2 "--metric bytes|count is an option of --format folded" top --metric count "$G"
    fails 2 "--metric bytes|count is an option of --format folded" top --format pprof --metric count -o "$T/x" "$G"
    fails 2 "unknown --metric 'size'" top --format folded --metric size "$G"
    fails 2 "--metric is an option of diff" top --format folded --metric alloc "$G"
    fails 2 "check prints a table or JSON" check --format folded "$LK"
    fails 2 "dump prints text only" dump --format folded "$G"
    fails 2 "unknown --format 'svg' (table, json, folded, pprof, html)" top --format svg "$G"
    ;;
html)
    # top: the page of the folded stacks; flamegraph is top --format html
    ok top --format html -o "$T/top.html" "$G"
    ok flamegraph -o "$T/fg.html" "$G"
    cmp -s "$T/top.html" "$T/fg.html" || fail "flamegraph differs from top --format html"
    ok top --format folded -o "$T/f" "$G"
    hcheck "$T/top.html" "$T/f" '
eq(j["command"], "top"); eq(j["diff"], False); eq(j["fold"], 1000)
eq(total[0], fsum[0], "root = folded total")
eq(paths[("all", "main", "<module>", "work", "f_e")][2:4], [10000, 10])
# the 1-byte stack (under 0.1%) folded into [other] at the top level
eq(paths[("all", "[other]")][2], 1)
eq(fr[paths[("all", "main", "<module>")][0]], ["<module>", "/app/app.py:1", "p"])
eq(fr[paths[("all", "main", "f_d", "inl")][0]][1], L("LINE_INL") + " (inlined)")'
    for c in leaks peak; do
        ok $c --format html -o "$T/$c.html" "$G"
        ok $c --format folded -o "$T/f" "$G"
        hcheck "$T/$c.html" "$T/f" "eq(j['command'], '$c'); eq(total[0], fsum[0], 'root = folded total')"
    done
    # leak classes: a root frame per class, as folded
    runl 0 leaks --format html -o "$T/lk.html" "$LK"
    runl 0 leaks --format folded -o "$T/f" "$LK"
    hcheck "$T/lk.html" "$T/f" '
eq(j["classes"], True); eq(total[0], fsum[0])
eq(paths[("all", "[indirectly lost]", "main", "f_a")][2:4], [300, 3])
eq(sorted(p[1] for p in paths if len(p) == 2),
   ["[definitely lost]", "[indirectly lost]", "[possibly lost]", "[still reachable]"])'
    # diff: OLD and NEW per node
    ok diff --format html -o "$T/diff.html" "$S0" "$S3"
    ok diff --format folded -o "$T/f" "$S0" "$S3"
    hcheck "$T/diff.html" "$T/f" '
eq(j["diff"], True); eq(total[0], fsum[1], "NEW"); eq(total[2], fsum[0], "OLD")
eq(j["snapshots"], [E["S0"], E["S3"]])'
    # Python: the traceback, interpreter hidden unless --native
    okpy top --format html -o "$T/py.html" "$PY1"
    hcheck "$T/py.html" "" '
assert ("all", "<module>", "main", "Builder.extend", "f_a") in paths, sorted(paths)
assert not any("python3.11" in f[0] for f in fr), fr'
    okpy top --format html --native -o "$T/py.html" "$PY1"
    hcheck "$T/py.html" "" 'assert any(f[0].startswith("python3.11+0x") for f in fr), fr'
    # hostile names: escaped in the data, never markup
    runl 0 leaks --format html -o "$T/h.html" "$LKHTML"
    hcheck "$T/h.html" "" '
assert r"\u003cimg src=x onerror=alert(1)\u003e" in data
assert r"/app/\u003c/script\u003e\u003cscript\u003ealert(2)\u003c/script\u003e.py:7" in data
eq(paths[("all", "[definitely lost]", "<img src=x onerror=alert(1)>")][2:4], [600, 1])'
    runl 0 leaks --format html -o "$T/h.html" "$LKHOSTILE"
    hcheck "$T/h.html" "" 'assert any(f[0] == "evil<&>\x7f" for f in fr), fr'
    # usage
    fails 2 "flamegraph writes --format html" flamegraph --format json "$G"
    fails 2 "--format html draws whole stacks" top --format html --group-by function -o "$T/x" "$G"
    fails 2 "--format html writes one profile" top --format html -o "$T/x" "$G" "$D/good2.snap"
    fails 2 "flamegraph: no SNAPSHOT given" flamegraph -o "$T/x"
    ok flamegraph --help; has "usage: mtrace-report flamegraph"; has "--format html"
    ok top --format html "$G"; grep -q "^<!DOCTYPE html>" "$T/out" || fail "html to stdout"
    ;;
pprof_usage)
    fails 2 "diff has no --format pprof" diff --format pprof "$S0" "$S3"
    grep -qF -- "-diff_base OLD.pb.gz NEW.pb.gz" "$T/err" || fail "no pointer to -diff_base"
    fails 2 "check prints a table or JSON" check --format pprof "$LK"
    ok top --format pprof -o "$T/p.pb.gz" "$G"
    [ ! -s "$T/out" ] || fail "-o: something on stdout"
    [ "$(head -c2 "$T/p.pb.gz" | od -An -tx1 | tr -d ' ')" = 1f8b ] || fail "-o: not gzip"
    ok top --format pprof "$G"      # stdout is a file here: allowed
    cmp -s "$T/out" "$T/p.pb.gz" || fail "stdout and -o differ (not reproducible?)"
    ok top --format table -o "$T/t.txt" "$G"
    [ ! -s "$T/out" ] && grep -qF "mtrace-report top: by line" "$T/t.txt" || fail "-o with a table"
    fails 2 "-o $T/no/such/dir/p.pb.gz: No such file or directory" top --format pprof -o "$T/no/such/dir/p.pb.gz" "$G"
    # a bad snapshot: the output file is not touched
    run top --format pprof -o "$T/never.pb.gz" "$D/bad_magic.snap"
    [ "$RC" = 2 ] && [ ! -e "$T/never.pb.gz" ] || fail "bad snapshot: exit $RC, or -o FILE created"
    # gzip'd binary on a terminal: refused
    if command -v script >/dev/null; then
        script -qec "'$R' top --format pprof '$G'" /dev/null >"$T/tty" 2>&1
        rc=$?
        [ "$rc" = 2 ] && grep -qF "writes gzip'd binary data: give -o FILE" "$T/tty" \
            || { cat "$T/tty" >&2; fail "pprof on a terminal: exit $rc"; }
    fi
    ;;
pprof_go)
    # go tool pprof reads the profiles back (Debian's golang-go; CI installs it)
    GO=$(command -v go || echo /usr/bin/go)
    [ -x "$GO" ] || fail "go not found: go tool pprof is needed to check --format pprof (apt-get install golang-go; scripts/setup installs it)"
    export HOME=$T PPROF_TMPDIR=$T GOTOOLCHAIN=local GOFLAGS= GO111MODULE=off
    ok top --format pprof -o "$T/g.pb.gz" "$G"
    "$GO" tool pprof -raw "$T/g.pb.gz" >"$T/raw" 2>"$T/gerr" || { cat "$T/gerr" >&2; fail "pprof -raw"; }
    [ ! -s "$T/gerr" ] || fail "pprof -raw said: $(cat "$T/gerr")"
    cp "$T/raw" "$T/out"
    has "alloc_objects/count alloc_space/bytes inuse_objects/count inuse_space/bytes[dflt]"
    has "Comment: mtrace-report top"
    has "Period: 1"
    has "Time: 2023-11-14 22:13:20.123456789 +0000 UTC"
    # the main executable's mapping first, symbolized: pprof must not redo it
    has_re "^1: 0x[0-9a-f]+/0x[0-9a-f]+/0x0 ${FIXTURE_EXE//./\\.} [0-9a-f]{40} \[FN\]\[FL\]\[LN\]\[IN\]$"
    # leaf first; an inline chain: one address, the inlined line first
    grep -A1 -E "^ +[0-9]+: 0x[0-9a-f]+ M=1 inl " "$T/raw" >"$T/inl"
    grep -qE "^ +[0-9]+: 0x[0-9a-f]+ M=1 inl ${SRC//./\\.}:$LINE_INL s=0$" "$T/inl" \
        && grep -qE "^ +f_d ${SRC//./\\.}:$LINE_D_CALL s=0$" "$T/inl" || { cat "$T/raw" >&2; fail "inline location"; }
    # a Python frame: no mapping, no address
    has_re "^ +[0-9]+: 0x0 work /app/app.py:7 s=0"
    # the known lines and figures of each sample type (flat: the leaf line)
    E_=${SRC}:$LINE_E A_=${SRC}:$LINE_A X_=${SRC}:$LINE_XM C_=${SRC}:$LINE_C I_=${SRC}:$LINE_INL
    pprof_top "$T/g.pb.gz" alloc_space
    grep -qF "Total samples = 20781B" "$T/top" || fail "alloc_space total"
    has_node 10000 10000 "f_e $E_"; has_node 5120 5120 "f_a $A_"; has_node 3000 3000 "xmalloc $X_"
    has_node 2048 2048 "f_c $C_"; has_node 512 512 "inl $I_ (inline)"; has_node 1 1 0x10
    has_node 0 10000 "work /app/app.py:7"; has_node 0 10000 "<module> /app/app.py:1"
    pprof_top "$T/g.pb.gz" alloc_objects
    grep -qF "Total samples = 23 " "$T/top" || fail "alloc_objects total"
    has_node 10 10 "f_e $E_"; has_node 5 5 "f_a $A_"; has_node 3 3 "xmalloc $X_"
    has_node 2 2 "f_c $C_"; has_node 1 1 "inl $I_ (inline)"
    pprof_top "$T/g.pb.gz" inuse_space
    grep -qF "Total samples = 4637B" "$T/top" || fail "inuse_space total"
    has_node 3000 3000 "xmalloc $X_"; has_node 1024 1024 "f_a $A_"; has_node 512 512 "inl $I_ (inline)"
    has_node 100 100 "f_e $E_"; has_node 1 1 0x10
    pprof_top "$T/g.pb.gz" inuse_objects
    grep -qF "Total samples = 7 " "$T/top" || fail "inuse_objects total"
    has_node 3 3 "xmalloc $X_"; has_node 1 1 "f_a $A_"; has_node 1 1 "f_e $E_"
    # inuse_space is the default
    "$GO" tool pprof -unit=B -top "$T/g.pb.gz" 2>/dev/null | grep -qF "Total samples = 4637B" || fail "default sample type"
    # peak: the inuse pair is what was live at the peak
    ok peak --format pprof -o "$T/p.pb.gz" "$G"
    pprof_top "$T/p.pb.gz" inuse_space
    grep -qF "Total samples = 11584B" "$T/top" || fail "peak total"
    has_node 5000 5000 "f_e $E_"; has_node 3072 3072 "f_a $A_"; has_node 3000 3000 "xmalloc $X_"
    # leaks: the stacks with live blocks
    ok leaks --format pprof -o "$T/l.pb.gz" "$G"
    pprof_top "$T/l.pb.gz" alloc_space
    grep -qF "Total samples = 17609B" "$T/top" || fail "leaks alloc_space total"
    # Python: the traceback, the C extension frame in the fixture's mapping
    okpy top --format pprof -o "$T/py.pb.gz" "$PY1"
    "$GO" tool pprof -raw "$T/py.pb.gz" >"$T/out" 2>"$T/gerr" || fail "pprof -raw (Python)"
    has_re "^ +[0-9]+: 0x0 Builder\.extend /app/app\.py:20 s=0"
    has_re "^ +[0-9]+: 0x[0-9a-f]+ M=[0-9]+ f_a ${SRC//./\\.}:$LINE_A s=0"
    grep -qE "python3\.11|libpython" "$T/out" && grep -qE "^ +[0-9]+: .*(python3\.11|libpython)" "$T/out" \
        && fail "interpreter frames in a Python profile"
    pprof_top "$T/py.pb.gz" alloc_space
    has_node 5000 5000 "Builder.build /app/app.py:12"; has_node 3000 3000 "f_a $A_"
    has_node 0 3000 "Builder.extend /app/app.py:20"; has_node 0 9100 "main /app/app.py:30"
    # two snapshots: pprof's own -diff_base gives diff's changes per line
    ok top --format pprof -o "$T/s0.pb.gz" "$S0"
    ok top --format pprof -o "$T/s3.pb.gz" "$S3"
    ok diff --format json -n 0 "$S0" "$S3"; cp "$T/out" "$T/dj"
    pprof_top "$T/s3.pb.gz" inuse_space -diff_base "$T/s0.pb.gz"
    "$PY" - "$T/nodes" "$T/dj" <<'PYEOF' || { cat "$T/top" >&2; fail "-diff_base differs from diff"; }
import json, sys
got = {}
for l in open(sys.argv[1]):
    flat, cum, name = l.rstrip("\n").split(" ", 2)
    if int(flat):
        got[name.split(" ")[-1]] = int(flat)
want = {r["key"]: r["size_diff"] for r in json.load(open(sys.argv[2]))["rows"]}
if got != want:
    sys.exit("got  %r\nwant %r" % (got, want))
PYEOF
    ;;
color)
    ok top "$G"; ! grep -q $'\033' "$T/out" || fail "colour without a terminal"
    ok top --color=always "$G"
    grep -qF $'\033[1mmtrace-report top: by line' "$T/out" || fail "bold title"
    grep -qE $'^\033\\[1m *ALLOCATED +ALLOCS' "$T/out" || fail "bold header"
    grep -qF $'\033[36m  9.8 KiB\033[0m' "$T/out" || fail "byte column"
    grep -qF $'\033[33m      work  /app/app.py:7\033[0m' "$T/out" || fail "Python frame"
    grep -qF $'\033[2m      0x10\033[0m' "$T/out" || fail "frame without lines"
    ok top --color=never "$G"; ! grep -q $'\033' "$T/out" || fail "--color=never"
    ok top --color "$G"; grep -q $'\033' "$T/out" || fail "--color alone is always"
    NO_COLOR=1 ok top --color=always "$G"; grep -q $'\033' "$T/out" || fail "always beats NO_COLOR"
    ok diff --color=always "$S0" "$S3"
    grep -qF $'\033[31m+3.9 KiB\033[0m' "$T/out" || fail "growth red"
    grep -qF $'\033[32m-2.0 KiB\033[0m' "$T/out" || fail "shrinkage green"
    # colour does not change the layout
    COLUMNS=60 ok top --color=always "$G"
    sed $'s/\033\\[[0-9;]*m//g' "$T/out" >"$T/plain"
    COLUMNS=60 ok top "$G"; cmp -s "$T/plain" "$T/out" || fail "colour changed the layout"
    ok top --format json --color=always "$G"; ! grep -q $'\033' "$T/out" || fail "colour in JSON"
    # auto on a terminal: colour, unless NO_COLOR (set, non-empty) or TERM=dumb
    if command -v script >/dev/null; then
        env -u NO_COLOR TERM=xterm script -qec "'$R' top '$G'" /dev/null >"$T/tty" 2>&1
        grep -q $'\033\\[1mmtrace-report' "$T/tty" || fail "auto on a tty: no colour"
        NO_COLOR=1 TERM=xterm script -qec "'$R' top '$G'" /dev/null >"$T/tty" 2>&1
        ! grep -q $'\033\\[1m' "$T/tty" || fail "NO_COLOR=1 on a tty: colour"
        NO_COLOR= TERM=xterm script -qec "'$R' top '$G'" /dev/null >"$T/tty" 2>&1
        grep -q $'\033\\[1mmtrace-report' "$T/tty" || fail "empty NO_COLOR: no colour"
        env -u NO_COLOR TERM=dumb script -qec "'$R' top '$G'" /dev/null >"$T/tty" 2>&1
        ! grep -q $'\033\\[1m' "$T/tty" || fail "TERM=dumb: colour"
        # the terminal's width when COLUMNS is unset
        env -u COLUMNS script -qec "stty cols 70; '$R' top --color=never '$G'" /dev/null >"$T/tty" 2>&1
        tr -d '\r' <"$T/tty" >"$T/out"
        "$PY" -c 'import sys; m = max(len(l) for l in open(sys.argv[1], encoding="utf-8").read().splitlines()); sys.exit(not 60 < m <= 70)' "$T/out" \
            || { cat "$T/out" >&2; fail "not the tty's 70 columns"; }
    fi
    fails 2 "unknown --color 'sometimes' (auto, always, never)" top --color=sometimes "$G"
    # check's JUnit never carries colour
    runl 1 check --color=always --junit "$T/junit.xml" "$LK"
    ! grep -q $'\033' "$T/junit.xml" || fail "colour in JUnit"
    ;;
ascii)
    # the series' sparkline, and "…" outside UTF-8 locales
    ok top --stack-depth 1 "$S0" "$S1" "$S2" "$S3"
    has "  current   ▅▆▆█  6.8 KiB to 12.3 KiB"
    has "      … 1 more frames"
    LC_ALL=C ok top --stack-depth 1 "$S0" "$S1" "$S2" "$S3"
    has "  current   +**@  6.8 KiB to 12.3 KiB"
    has "      ... 1 more frames"
    ! grep -q $'[\x80-\xff]' "$T/out" || fail "non-ASCII bytes in the C locale"
    # cut text: "..." takes three columns, lines still fit
    LC_ALL=C COLUMNS=60 ok top "$G"
    has_re "^ +5\.0 KiB +5 +1\.0 KiB +1 +24\.6% +\.\.\.t/fixture\.c:$LINE_A$"
    "$PY" -c 'import sys; sys.exit(max(len(l) for l in open(sys.argv[1]).read().splitlines()) > 60)' "$T/out" \
        || fail "lines over 60 columns"
    ;;
help_commands)
    for c in top leaks peak diff check dump timeline; do
        ok "$c" --help
        has "usage: mtrace-report $c"
        has_re "^Examples?:$"
        has_re "^  mtrace-report $c "
    done
    ok top --help; has "--format table|json|folded|pprof"; has "--color[=auto|always|never]"
    has "-o, --output FILE"; has "flamegraph.pl"
    ok diff --help; has "go tool pprof -diff_base old.pb.gz"; has "--metric live|alloc|peak"
    ok leaks --help; has "[definitely lost]"
    ok --help; has "mtrace-report COMMAND --help"; has "Output formats:"; has "Examples:"
    ok --version; has_re "^mtrace-report [0-9]+\.[0-9]+\.[0-9]+ \(reads snapshot format version [0-9]+\)$"
    ;;
timeline_table)
    # One process, three snapshots (fixture_timeline.c): the exit snapshot's
    # series, the others as marks; given in any order.
    COLUMNS=100 ok timeline "$TL2" "$TL0" "$TL1"
    has "mtrace-report timeline: pid 6000 (parent 1), /usr/bin/tl-prog"
    has "  snapshots signal #0 at 0.300s; timer #1 at 0.700s; exit(0) #2 at 1.000s"
    has "  series    10 points, about every 100 ms at first"
    has "  peak      20.0 MiB traced at 0.450s (allocation 450)"
    has "  traced  ▁▂▂▄█▅▅▅▃▂  1.0 MiB to 4.0 MiB, max 20.0 MiB"
    has "  RSS     ▃▃▄▅█▇▆▆▅▄  6.0 MiB to 9.0 MiB, max 21.0 MiB"
    has "  marks   1 SP  2  3"
    has '            P peak 20.0 MiB at 0.450s; S snapshots; 1 "load" at 0.150s; 2 "serve" at'
    has_re '^ +0\.500s +16\.0 MiB +20\.0 MiB +21\.0 MiB +500  peak 20\.0 MiB$'
    has_re '^ +0\.700s +10\.0 MiB +10\.0 MiB +15\.0 MiB +700  2 "serve", snapshot timer #1$'
    has_re '^ +1\.000s +4\.0 MiB +4\.0 MiB +9\.0 MiB +1,000  3 "drain", snapshot exit\(0\) #2$'
    [ "$(grep -cE '^ +[0-9]+\.[0-9]{3}s ' "$T/out")" = 10 ] || fail "want 10 rows"
    # first to last snapshot: grow +4,000 (shrink went down); at the peak
    has "grew most, first to last snapshot (live bytes, by line):"
    has_re '^  \+3\.9 KiB  \+4 blocks  changed  /app/tl\.py:10$'
    ! sed -n '/^grew most, first/,/^$/p' "$T/out" | grep -q "tl.py:20" || fail "shrink listed as growth"
    has "grew most, start to peak (live at the peak, by line):"
    has_re '^ +14\.6 KiB +15 blocks  /app/tl\.py:10$'
    # -n cuts the table into runs that keep their maxima (the peak's 20 MiB)
    COLUMNS=100 ok timeline -n 3 "$TL2"
    has_re '^ +0\.300s +4\.0 MiB +4\.0 MiB +9\.0 MiB +300  1 "load"$'
    has_re '^ +0\.600s +12\.0 MiB +20\.0 MiB +21\.0 MiB +600  peak 20\.0 MiB$'
    has "  3 rows of 10 points"
    has "grew most, start to snapshot (live at the snapshot, by line):"
    has_re '^ +4\.9 KiB +5 blocks  /app/tl\.py:10$'
    ok timeline -n 4 "$D/tl_big.snap"
    has_re '^ +25\.000s +99\.0 KiB +50\.0 MiB +100\.0 MiB +25,000  peak 50\.0 MiB$'
    ok timeline -n 0 "$D/tl_big.snap"
    [ "$(grep -cE '^ +[0-9]+\.[0-9]{3}s ' "$T/out")" = 5000 ] || fail "-n 0: every point"
    # grouping and filters shape the lines
    ok timeline --group-by function "$TL0" "$TL2"
    has "grew most, first to last snapshot (live bytes, by function):"
    has_re "^  \+3\.9 KiB  \+4 blocks  changed  grow \(/app/tl\.py\)$"
    ok timeline --exclude-function grow "$TL2"
    ! grep -q "tl.py:10" "$T/out" || fail "filtered line shown"
    # a 240-byte header: no peak_allocs, the peak on the largest max
    ok timeline "$D/tl_old.snap"
    has "  peak      7.0 MiB traced at 0.200s"
    has "  series    3 points"
    # snapshots without a timeline: one point per snapshot (the old series)
    ok timeline "$S0" "$S1" "$S2" "$S3"
    has "  series    no timeline in the snapshots: a point per snapshot"
    [ "$(grep -cE '^ +[0-9]+\.[0-9]{3}s ' "$T/out")" = 3 ] || fail "a point per snapshot time"
    # colour on request, ASCII outside UTF-8
    ok timeline --color=always "$TL2"
    grep -q $'\033\[1mmtrace-report timeline' "$T/out" || fail "no colour"
    LC_ALL=C ok timeline "$TL2"
    has "  traced  _..=@+++-.  1.0 MiB to 4.0 MiB, max 20.0 MiB"
    ;;
timeline_json)
    ok timeline --format json "$TL1" "$TL0" "$TL2" "$TLCHILD"
    pycheck '
eq(j["mtrace_report"], 1); eq(j["command"], "timeline")
P = j["processes"]
eq([(p["pid"], p["ppid"]) for p in P], [(6000, 1), (6001, 6000)])
p = P[0]
eq((p["program"], p["cmdline"], p["rss_only"], p["timeline_ms"], p["sample_bytes"]), ("/usr/bin/tl-prog", "tl-prog --run", False, 100, 0))
T0 = 1700000200000000000; MS = 1000000; MIB = 1 << 20
eq((p["start_time_ns"], p["t0_ns"]), (T0, T0))
eq(p["peak"], {"kind": "traced", "bytes": 20 * MIB, "time_ns": T0 + 450 * MS, "elapsed_ns": 450 * MS, "allocs": 450, "point": 4})
eq([(s["file"], s["reason"], s["sequence"], s["elapsed_ns"], s["current_bytes"], s["peak_bytes"]) for s in p["snapshots"]],
   [(E["D"] + "/tl0.snap", "signal", 0, 300 * MS, 4 * MIB, 4 * MIB), (E["D"] + "/tl1.snap", "timer", 1, 700 * MS, 10 * MIB, 20 * MIB),
    (E["D"] + "/tl2.snap", "exit", 2, 1000 * MS, 4 * MIB, 20 * MIB)])
eq([(l["text"], l["elapsed_ns"], l["allocs"]) for l in p["labels"]], [("load", 150 * MS, 150), ("serve", 650 * MS, 650), ("drain", 950 * MS, 950)])
tr = [1, 2, 4, 8, 16, 12, 10, 10, 6, 4]
eq([(q["elapsed_ns"], q["traced_bytes"], q["max_bytes"], q["max_time_ns"] - T0, q["rss_bytes"], q["allocs"]) for q in p["points"]],
   [((i + 1) * 100 * MS, tr[i] * MIB, (20 if i == 4 else tr[i]) * MIB, (450 if i == 4 else (i + 1) * 100) * MS, (tr[i] + 5) * MIB, (i + 1) * 100) for i in range(10)])
c = P[1]
eq((c["t0_ns"], len(c["points"]), c["peak"]["point"], c["peak"]["elapsed_ns"], c["labels"]), (T0 + 200 * MS, 6, 1, 200 * MS, []))'
    # rss-only and hostile files: RSS peak; labels as text, times made monotonic
    ok timeline --format json "$D/tl_rss.snap" "$D/tl_hostile.snap"
    pycheck '
P = {p["pid"]: p for p in j["processes"]}
r = P[6100]
eq((r["rss_only"], r["peak"]["kind"], r["peak"]["bytes"], r["peak"]["point"]), (True, "rss", 8 << 20, 2))
eq([q["rss_bytes"] >> 20 for q in r["points"]], [2, 4, 8, 8, 8, 3])
eq(r["snapshots"][0]["reason"], "exit")
h = P[6200]
eq(h["program"], "/usr/bin/hostile\x1b[31m")
eq([l["text"] for l in h["labels"]], ["bell\x07\x1b[31mred \"quoted\", comma", "<img src=x onerror=alert(1)>"])
eq([q["elapsed_ns"] // 1000000 for q in h["points"]], [100, 300, 300, 400])
eq(h["points"][3]["max_bytes"], 1000)'
    # mksnap's good but hostile series: times running back from 2^64-1, or
    # every field at 2^64-1: every format copes
    for f in hostile_timeline_back huge_timeline; do
        for fmt in table json csv; do ok timeline --format $fmt "$D/$f.snap"; done
        ok timeline --format html -o "$T/h.html" "$D/$f.snap"
        ok top --format html -o "$T/h.html" "$D/$f.snap"
    done
    ok timeline --format json "$D/hostile_timeline_back.snap"
    pycheck 'eq({q["time_ns"] for q in j["processes"][0]["points"]}, {2**64 - 1})'
    ;;
timeline_csv)
    ok timeline --format csv "$TL2" "$TLCHILD" "$D/tl_hostile.snap"
    "$PY" - "$T/out" <<'PYEOF' || fail "csv check failed"
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
assert rows[0] == "pid,ppid,program,kind,time_ns,elapsed_ns,traced_bytes,max_bytes,max_time_ns,rss_bytes,allocs,name".split(","), rows[0]
body = rows[1:]
assert all(len(r) == 12 for r in body)
def of(pid, kind): return [r for r in body if r[0] == pid and r[3] == kind]
assert len(of("6000", "point")) == 10 and len(of("6001", "point")) == 6
p5 = of("6000", "point")[4]
assert p5[5:11] == ["500000000", str(16 << 20), str(20 << 20), "1700000200450000000", str(21 << 20), "500"], p5
assert [r[11] for r in of("6000", "label")] == ["load", "serve", "drain"]
assert of("6000", "snapshot")[0][11].endswith("/tl2.snap")
assert of("6000", "peak")[0][7] == str(20 << 20) and of("6000", "peak")[0][11] == "traced"
# hostile text: quoted, control bytes as '?', one line per record
assert [r[11] for r in of("6200", "label")] == ['bell??[31mred "quoted", comma', "<img src=x onerror=alert(1)>"]
assert of("6200", "point")[0][2] == "/usr/bin/hostile?[31m"
assert len(open(sys.argv[1]).read().splitlines()) == len(rows)
PYEOF
    ;;
timeline_procs)
    # a process tree: one series per process, a parent before its children
    COLUMNS=250 ok timeline "$TLCHILD" "$D/tl_rss2.snap" "$TL2" "$D/tl_rss.snap"
    grep '^mtrace-report timeline: ' "$T/out" >"$T/heads"
    printf '%s\n' "mtrace-report timeline: pid 6000 (parent 1), /usr/bin/tl-prog" \
        "mtrace-report timeline: pid 6001 (parent 6000), /usr/bin/tl-prog" \
        "mtrace-report timeline: pid 6100 (parent 1), RSS only, /usr/bin/static-prog" \
        "mtrace-report timeline: pid 6101 (parent 6100), RSS only, /usr/bin/sink" |
        diff - "$T/heads" || fail "process order"
    has "  peak      3.0 MiB traced at 0.200s (allocation 20)"
    has "  peak      RSS 8.0 MiB at 0.300s"
    has "a process shorter than the interval may be missed"
    has_re '^ +TIME +RSS  MARKS$'
    has_re '^ +0\.300s +8\.0 MiB  peak 8\.0 MiB$'
    ;;
timeline_rss)
    # --rss-only files: timeline, procs and dump read them; the others say
    # what to use instead
    for c in top leaks peak check flamegraph; do
        fails 2 "$D/tl_rss.snap: holds only an RSS timeline (mtrace-run --rss-only); use mtrace-report timeline" \
            $c "$D/tl_rss.snap"
    done
    fails 2 "tl_rss.snap: holds only an RSS timeline" diff "$TL2" "$D/tl_rss.snap"
    fails 2 "tl_rss.snap: holds only an RSS timeline" top --format json "$TL2" "$D/tl_rss.snap"
    fails 2 "tl_rss.snap: holds only an RSS timeline" check --max-growth 1K "$D/tl_rss.snap" "$D/tl_rss.snap"
    ok procs "$D/tl_rss.snap" "$D/tl_rss2.snap"
    has_re "^ +6101 +6100  sink +exit\(0\) +- +- +- +6\.0 MiB$"
    ok dump "$D/tl_rss.snap"
    has "  pid 6100  ppid 1  flags 0x2 (rss-only)"
    has "  peak_allocs 0  sample_bytes 0  timeline_ms 100"
    has "timeline 6"
    has "  [2] time_ns 1700000200300000000  traced 0  max 0 at 1700000200300000000  rss 8388608  allocs 0"
    has "labels 0"
    ok dump "$D/tl_hostile.snap"
    has '  [0] time_ns 1700000200150000000  allocs 1  traced 1000  text "bell\x07\x1b[31mred \"quoted\", comma"'
    ;;
timeline_html)
    ok timeline --format html -o "$T/tl.html" "$D/tl_rss.snap" "$D/tl_hostile.snap"
    hcheck "$T/tl.html" "" '
eq((j["command"], j["plot_only"], j["nodes"], j["frames"]), ("timeline", True, [], []))
P = {p["pid"]: p for p in j["timeline"]}
eq(sorted(P), [6100, 6200])
eq((P[6100]["rss_only"], P[6100]["npoints"], P[6100]["peak"]), (True, 6, [300000000, 8 << 20, "rss"]))
eq([p[4] >> 20 for p in P[6100]["points"]], [2, 4, 8, 8, 8, 3])
eq([l[1] for l in P[6200]["labels"]], ["bell\x07\x1b[31mred \"quoted\", comma", "<img src=x onerror=alert(1)>"])'
    # more points than the plot takes: runs that keep their maxima
    ok timeline --format html -o "$T/big.html" "$D/tl_big.snap"
    hcheck "$T/big.html" "" '
p = j["timeline"][0]
eq((p["npoints"], len(p["points"])), (5000, 2000))
eq(max(q[2] for q in p["points"]), 50 << 20)'
    # a report page plots its snapshots' timeline above the flame graph
    ok top --format html -o "$T/top.html" "$TL0" "$TL1" "$TL2"
    hcheck "$T/top.html" "" '
eq((j["command"], j["plot_only"], len(j["timeline"])), ("top", False, 1))
eq(len(j["timeline"][0]["points"]), 10); eq([s[1] for s in j["timeline"][0]["snapshots"]], ["signal #0", "timer #1", "exit(0) #2"])'
    ok diff --format html -o "$T/diff.html" "$TL0" "$TL2"
    hcheck "$T/diff.html" "" 'eq(len(j["timeline"][0]["points"]), 10)'
    # a snapshot without a timeline: no plot
    ok top --format html -o "$T/g.html" "$G"
    hcheck "$T/g.html" "" 'eq(j["timeline"], None)'
    ;;
timeline_usage)
    fails 2 "timeline prints a table, json, csv or html (no --format folded)" timeline --format folded "$TL2"
    fails 2 "timeline prints a table, json, csv or html (no --format pprof)" timeline --format pprof "$TL2"
    fails 2 "timeline is in time order (no --sort)" timeline --sort live "$TL2"
    fails 2 "timeline gives one series per process (no --merge)" timeline --merge "$TL2"
    fails 2 "--metric is an option of diff" timeline --metric live "$TL2"
    fails 2 "--max-leaked-bytes is an option of check" timeline --max-leaked-bytes 1 "$TL2"
    fails 2 "timeline: no SNAPSHOT given" timeline
    fails 2 "--format csv is timeline's" top --format csv "$TL2"
    fails 2 "--format csv is timeline's" diff --format csv "$TL0" "$TL2"
    fails 2 "unknown --format 'svg' (table, json, folded, pprof, html); timeline also takes csv" timeline --format svg "$TL2"
    fails 2 "$D/nope.snap: No such file or directory" timeline "$TL2" "$D/nope.snap"
    ok timeline --help
    has "usage: mtrace-report timeline"; has "--format table|json|csv|html"; has "--rss-only"
    ;;
*)
    fail "unknown case"
    ;;
esac
exit 0
