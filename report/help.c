/* Help texts (see help.h). The general help lists everything; a command's
 * help says what it shows, gives examples and the options that apply. The
 * built-in wrapper and interpreter lists come from site.c, so the help and
 * the code cannot disagree. */
#include "help.h"

#include <string.h>

#include "commands.h"
#include "site.h"

static void commands(FILE *out)
{
    fputs("Commands:\n"
          "  top      allocation sites by total allocated bytes (or --sort)\n"
          "  leaks    sites with blocks still live in the snapshot, by live bytes\n"
          "  peak     sites with blocks live at the traced heap's peak, by bytes\n"
          "  diff OLD NEW\n"
          "           per site: size and count in NEW and the change from OLD, by\n"
          "           the size of the change; sites marked new, gone, changed\n"
          "  check    CI gate: exit 1 when the leaks (definitely and indirectly lost\n"
          "           blocks at exit, by default) exceed thresholds, or with\n"
          "           --max-growth when live bytes grew; see mtrace-report check --help\n"
          "  procs    one row per process of a traced tree: pid, parent, program,\n"
          "           how it ended, peak, still held, lost, peak RSS\n"
          "  timeline memory over time, one series per process: traced heap, the\n"
          "           most live between points, RSS, labels, snapshots and the\n"
          "           peak, as a table with sparklines, json, csv or html; then\n"
          "           the lines that grew most (also reads mtrace-run --rss-only\n"
          "           files, which hold only RSS)\n"
          "  dump     every record of the snapshot as stored (debugging)\n"
          "  flamegraph SNAPSHOT... -o FILE.html\n"
          "           short for top --format html: a flame graph page\n"
          "\n"
          "Several snapshots of one process (same pid and program) without --merge:\n"
          "top, leaks and peak show the series in time order, the 3 sites whose live\n"
          "bytes grew most from the first to the last, then the report of the last.\n"
          "Snapshots of several processes: one report each, or one with --merge.\n",
          out);
}

static void options(FILE *out)
{
    fputs("Options:\n"
          "  --group-by line|function|file|stack   key of a row (default line;\n"
          "                       stack for check)\n"
          "  --sort bytes|count|live|live-count|peak|peak-count|lost|lost-count|\n"
          "         definite|indirect|possible|reachable\n"
          "                       sort metric (default: bytes for top, live for\n"
          "                       leaks (lost when the heap was scanned at exit:\n"
          "                       definitely + indirectly lost bytes), peak for peak)\n"
          "  -n N                 show the first N rows (default 10, 0 = all;\n"
          "                       folded, pprof, html: every stack unless -n is given)\n"
          "  --format table|json|folded|pprof|html\n"
          "                       output format (default table; see Output formats)\n"
          "  -o, --output FILE    write to FILE instead of stdout\n"
          "  --metric bytes|count folded: a line's value is the command's bytes\n"
          "                       (default) or its count of blocks (allocations\n"
          "                       for top)\n"
          "  --color[=auto|always|never]\n"
          "                       colour tables: headers, byte columns, Python\n"
          "                       frames, growth red and shrinkage green (default\n"
          "                       auto: when writing to a terminal and NO_COLOR is\n"
          "                       unset or empty)\n"
          "  --stack-depth K      frames shown under each row in tables (default 8)\n"
          "  --alloc-fn PATTERN   also treat functions matching this fnmatch(3)\n"
          "                       pattern as allocator wrappers (repeatable)\n"
          "  --native             for stacks with Python frames, use the native\n"
          "                       allocation site instead of the Python one and\n"
          "                       show every frame (with --group-by stack, key\n"
          "                       by every frame)\n"
          "  --merge              sum several snapshots into one report (default:\n"
          "                       one report per snapshot, or a series)\n"
          "  -h, --help           this help (COMMAND --help: the command's)\n"
          "  --version            print the version and the snapshot format version\n",
          out);
}

static void diff_options(FILE *out)
{
    fputs("diff options:\n"
          "  --metric live|alloc|peak  compare live blocks (default), allocated in\n"
          "                       total, or live at the peak (with --format folded,\n"
          "                       --metric count may be given too)\n"
          "  --all                also show sites that did not change\n"
          "  --force              compare snapshots of different programs\n",
          out);
}

