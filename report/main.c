/* mtrace-report entry point: command-line parsing and dispatch to the
 * commands (top, leaks, peak, diff, check, procs, timeline in cmd_*.c; dump
 * in dump.c). Loads and validates every snapshot first (any error: one line
 * on stderr, exit 2; --rss-only files only for timeline, procs, dump), then
 * opens the output (-o FILE, else stdout) and sets up the terminal
 * (term.h). Exit codes: 0 ok, 1 check found what it gates on, 2 bad usage or
 * unreadable/invalid input, or output that could not be written. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "commands.h"
#include "dump.h"
#include "help.h"
#include "humanize.h"
#include "site.h"
#include "snapshot_read.h"
#include "term.h"
#include "textutil.h"

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

static uint64_t parse_u64(const char *opt, const char *s)
{
    char *end;
    if (!*s || *s == '-' || *s == '+')
        bad_usage("%s needs a non-negative number", opt);
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || errno)
        bad_usage("%s needs a non-negative number", opt);
    return v;
}

static uint64_t parse_bytes(const char *opt, const char *s)
{
    uint64_t v;
    if (hz_parse_size(s, &v) != 0)
        bad_usage("%s needs a size in bytes (digits, optionally K, M, G, T)", opt);
    return v;
}

/* --classes definite,indirect,...: a mask of enum mt_leak_class. */
static unsigned parse_classes(const char *s)
{
    unsigned mask = 0;
    const char *p = s;
    while (*p) {
        size_t len = strcspn(p, ",");
        unsigned k = 0;
        while (k < MT_LEAK_CLASSES && (strlen(snap_leak_class_name(k)) != len ||
                                       strncmp(p, snap_leak_class_name(k), len) != 0))
            k++;
        if (k == MT_LEAK_CLASSES)
            bad_usage("unknown class in --classes '%s' (definite, indirect, possible, "
                      "reachable, comma-separated)", s);
        mask |= 1u << k;
        p += len;
        if (*p == ',' && *++p == '\0')
            bad_usage("unknown class in --classes '%s' (trailing comma)", s);
    }
    if (!mask)
        bad_usage("%s", "--classes needs at least one class");
    return mask;
}

/* Long-option codes above the char range. */
enum {
    OPT_GROUP = 256, OPT_SORT, OPT_FORMAT, OPT_DEPTH, OPT_ALLOC_FN, OPT_NATIVE, OPT_MERGE,
    OPT_VERSION, OPT_METRIC, OPT_ALL, OPT_FORCE, OPT_FRAMES,
    OPT_MAX_BYTES, OPT_MAX_BLOCKS, OPT_CLASSES, OPT_SUPP, OPT_NO_DEFAULTS, OPT_JUNIT,
    OPT_MAX_GROWTH, OPT_COLOR,
    OPT_FILTER, /* OPT_FILTER + 2 * kind + exclude */
};

struct parsed {
    struct report_opts o;
    const char **alloc_fns;
    bool sort_set, filters_set, group_set, limit_set, unit_set, format_set;
    bool flamegraph;         /* flamegraph: top --format html */
    const char *output;      /* -o FILE, or NULL: stdout */
    enum term_color_mode color;
    const char *diff_only;   /* name of the first diff-only option given */
    const char *check_only;  /* the first option only check takes */
    const char *leak_only;   /* the first option of check's leak gate */
};

/* Remember the first check-only (and leak-gate-only) option given. */
static void note(const char **check_only, const char **leak_only, const char *name)
{
    if (!*check_only)
        *check_only = name;
    if (leak_only && !*leak_only)
        *leak_only = name;
}

