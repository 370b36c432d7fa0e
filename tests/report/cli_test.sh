#!/bin/bash
# CLI tests of mtrace-report against the fixture's snapshots (see fixture.c
# for the stacks and their exact counters, expect.sh for the source lines).
# Usage: cli_test.sh CASE REPORTER SNAPDIR. Every check asserts exact values;
# any mismatch prints what differed and exits 1. JSON is checked with
# Debian's /usr/bin/python3 (the python3 on PATH may be another build).
set -u
CASE=$1 R=$2 D=$3
PY=/usr/bin/python3
T=$(mktemp -d "${TMPDIR:-/tmp}/mtrace-report-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
. "$D/expect.sh"
export FIXTURE_SRC FIXTURE_EXE LINE_A LINE_G_CALL LINE_XM LINE_B LINE_C LINE_INL \
    LINE_D_CALL LINE_E LINE_MAIN_A LINE_MAIN_G LINE_MAIN_B LINE_MAIN_C LINE_MAIN_D LINE_MAIN_E
G=$D/good.snap
SRC=$FIXTURE_SRC

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
# Expected default top rows (key, counters), by allocated bytes.
ROWS_TOP='
ROWS = [("/app/app.py:7", (10000,10,100,1,5000,5)), (L("LINE_A"), (5120,5,1024,1,3072,3)),
        (L("LINE_XM"), (3000,3,3000,3,3000,3)), (L("LINE_C"), (2048,2,0,0,0,0)),
        (L("LINE_INL"), (512,1,512,1,512,1))]
'

case $CASE in
help)
    ok --help; has "usage: mtrace-report COMMAND"; has "operator new*"; has "PyMem_*"
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
    ;;
*)
    fail "unknown case"
    ;;
esac
exit 0