static void formats(FILE *out)
{
    fputs("Output formats:\n"
          "  table   aligned columns, as wide as the terminal (COLUMNS, else 120\n"
          "          when not writing to a terminal)\n"
          "  json    for scripts and CI (docs/JSON.md)\n"
          "  folded  collapsed stacks for flamegraph.pl, inferno and speedscope: a\n"
          "          line per stack, root first, frames joined by ';', a space and\n"
          "          the value (top: allocated, leaks: live, per leak class when\n"
          "          the heap was scanned, peak: at the peak); diff writes OLD and\n"
          "          NEW values, as difffolded.pl does\n"
          "  pprof   gzipped profile.proto for go tool pprof (-o FILE.pb.gz): the\n"
          "          sample types alloc_objects, alloc_space, inuse_objects and\n"
          "          inuse_space (for peak: at the peak); for diff, write one per\n"
          "          snapshot and run go tool pprof -diff_base OLD.pb.gz NEW.pb.gz\n"
          "  html    one self-contained page (-o FILE.html) drawing a flame graph of\n"
          "          the folded stacks: hover, click to zoom, search; frames under\n"
          "          0.1% of the total folded into [other]; diff colours growth and\n"
          "          shrinkage; above it a plot of memory over time when the\n"
          "          snapshots carry a timeline (timeline --format html: the plots)\n"
          "  csv     timeline only: the raw series, a row per point, label, snapshot\n"
          "          and peak\n"
          "folded, pprof and html draw whole stacks (no --group-by): a stack from its\n"
          "first frame that is not an allocator wrapper, Python stacks as their\n"
          "traceback unless --native (docs/FORMATS.md).\n",
          out);
}

static void filters(FILE *out)
{
    fputs("Filters (every command but dump; each repeatable; fnmatch(3) globs):\n"
          "  --include-file GLOB, --exclude-file GLOB      source file of a frame\n"
          "  --include-function GLOB, --exclude-function GLOB  function name\n"
          "  --include-module GLOB, --exclude-module GLOB  module (executable or\n"
          "                       library) path\n"
          "  --filter-frames site|any  match the allocation site frame only (default)\n"
          "                       or any frame of the stack\n"
          "A file or module GLOB with a '/' matches the whole path, one without\n"
          "matches the base name. A stack is kept when, for each kind (file,\n"
          "function, module) with include filters, at least one of them matches,\n"
          "and no exclude filter matches. Totals count only the kept stacks.\n",
          out);
}

static void sites(FILE *out)
{
    fputs("The allocation site of a stack is its innermost frame that is not an\n"
          "allocator wrapper (innermost Python frame for Python stacks). Built-in\n"
          "wrappers (fnmatch patterns):\n",
          out);
    site_print_wrappers(out, "  ");
    fputs("\nPython stacks (a traced CPython: native frames, then the Python ones):\n"
          "the site is the innermost Python frame, so --group-by line, function and\n"
          "file give FILE.py:LINE, QUALNAME (FILE.py) and FILE.py. Each row shows\n"
          "the Python traceback, innermost first, with the native frames that\n"
          "matter among its frames (a C extension's); allocator wrappers and the\n"
          "interpreter itself are hidden. --group-by stack keys by that traceback,\n"
          "so stacks that differ only in hidden frames share a row. With --native:\n"
          "the native site, every frame. The interpreter (fnmatch patterns):\n", out);
    site_print_interpreter(out, "  ");
    fputs("\nLeak classes: a snapshot written at exit carries memcheck's classes of\n"
          "the blocks still allocated (definitely, indirectly, possibly lost, still\n"
          "reachable) unless MTRACE_LEAK_SCAN=0; leaks shows them per row.\n", out);
}

void help_general(FILE *out)
{
    fputs("usage: mtrace-report COMMAND [options] SNAPSHOT...\n"
          "       mtrace-report COMMAND --help   the command's options, with examples\n"
          "       mtrace-report --version\n\n", out);
    commands(out);
    fputc('\n', out);
    options(out);
    fputc('\n', out);
    diff_options(out);
    fputc('\n', out);
    formats(out);
    fputc('\n', out);
    filters(out);
    fputc('\n', out);
    sites(out);
    fputs("\nExamples:\n"
          "  mtrace-report top app.1234.0.snap\n"
          "  mtrace-report leaks --group-by stack app.1234.0.snap\n"
          "  mtrace-report diff app.1234.0.snap app.1234.1.snap\n"
          "  mtrace-report top --format folded app.1234.0.snap | flamegraph.pl >top.svg\n"
          "  mtrace-report leaks --format pprof -o leaks.pb.gz app.1234.0.snap\n"
          "  mtrace-report flamegraph -o top.html app.1234.0.snap\n"
          "  mtrace-report timeline app.1234.*.snap\n"
          "\nExit status: 0 ok, 1 check failed, 2 bad usage or unreadable/invalid\n"
          "snapshot, or diff of two different programs without --force.\n", out);
}