static void parse(int argc, char **argv, struct parsed *p)
{
    static const struct option longopts[] = {
        {"group-by", required_argument, NULL, OPT_GROUP},
        {"sort", required_argument, NULL, OPT_SORT},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"stack-depth", required_argument, NULL, OPT_DEPTH},
        {"alloc-fn", required_argument, NULL, OPT_ALLOC_FN},
        {"native", no_argument, NULL, OPT_NATIVE},
        {"merge", no_argument, NULL, OPT_MERGE},
        {"help", no_argument, NULL, 'h'},
        {"output", required_argument, NULL, 'o'},
        {"color", optional_argument, NULL, OPT_COLOR},
        {"colour", optional_argument, NULL, OPT_COLOR},
        {"version", no_argument, NULL, OPT_VERSION},
        {"metric", required_argument, NULL, OPT_METRIC},
        {"all", no_argument, NULL, OPT_ALL},
        {"force", no_argument, NULL, OPT_FORCE},
        {"filter-frames", required_argument, NULL, OPT_FRAMES},
        {"max-leaked-bytes", required_argument, NULL, OPT_MAX_BYTES},
        {"max-leaked-blocks", required_argument, NULL, OPT_MAX_BLOCKS},
        {"classes", required_argument, NULL, OPT_CLASSES},
        {"suppressions", required_argument, NULL, OPT_SUPP},
        {"no-default-suppressions", no_argument, NULL, OPT_NO_DEFAULTS},
        {"junit", required_argument, NULL, OPT_JUNIT},
        {"max-growth", required_argument, NULL, OPT_MAX_GROWTH},
        {"include-file", required_argument, NULL, OPT_FILTER + 2 * FILTER_FILE},
        {"exclude-file", required_argument, NULL, OPT_FILTER + 2 * FILTER_FILE + 1},
        {"include-function", required_argument, NULL, OPT_FILTER + 2 * FILTER_FUNCTION},
        {"exclude-function", required_argument, NULL, OPT_FILTER + 2 * FILTER_FUNCTION + 1},
        {"include-module", required_argument, NULL, OPT_FILTER + 2 * FILTER_MODULE},
        {"exclude-module", required_argument, NULL, OPT_FILTER + 2 * FILTER_MODULE + 1},
        {NULL, 0, NULL, 0},
    };
    struct report_opts *o = &p->o;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":n:ho:", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_GROUP:
            if (group_by_from_name(optarg, &o->by) != 0)
                bad_usage("unknown --group-by '%s' (line, function, file, stack)", optarg);
            p->group_set = true;
            break;
        case OPT_SORT:
            if (metric_from_sort_name(optarg, &o->sort) != 0)
                bad_usage("unknown --sort '%s' (bytes, count, live, live-count, peak, "
                          "peak-count, lost, lost-count, definite, indirect, possible, "
                          "reachable)", optarg);
            p->sort_set = o->sort_given = true;
            break;
        case OPT_MAX_BYTES:
            o->check.max_bytes = parse_bytes("--max-leaked-bytes", optarg);
            note(&p->check_only, &p->leak_only, "--max-leaked-bytes");
            break;
        case OPT_MAX_BLOCKS:
            o->check.max_blocks = parse_u64("--max-leaked-blocks", optarg);
            note(&p->check_only, &p->leak_only, "--max-leaked-blocks");
            break;
        case OPT_CLASSES:
            o->check.classes = parse_classes(optarg);
            note(&p->check_only, &p->leak_only, "--classes");
            break;
        case OPT_SUPP:
            o->check.supp_files[o->check.nsupp_files++] = optarg;
            note(&p->check_only, &p->leak_only, "--suppressions");
            break;
        case OPT_NO_DEFAULTS:
            o->check.no_defaults = true;
            note(&p->check_only, &p->leak_only, "--no-default-suppressions");
            break;
        case OPT_JUNIT:
            o->check.junit = optarg;
            note(&p->check_only, NULL, "--junit");
            break;
        case OPT_MAX_GROWTH:
            o->check.max_growth = parse_bytes("--max-growth", optarg);
            o->check.growth = true;
            note(&p->check_only, NULL, "--max-growth");
            break;
        case OPT_FORMAT:
            if (!(o->format = out_format_find(optarg)))
                bad_usage("unknown --format '%s' (table, json, folded, pprof, html); timeline "
                          "also takes csv", optarg);
            p->format_set = true;
            break;
        case 'o':
            p->output = optarg;
            break;
        case OPT_COLOR: {
            int m = term_color_from_name(optarg ? optarg : "always");
            if (m < 0)
                bad_usage("unknown --color '%s' (auto, always, never)", optarg);
            p->color = (enum term_color_mode)m;
            break;
        }
        case OPT_DEPTH: o->stack_depth = parse_size("--stack-depth", optarg); break;
        case 'n':
            o->limit = parse_size("-n", optarg);
            p->limit_set = true;
            break;
        case OPT_ALLOC_FN: p->alloc_fns[o->so.nalloc_fns++] = optarg; break;
        case OPT_NATIVE: o->so.native = true; break;
        case OPT_MERGE: o->merge = true; break;
        case OPT_METRIC:
            /* bytes|count: folded's value; live|alloc|peak: what diff compares */
            if (strcmp(optarg, "bytes") == 0 || strcmp(optarg, "count") == 0) {
                o->unit = strcmp(optarg, "count") == 0 ? UNIT_COUNT : UNIT_BYTES;
                p->unit_set = true;
                break;
            }
            if (diff_metric_from_name(optarg, &o->diff_metric) != 0)
                bad_usage("unknown --metric '%s' (bytes, count with --format folded; live, "
                          "alloc, peak for diff)", optarg);
            if (!p->diff_only)
                p->diff_only = "--metric";
            break;
        case OPT_ALL:
            o->all = true;
            if (!p->diff_only)
                p->diff_only = "--all";
            break;
        case OPT_FORCE:
            o->force = true;
            if (!p->diff_only)
                p->diff_only = "--force";
            break;
        case OPT_FRAMES:
            if (strcmp(optarg, "site") != 0 && strcmp(optarg, "any") != 0)
                bad_usage("unknown --filter-frames '%s' (site, any)", optarg);
            o->filter.any_frame = strcmp(optarg, "any") == 0;
            p->filters_set = true;
            break;
        case 'h':
            help_command(stdout, o->command);
            exit(0);
        case OPT_VERSION:
            printf("mtrace-report %s (reads snapshot format version %u)\n",
                   MTRACE_VERSION_STRING, MT_FILE_VERSION);
            exit(0);
        case ':':
            bad_usage("option '%s' needs an argument", argv[optind - 1]);
        default:
            if (c >= OPT_FILTER && c < OPT_FILTER + 2 * FILTER_NKINDS) {
                filter_add(&o->filter, (c - OPT_FILTER) % 2 != 0,
                           (enum filter_kind)((c - OPT_FILTER) / 2), optarg);
                p->filters_set = true;
                break;
            }
            bad_usage("unknown option '%s'", argv[optind - 1]);
        }
    }
}

