/* mtrace-report entry point: command-line parsing and the commands (top,
 * leaks, peak, dump). Loads and validates every snapshot first (any error:
 * one line on stderr, exit 2), then builds one neutral report per snapshot
 * (or one for all with --merge) and hands it to the chosen output format.
 * Exit codes: 0 ok, 2 bad usage or unreadable/invalid input (1: future check). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "dump.h"
#include "group.h"
#include "output.h"
#include "site.h"
#include "snapshot_read.h"
#include "symbolize.h"
#include "textutil.h"

#define EXIT_USAGE 2

struct opts {
    const char *command;
    enum group_by by;
    enum metric sort;
    int sort_set;
    size_t limit;
    const struct out_format *format;
    size_t stack_depth;
    const char **alloc_fns;
    size_t nalloc_fns;
    int native;
    int merge;
};

static void usage(FILE *out)
{
    fputs("usage: mtrace-report COMMAND [options] SNAPSHOT...\n"
          "\n"
          "Commands:\n"
          "  top      allocation sites by total allocated bytes (or --sort)\n"
          "  leaks    sites with blocks still live in the snapshot, by live bytes\n"
          "  peak     sites with blocks live at the traced heap's peak, by bytes\n"
          "  dump     every record of the snapshot as stored (debugging)\n"
          "\n"
          "Options:\n"
          "  --group-by line|function|file|stack   key of a row (default line)\n"
          "  --sort bytes|count|live|live-count|peak|peak-count\n"
          "                       sort metric (default: bytes for top, live for\n"
          "                       leaks, peak for peak)\n"
          "  -n N                 show the first N rows (default 10, 0 = all)\n"
          "  --format table|json  output format (default table)\n"
          "  --stack-depth K      frames shown under each row in tables (default 8)\n"
          "  --alloc-fn PATTERN   also treat functions matching this fnmatch(3)\n"
          "                       pattern as allocator wrappers (repeatable)\n"
          "  --native             for stacks with Python frames, use the native\n"
          "                       allocation site instead of the Python one\n"
          "  --merge              sum several snapshots into one report (default:\n"
          "                       one report per snapshot)\n"
          "  -h, --help           this help\n"
          "  --version            print the version\n"
          "\n"
          "The allocation site of a stack is its innermost frame that is not an\n"
          "allocator wrapper (innermost Python frame for Python stacks). Built-in\n"
          "wrappers (fnmatch patterns):\n",
          out);
    site_print_wrappers(out, "  ");
    fputs("\nExit status: 0 ok, 2 bad usage or unreadable/invalid snapshot.\n", out);
}

static _Noreturn void bad_usage(const char *fmt, const char *arg)
{
    fputs("mtrace-report: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs(" (see mtrace-report --help)\n", stderr);
    exit(EXIT_USAGE);
}

static size_t parse_size(const char *opt, const char *s)
{
    char *end;
    if (!*s || *s == '-' || *s == '+')
        bad_usage("%s needs a non-negative number", opt);
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || v > (unsigned long long)SIZE_MAX / 2)
        bad_usage("%s needs a non-negative number", opt);
    return (size_t)v;
}

/* COLUMNS (as ls and others honour it), else the terminal's width when
 * stdout is a tty, else 120. */
static size_t output_width(void)
{
    struct winsize ws;
    const char *env = getenv("COLUMNS");
    if (env && *env) {
        char *end;
        unsigned long v = strtoul(env, &end, 10);
        if (!*end && v > 0 && v < 100000)
            return v < 40 ? 40 : v;
    }
    if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col < 40 ? 40 : ws.ws_col;
    return 120;
}

static void snapinfo_of(const struct snap *s, struct out_snapinfo *i)
{
    const struct mt_file_header *h = &s->hdr;
    memset(i, 0, sizeof *i);
    i->file = s->path;
    i->program = snap_str(s, h->program);
    i->cmdline = snap_str(s, h->cmdline);
    i->pid = h->pid;
    i->ppid = h->ppid;
    i->forked = (h->flags & MT_HDR_FORKED) != 0;
    i->reason = snap_reason_name(h->reason);
    i->reason_code = h->reason;
    i->sequence = h->sequence;
    i->max_depth = h->max_depth;
    i->start_time_ns = h->start_time_ns;
    i->time_ns = h->time_ns;
    i->current_bytes = h->current_bytes;
    i->current_blocks = h->current_blocks;
    i->peak_bytes = h->peak_bytes;
    i->peak_blocks = h->peak_blocks;
    i->total_allocs = h->total_allocs;
    i->total_bytes = h->total_bytes;
    i->total_frees = h->total_frees;
    i->dropped = h->dropped;
    i->rss_bytes = h->rss_bytes;
    i->peak_rss_bytes = h->peak_rss_bytes;
}

static int keep_row(const char *command, const struct out_row *r)
{
    if (strcmp(command, "leaks") == 0)
        return r->c.live_count > 0;
    if (strcmp(command, "peak") == 0)
        return r->c.peak_count > 0 || r->c.peak_bytes > 0;
    return 1;
}