/* The options of top, leaks and peak (and diff's shared ones). */
static void report_options(FILE *out, int diff)
{
    fputc('\n', out);
    options(out);
    if (diff) {
        fputc('\n', out);
        diff_options(out);
    }
    fputc('\n', out);
    formats(out);
    fputc('\n', out);
    filters(out);
    fputs("\nmtrace-report --help also lists the allocator wrappers and the\n"
          "interpreter frames that Python tracebacks hide.\n", out);
}

void help_command(FILE *out, const char *cmd)
{
    if (!cmd) {
        help_general(out);
    } else if (strcmp(cmd, "top") == 0) {
        fputs("usage: mtrace-report top [options] SNAPSHOT...\n"
              "\n"
              "Allocation sites by the bytes allocated there in total (--sort picks\n"
              "another counter), each with its call stack. Several snapshots of one\n"
              "process: the series first, then the report of the last one.\n"
              "\n"
              "Examples:\n"
              "  mtrace-report top app.1234.0.snap\n"
              "  mtrace-report top --group-by function --sort count -n 20 app.1234.0.snap\n"
              "  mtrace-report top --include-file '*/src/*' --format json app.1234.0.snap\n"
              "  mtrace-report top --format folded app.1234.0.snap | flamegraph.pl >top.svg\n"
              "  mtrace-report top --format pprof -o top.pb.gz app.1234.0.snap\n"
              "  mtrace-report top --format html -o top.html app.1234.0.snap\n"
              "  go tool pprof -sample_index=alloc_space -top top.pb.gz\n", out);
        report_options(out, 0);
    } else if (strcmp(cmd, "leaks") == 0) {
        fputs("usage: mtrace-report leaks [options] SNAPSHOT...\n"
              "\n"
              "Sites with blocks still allocated when the snapshot was taken, by live\n"
              "bytes. A snapshot written at exit carries memcheck's leak classes\n"
              "(definitely, indirectly, possibly lost, still reachable): the table\n"
              "shows them as columns, sorted by lost bytes, with valgrind's LEAK\n"
              "SUMMARY; folded splits each stack by class under a root frame\n"
              "\"[definitely lost]\", \"[indirectly lost]\", ...\n"
              "\n"
              "Examples:\n"
              "  mtrace-report leaks app.1234.0.snap\n"
              "  mtrace-report leaks --group-by stack -n 0 app.1234.0.snap\n"
              "  mtrace-report leaks --format folded app.1234.0.snap | flamegraph.pl >leaks.svg\n"
              "  mtrace-report leaks --format pprof -o leaks.pb.gz app.1234.0.snap\n"
              "  go tool pprof -sample_index=inuse_space -top leaks.pb.gz\n", out);
        report_options(out, 0);
    } else if (strcmp(cmd, "peak") == 0) {
        fputs("usage: mtrace-report peak [options] SNAPSHOT...\n"
              "\n"
              "What was live when the traced heap peaked, by bytes (with --merge, the\n"
              "sum of per-process peaks). In pprof output the inuse sample types hold\n"
              "the blocks live at the peak.\n"
              "\n"
              "Examples:\n"
              "  mtrace-report peak app.1234.0.snap\n"
              "  mtrace-report peak --group-by function app.1234.0.snap\n"
              "  mtrace-report peak --format folded app.1234.0.snap | flamegraph.pl >peak.svg\n",
              out);
        report_options(out, 0);
    } else if (strcmp(cmd, "diff") == 0) {
        fputs("usage: mtrace-report diff [options] OLD NEW\n"
              "\n"
              "Like tracemalloc's compare_to(): per site, the size and count in NEW\n"
              "under --metric (blocks live, by default) and the change from OLD,\n"
              "largest change first, marked new, gone or changed (same with --all).\n"
              "Refuses snapshots of different programs unless --force; a fork child\n"
              "against its parent works.\n"
              "\n"
              "Examples:\n"
              "  mtrace-report diff app.1234.0.snap app.1234.1.snap\n"
              "  mtrace-report diff --metric alloc --group-by function -n 20 old.snap new.snap\n"
              "  mtrace-report diff --format folded old.snap new.snap | flamegraph.pl >diff.svg\n"
              "pprof compares two profiles itself:\n"
              "  mtrace-report top --format pprof -o old.pb.gz old.snap\n"
              "  mtrace-report top --format pprof -o new.pb.gz new.snap\n"
              "  go tool pprof -diff_base old.pb.gz -top new.pb.gz\n", out);
        report_options(out, 1);
    } else if (strcmp(cmd, "flamegraph") == 0) {
        fputs("usage: mtrace-report flamegraph [options] SNAPSHOT... -o FILE.html\n"
              "\n"
              "Short for top --format html: one self-contained page (no network, opens\n"
              "from disk) drawing a flame graph of the bytes allocated in total. Hover\n"
              "a frame for its function, file:line, bytes, blocks and share; click to\n"
              "zoom; search highlights matches. Python stacks show their traceback\n"
              "(--native: every frame). leaks, peak and diff take --format html too.\n"
              "\n"
              "Examples:\n"
              "  mtrace-report flamegraph -o top.html app.1234.0.snap\n"
              "  mtrace-report leaks --format html -o leaks.html app.1234.0.snap\n"
              "  mtrace-report diff --format html -o diff.html old.snap new.snap\n", out);
        report_options(out, 0);
    } else if (strcmp(cmd, "check") == 0) {
        check_help(out);
    } else if (strcmp(cmd, "procs") == 0) {
        fputs("usage: mtrace-report procs [--format table|json] [-o FILE] SNAPSHOT...\n"
              "\n"
              "One row per process image of a traced tree (its last snapshot): pid,\n"
              "parent, program, how it ended (exit(3), _exit(0), killed by SIGSEGV,\n"
              "exec), its traced peak, what it still held, what it lost (definitely\n"
              "and indirectly, when its exit was scanned) and its peak RSS. exec keeps\n"
              "the pid and starts a new image: both get a row. mtrace-run ends with it.\n"
              "\n"
              "Example:\n"
              "  mtrace-report procs /tmp/snaps/*.snap\n", out);
    } else if (strcmp(cmd, "timeline") == 0) {
        fputs("usage: mtrace-report timeline [options] SNAPSHOT...\n"
              "\n"
              "Memory over time. The shim keeps a series while tracing (a point about\n"
              "every MTRACE_TIMELINE_MS, default 100 ms: traced bytes, the most live\n"
              "since the previous point, RSS, allocations so far; pairs merge keeping\n"
              "maxima when its buffer fills) and every snapshot carries it up to its\n"
              "moment. Snapshots of one process (same pid, program and start) join\n"
              "into one series: the latest snapshot's, the others marked at their\n"
              "time; a process tree gives one series per process, each parent first.\n"
              "Per process: sparklines of the traced heap and RSS with marks (P the\n"
              "peak, placed by its allocation count; S snapshots; 1-9, a-z labels\n"
              "from mtrace_label() or Python's mtrace.mark()), a table cut to -n rows\n"
              "(default 20, 0 = every point; a row is a run of points with the run's\n"
              "largest MAX and RSS), then the lines that grew most: from the first\n"
              "snapshot to the last (live bytes), or for one snapshot what was live\n"
              "then, and what was live at the peak. --group-by and the filters shape\n"
              "those lines. --format json and csv give the raw series (every point,\n"
              "label and snapshot, per process; docs/JSON.md), html a page of plots.\n"
              "\n"
              "mtrace-run --rss-only -- CMD traces nothing: it polls the RSS of every\n"
              "process of the tree and writes one snapshot per process holding only\n"
              "that series (static or setuid programs, or by choice); a process that\n"
              "lives less than the interval may be missed. Only timeline, procs and\n"
              "dump read such files.\n"
              "\n"
              "Examples:\n"
              "  mtrace-report timeline app.1234.0.snap\n"
              "  mtrace-report timeline -n 0 app.1234.*.snap\n"
              "  mtrace-report timeline --format csv -o mem.csv /tmp/snaps/*.snap\n"
              "  mtrace-report timeline --format html -o mem.html /tmp/snaps/*.snap\n"
              "  mtrace-run --rss-only -o '/tmp/snaps/%e.%p.snap' -- make -j8\n"
              "\n"
              "Options:\n"
              "  -n N                 rows of each table (default 20, 0 = every point)\n"
              "  --format table|json|csv|html\n"
              "                       output format (default table)\n"
              "  -o, --output FILE    write to FILE instead of stdout\n"
              "  --color[=auto|always|never]\n"
              "  --group-by line|function|file|stack, --include-*/--exclude-* GLOB,\n"
              "  --alloc-fn PATTERN, --native\n"
              "                       as for top: the lines that grew most\n", out);
    } else if (strcmp(cmd, "dump") == 0) {
        fputs("usage: mtrace-report dump [-o FILE] SNAPSHOT...\n"
              "\n"
              "Every record of the file as stored (debugging): the header, the\n"
              "section directory, modules with their build-ids, strings, frames,\n"
              "stacks with their counters, the timeline's points and labels, and\n"
              "the leak classes when present.\n"
              "Text only: no --format, no filters.\n"
              "\n"
              "Example:\n"
              "  mtrace-report dump app.1234.0.snap | less\n"
              "\n"
              "Options:\n"
              "  -o, --output FILE    write to FILE instead of stdout\n", out);
    } else {
        help_general(out);
    }
}