/* timeline: table, json, csv or html; -n is its table's rows (default
 * TL_DEFAULT_ROWS); the report's grouping and filters shape its lines. */
#define TL_DEFAULT_ROWS 20
static void validate_timeline(struct parsed *p)
{
    struct report_opts *o = &p->o;
    const struct out_format *f = o->format;
    if (f != &out_format_table && f != &out_format_json && f != &out_format_csv &&
        f != &out_format_html)
        bad_usage("timeline prints a table, json, csv or html (no --format %s)", f->name);
    if (f->binary && !p->output && isatty(STDOUT_FILENO))
        bad_usage("%s", "--format html writes a web page: give -o FILE.html (or redirect "
                  "stdout)");
    if (p->sort_set)
        bad_usage("%s", "timeline is in time order (no --sort)");
    if (o->merge)
        bad_usage("%s", "timeline gives one series per process (no --merge)");
    if (p->unit_set)
        bad_usage("%s", "--metric bytes|count is an option of --format folded");
    if (p->diff_only)
        bad_usage("%s is an option of diff", p->diff_only);
    if (p->check_only)
        bad_usage("%s is an option of check", p->check_only);
    if (!p->limit_set)
        o->limit = TL_DEFAULT_ROWS;
}

/* Only timeline, procs and dump read an --rss-only file: the others need
 * stacks. */