/* One report over SNAPS[0..N): symbolize, group, filter, sort, render. */
static void run_report(const struct opts *o, const struct snap *snaps, size_t n,
                       size_t index, size_t width)
{
    struct site_opts so = {o->alloc_fns, o->nalloc_fns, o->native != 0};
    struct out_snapinfo *info = calloc(n, sizeof *info);
    struct symbolizer **syms = calloc(n, sizeof *syms);
    if (!info || !syms)
        report_oom();
    struct grouper *g = grouper_new(o->by, &so, o->sort);
    for (size_t i = 0; i < n; i++) {
        snapinfo_of(&snaps[i], &info[i]);
        syms[i] = sym_new(&snaps[i], 0);
        grouper_add(g, &snaps[i], syms[i]);
    }
    size_t nrows = 0, kept = 0;
    struct out_row *rows = grouper_finish(g, &nrows);
    struct counters totals = {0};
    for (size_t i = 0; i < nrows; i++) {
        if (!keep_row(o->command, &rows[i])) {
            free(rows[i].key);
            free(rows[i].stack);
            continue;
        }
        counters_add(&totals, &rows[i].c);
        rows[kept++] = rows[i];
    }
    rows_sort(rows, kept, o->sort);

    struct out_report r = {
        .command = o->command,
        .group_by = group_by_name(o->by),
        .sort = o->sort,
        .snaps = info,
        .nsnaps = n,
        .merged = o->merge != 0,
        .totals = totals,
        .total_rows = kept,
        .rows = rows,
        .nrows = o->limit && o->limit < kept ? o->limit : kept,
        .limit = o->limit,
        .stack_depth = o->stack_depth,
        .width = width,
    };
    o->format->report(stdout, &r, index);

    rows_free(rows, kept);
    for (size_t i = 0; i < n; i++)
        sym_free(syms[i]);
    free(syms);
    free(info);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"group-by", required_argument, NULL, 'g'},
        {"sort", required_argument, NULL, 's'},
        {"format", required_argument, NULL, 'f'},
        {"stack-depth", required_argument, NULL, 'd'},
        {"alloc-fn", required_argument, NULL, 'a'},
        {"native", no_argument, NULL, 'N'},
        {"merge", no_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    struct opts o = {
        .by = GROUP_LINE, .limit = 10, .format = &out_format_table, .stack_depth = 8,
    };
    if (argc >= 2 && argv[1][0] != '-') {
        o.command = argv[1];
        argv[1] = argv[0];
        argv++;
        argc--;
    }
    o.alloc_fns = calloc((size_t)argc + 1, sizeof *o.alloc_fns);
    if (!o.alloc_fns)
        report_oom();
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":n:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'g':
            if (group_by_from_name(optarg, &o.by) != 0)
                bad_usage("unknown --group-by '%s' (line, function, file, stack)", optarg);
            break;
        case 's':
            if (metric_from_sort_name(optarg, &o.sort) != 0)
                bad_usage("unknown --sort '%s' (bytes, count, live, live-count, peak, "
                          "peak-count)", optarg);
            o.sort_set = 1;
            break;
        case 'f':
            if (!(o.format = out_format_find(optarg)))
                bad_usage("unknown --format '%s' (table, json)", optarg);
            break;
        case 'd': o.stack_depth = parse_size("--stack-depth", optarg); break;
        case 'n': o.limit = parse_size("-n", optarg); break;
        case 'a': o.alloc_fns[o.nalloc_fns++] = optarg; break;
        case 'N': o.native = 1; break;
        case 'm': o.merge = 1; break;
        case 'h':
            usage(stdout);
            free(o.alloc_fns);
            return 0;
        case 'V':
            printf("mtrace-report %s (reads snapshot format version %u)\n",
                   MTRACE_VERSION_STRING, MT_FILE_VERSION);
            free(o.alloc_fns);
            return 0;
        case ':':
            bad_usage("option '%s' needs an argument", argv[optind - 1]);
        default:
            bad_usage("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (!o.command)
        bad_usage("%s", "missing COMMAND (top, leaks, peak, dump)");
    int is_dump = strcmp(o.command, "dump") == 0;
    if (!is_dump && strcmp(o.command, "top") != 0 && strcmp(o.command, "leaks") != 0 &&
        strcmp(o.command, "peak") != 0)
        bad_usage("unknown command '%s' (top, leaks, peak, dump)", o.command);
    if (optind >= argc)
        bad_usage("%s: no SNAPSHOT given", o.command);
    if (is_dump && o.format != &out_format_table)
        bad_usage("%s", "dump prints text only (no --format)");
    if (!o.sort_set)
        o.sort = strcmp(o.command, "leaks") == 0  ? METRIC_LIVE_BYTES
                 : strcmp(o.command, "peak") == 0 ? METRIC_PEAK_BYTES
                                                  : METRIC_ALLOC_BYTES;

    size_t nsnaps = (size_t)(argc - optind);
    struct snap *snaps = calloc(nsnaps, sizeof *snaps);
    if (!snaps)
        report_oom();
    int rc = 0;
    for (size_t i = 0; i < nsnaps; i++) {
        char err[512];
        const char *path = argv[optind + (int)i];
        if (snap_load(path, &snaps[i], err, sizeof err) != 0) {
            fprintf(stderr, "mtrace-report: %s: %s\n", path, err);
            rc = EXIT_USAGE;
            break;
        }
    }
    if (rc == 0 && is_dump) {
        for (size_t i = 0; i < nsnaps; i++) {
            if (i)
                fputc('\n', stdout);
            dump_snapshot(stdout, &snaps[i]);
        }
    } else if (rc == 0) {
        size_t width = output_width();
        size_t nreports = o.merge ? 1 : nsnaps;
        o.format->begin(stdout, nreports);
        if (o.merge)
            run_report(&o, snaps, nsnaps, 0, width);
        else
            for (size_t i = 0; i < nsnaps; i++)
                run_report(&o, &snaps[i], 1, i, width);
        o.format->end(stdout, nreports);
    }
    for (size_t i = 0; i < nsnaps; i++)
        snap_free(&snaps[i]);
    free(snaps);
    free(o.alloc_fns);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fputs("mtrace-report: error writing output\n", stderr);
        return EXIT_USAGE;
    }
    return rc;
}
