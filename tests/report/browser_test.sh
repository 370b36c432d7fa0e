#!/bin/bash
# The HTML page in headless Chromium (Debian's chromium): writes pages of the
# fixture's snapshots, loads each with "#selftest&..." (the page's own checks,
# report/html/flame.js: drawn without errors, a known frame with its bytes in
# the tooltip, zoom in and out, search highlights, a hostile name shown as
# text; the memory timeline's plots, timeline.js), reads the verdict from
# --dump-dom and keeps a screenshot of each page
# in OUTDIR as a test artifact. Without chromium it FAILS: CI installs it
# (scripts/setup).
# Usage: browser_test.sh REPORTER SNAPDIR OUTDIR
set -u
R=$1 D=$2 OUT=$3
fail() { echo "FAIL [browser]: $*" >&2; exit 1; }
B=$(command -v chromium || command -v chromium-browser) ||
    fail "chromium not found: install Debian's chromium (apt-get install chromium; scripts/setup does)"
mkdir -p "$OUT" || fail "cannot create $OUT"
T=$(mktemp -d "${TMPDIR:-/tmp}/mtrace-browser-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
export LC_ALL=C.UTF-8

# page NAME SELFTEST-PARAMS REPORTER-ARGS...
page() {
    local name=$1 params=$2; shift 2
    "$R" "$@" -o "$OUT/$name.html" 2>"$T/err" || fail "$name: mtrace-report $* failed: $(cat "$T/err")"
    local url="file://$OUT/$name.html"
    # As root Chromium needs --no-sandbox; a fresh profile per run.
    local flags=(--headless --no-sandbox --disable-gpu --disable-dev-shm-usage
                 --user-data-dir="$T/profile-$name" --window-size=1200,700 --hide-scrollbars)
    timeout 120 "$B" "${flags[@]}" --dump-dom "$url#selftest&$params" >"$T/$name.dom" 2>"$T/$name.log" ||
        fail "$name: chromium failed ($(tail -3 "$T/$name.log"))"
    sed -n '/<pre id="selftest">/,/<\/pre>/p' "$T/$name.dom" >"$T/$name.result"
    [ -s "$T/$name.result" ] || fail "$name: no self-test result in the page (script error?)"
    grep -q '<pre id="selftest">PASS$' "$T/$name.result" ||
        fail "$name: self-test failed: $(cat "$T/$name.result")"
    echo "$name: $(tr '\n' ' ' <"$T/$name.result" | sed 's/<[^>]*>//g')"
    timeout 120 "$B" "${flags[@]}" --screenshot="$OUT/$name.png" "$url" >/dev/null 2>&1 ||
        fail "$name: screenshot failed"
    [ -s "$OUT/$name.png" ] || fail "$name: no screenshot"
}

page top "frame=f_e&bytes=10000&search=f_a" flamegraph "$D/good.snap"
page leaks "frame=f_c&bytes=2048&search=onerror&hostile=1" leaks --format html "$D/leak_html.snap"
page peak "frame=work&bytes=5000" peak --format html "$D/good.snap"
page diff "frame=grow&bytes=600&search=srv.py" diff --format html "$D/series0.snap" "$D/series3.snap"
# The memory timeline: plotted above the graph of a series, and alone for
# timeline --format html (--rss-only files, a hostile label shown as text).
page timeline_top "frame=grow&bytes=20000&plots=1&label=serve" top --format html "$D/tl0.snap" "$D/tl1.snap" "$D/tl2.snap"
page timeline "plots=4&label=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E&hostile=1" timeline --format html \
    "$D/tl_rss.snap" "$D/tl_rss2.snap" "$D/tl_hostile.snap" "$D/tl_big.snap"
echo "screenshots: $OUT/*.png"
exit 0