static int refuse_rss_only(const char *cmd, const struct snap *snaps, size_t n)
{
    if (strcmp(cmd, "timeline") == 0 || strcmp(cmd, "procs") == 0 ||
        strcmp(cmd, "dump") == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (snap_rss_only(&snaps[i])) {
            struct sbuf b = {0};
            sb_add_clean(&b, snaps[i].path);
            fprintf(stderr, "mtrace-report: %s: holds only an RSS timeline (mtrace-run "
                    "--rss-only); use mtrace-report timeline\n", sb_str(&b));
            sb_free(&b);
            return EXIT_USAGE;
        }
    return 0;
}

static void validate_usage(struct parsed *p, int nsnaps)
{
    struct report_opts *o = &p->o;
    const char *cmd = o->command;
    bool is_dump = strcmp(cmd, "dump") == 0, is_diff = strcmp(cmd, "diff") == 0;
    bool is_check = strcmp(cmd, "check") == 0, is_procs = strcmp(cmd, "procs") == 0;
    bool is_timeline = strcmp(cmd, "timeline") == 0;
    if (!is_dump && !is_diff && !is_check && !is_procs && !is_timeline &&
        strcmp(cmd, "top") != 0 && strcmp(cmd, "leaks") != 0 && strcmp(cmd, "peak") != 0)
        bad_usage("unknown command '%s' (top, leaks, peak, diff, check, procs, timeline, "
                  "dump, flamegraph)", cmd);
    if (nsnaps == 0)
        bad_usage("%s: no SNAPSHOT given", p->flamegraph ? "flamegraph" : cmd);
    if (is_timeline) {
        validate_timeline(p);
        return;
    }
    if (o->format == &out_format_csv)
        bad_usage("%s", "--format csv is timeline's (the raw series: mtrace-report timeline "
                  "--format csv SNAPSHOT...)");
    if (p->flamegraph) {
        if (p->format_set && o->format != &out_format_html)
            bad_usage("flamegraph writes --format html (for --format %s use top)",
                      o->format->name);
        o->format = &out_format_html;
    }
    const struct out_format *f = o->format;
    if (is_dump && f != &out_format_table)
        bad_usage("%s", "dump prints text only (no --format)");
    if (is_procs && f != &out_format_table && f != &out_format_json)
        bad_usage("procs prints a table or JSON (no --format %s)", f->name);
    if (is_check && f != &out_format_table && f != &out_format_json)
        bad_usage("check prints a table or JSON (no --format %s)", f->name);
    if (p->unit_set && f != &out_format_folded)
        bad_usage("%s", "--metric bytes|count is an option of --format folded");
    if (is_diff && !f->diff)
        bad_usage("diff has no --format %s: pprof compares two profiles itself (write one "
                  "per snapshot with top --format pprof -o FILE, then go tool pprof "
                  "-diff_base OLD.pb.gz NEW.pb.gz)", f->name);
    if (f->per_stack) {
        if (p->group_set && o->by != GROUP_STACK)
            bad_usage("--format %s draws whole stacks (no --group-by: flame graph tools "
                      "and pprof merge frames themselves)", f->name);
        o->by = GROUP_STACK;
        if (!p->limit_set)
            o->limit = 0;     /* a profile of every stack */
    }
    if (f->binary && !p->output && isatty(STDOUT_FILENO))
        bad_usage(f == &out_format_html
                      ? "--format %s writes a web page: give -o FILE.html (or redirect stdout)"
                      : "--format %s writes gzip'd binary data: give -o FILE (or redirect stdout)",
                  f->name);
    if (is_dump && p->filters_set)
        bad_usage("%s", "dump prints every record (no filters)");
    if (is_diff && nsnaps != 2)
        bad_usage("%s", "diff needs exactly two snapshots: OLD NEW");
    if (is_diff && p->sort_set)
        bad_usage("%s", "diff sorts by the size of the change (no --sort; see --metric)");
    if (is_diff && o->merge)
        bad_usage("%s", "diff compares two snapshots (no --merge)");
    if (!is_check && p->check_only)
        bad_usage("%s is an option of check", p->check_only);
    if (is_check) {
        /* --force also serves the growth gate, which compares like diff. */
        if (p->diff_only && (strcmp(p->diff_only, "--force") != 0 || !o->check.growth))
            bad_usage(strcmp(p->diff_only, "--force") == 0
                          ? "%s is an option of diff and check --max-growth"
                          : "%s is an option of diff", p->diff_only);
        if (p->sort_set)
            bad_usage("%s", "check sorts by the gated bytes (no --sort)");
        if (o->merge)
            bad_usage("%s", "check sums every snapshot given (no --merge)");
        if (o->check.growth && p->leak_only)
            bad_usage("%s is an option of the leak gate, not of --max-growth", p->leak_only);
        if (o->check.growth && nsnaps != 2)
            bad_usage("%s", "check --max-growth needs exactly two snapshots: OLD NEW");
        if (!p->group_set)
            o->by = GROUP_STACK; /* a leak is reported per stack, as LeakSanitizer does */
    } else if (!is_diff && p->diff_only) {
        bad_usage("%s is an option of diff", p->diff_only);
    }
    if (!p->sort_set)
        o->sort = strcmp(cmd, "leaks") == 0  ? METRIC_LIVE_BYTES
                  : strcmp(cmd, "peak") == 0 ? METRIC_PEAK_BYTES
                                             : METRIC_ALLOC_BYTES;
}

int main(int argc, char **argv)
{
    struct parsed p;
    memset(&p, 0, sizeof p);
    p.o.by = GROUP_LINE;
    p.o.limit = 10;
    p.o.format = &out_format_table;
    p.o.stack_depth = 8;
    p.o.diff_metric = DIFF_LIVE;
    p.o.check.classes = CHECK_DEFAULT_CLASSES;
    if (argc >= 2 && argv[1][0] != '-') {
        p.o.command = argv[1];

        argv[1] = argv[0];
        argv++;
        argc--;
    }
    p.alloc_fns = calloc((size_t)argc + 1, sizeof *p.alloc_fns);
    p.o.check.supp_files = calloc((size_t)argc + 1, sizeof *p.o.check.supp_files);
    if (!p.alloc_fns || !p.o.check.supp_files)
        report_oom();
    p.o.so.alloc_fns = p.alloc_fns;
    parse(argc, argv, &p);
    /* flamegraph is the short name of top --format html (its --help apart) */
    if (p.o.command && strcmp(p.o.command, "flamegraph") == 0) {
        p.flamegraph = true;
        p.o.command = "top";
    }
    if (!p.o.command)
        bad_usage("%s", "missing COMMAND (top, leaks, peak, diff, check, procs, timeline, dump)");
    validate_usage(&p, argc - optind);

    size_t nsnaps = (size_t)(argc - optind);
    FILE *out = stdout;
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
    if (rc == 0)
        rc = refuse_rss_only(p.o.command, snaps, nsnaps);
    /* Opened once every snapshot is good: a bad one leaves FILE alone. */
    if (rc == 0 && p.output && !(out = fopen(p.output, "wb"))) {
        struct sbuf b = {0};
        sb_add_clean(&b, p.output);
        fprintf(stderr, "mtrace-report: -o %s: %s\n", sb_str(&b), strerror(errno));
        sb_free(&b);
        out = stdout;
        rc = EXIT_USAGE;
    }
    p.o.out = out;
    term_init(out, p.color);
    if (rc == 0 && strcmp(p.o.command, "dump") == 0) {
        for (size_t i = 0; i < nsnaps; i++) {
            if (i)
                fputc('\n', out);
            dump_snapshot(out, &snaps[i]);
        }
    } else if (rc == 0) {
        p.o.width = term_width(fileno(out));
        rc = strcmp(p.o.command, "diff") == 0    ? cmd_diff(&p.o, snaps, nsnaps)
             : strcmp(p.o.command, "check") == 0 ? cmd_check(&p.o, snaps, nsnaps)
             : strcmp(p.o.command, "procs") == 0 ? cmd_procs(&p.o, snaps, nsnaps)
             : strcmp(p.o.command, "timeline") == 0 ? cmd_timeline(&p.o, snaps, nsnaps)
                                                 : cmd_report(&p.o, snaps, nsnaps);
    }
    for (size_t i = 0; i < nsnaps; i++)
        snap_free(&snaps[i]);
    free(snaps);
    free(p.alloc_fns);
    free(p.o.check.supp_files);
    filter_free(&p.o.filter);
    bool failed = fflush(out) != 0 || ferror(out);
    if (out != stdout && fclose(out) != 0)
        failed = true;
    if (failed) {
        fputs("mtrace-report: error writing output\n", stderr);
        return EXIT_USAGE;
    }
    return rc;
}
