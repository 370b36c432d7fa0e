/* check SNAPSHOT... (see check.h): the leak gate. Every snapshot must carry
 * leak classes (the shim's scan at exit); their stacks are symbolized,
 * filtered, and each stack with blocks in a gated class is offered to the
 * suppressions (suppress.h) before grouping, so a suppression sees whole
 * stacks, as LeakSanitizer's do, whatever --group-by says. The rest is
 * summed over all snapshots (a process tree) and held against the
 * thresholds. With --junit, each snapshot is also evaluated alone for its
 * own test case. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "junit.h"
#include "commands.h"
#include "model.h"
#include "symbolize.h"

struct hook_ctx {
    struct supp_set *set;
    const struct site_opts *so;
    unsigned mask;
    uint64_t stacks, blocks, bytes;   /* suppressed */
};

/* Drop (and count) a stack with gated blocks that a suppression matches.
 * Stacks without gated blocks are kept untouched: they add nothing to the
 * gate, and matching them would only cost time. */
static bool suppress_hook(void *ctx, const struct rframe *frames, size_t n,
                          const struct counters *c)
{
    struct hook_ctx *h = ctx;
    uint64_t blocks = counters_class_count(c, h->mask), bytes = counters_class_bytes(c, h->mask);
    if (!blocks && !bytes)
        return false;
    struct supp *s = supp_match(h->set, frames, n, h->so);
    if (!s)
        return false;
    supp_note(s, blocks, bytes);
    h->stacks = sat_add64(h->stacks, 1);
    h->blocks = sat_add64(h->blocks, blocks);
    h->bytes = sat_add64(h->bytes, bytes);
    return true;
}

static unsigned sort_mask;

/* Most gated bytes first, then most gated blocks, then key. */
static int gated_cmp(const void *a, const void *b)
{
    const struct out_row *x = a, *y = b;
    uint64_t bx = counters_class_bytes(&x->c, sort_mask);
    uint64_t by = counters_class_bytes(&y->c, sort_mask);
    if (bx != by)
        return bx > by ? -1 : 1;
    uint64_t cx = counters_class_count(&x->c, sort_mask);
    uint64_t cy = counters_class_count(&y->c, sort_mask);
    if (cx != cy)
        return cx > cy ? -1 : 1;
    return strcmp(x->key, y->key);
}

/* The representative stack of a row: the one with the most bytes in the
 * first gated class (lost bytes when definite or indirect are gated). */
static enum metric rep_metric(unsigned mask)
{
    if (mask & CHECK_DEFAULT_CLASSES)
        return METRIC_LOST_BYTES;
    return mask & 1u << MT_LEAK_POSSIBLE ? METRIC_POSSIBLE_BYTES : METRIC_REACHABLE_BYTES;
}

/* Evaluate SNAPS[0..N) (symbolized with SYMS, headers INFO) into R; the
 * rows, the suppressions used and the filter stats it points to are
 * allocated and handed back through ROWS, USED and STATS. */
static void evaluate(const struct report_opts *o, struct supp_set *set,
                     const struct snap *snaps, struct symbolizer *const *syms,
                     const struct out_snapinfo *info, size_t n, struct check_result *r,
                     struct out_row **rows_out, struct check_use **used_out,
                     struct out_filtered *stats)
{
    const unsigned mask = o->check.classes;
    supp_reset_usage(set);
    struct hook_ctx h = {.set = set, .so = &o->so, .mask = mask};
    struct row_spec sp = {.by = o->by, .so = &o->so, .filter = &o->filter,
                          .rep = rep_metric(mask), .hook = suppress_hook, .hook_ctx = &h};
    size_t nrows = 0, kept = 0;
    struct out_row *rows = rows_build(&sp, snaps, syms, n, &nrows, stats);
    memset(r, 0, sizeof *r);
    for (size_t i = 0; i < nrows; i++) {
        counters_add(&r->totals, &rows[i].c);
        if (!counters_class_count(&rows[i].c, mask) && !counters_class_bytes(&rows[i].c, mask)) {
            free(rows[i].key);
            free(rows[i].stack);
            continue;
        }
        rows[kept++] = rows[i];
    }
    sort_mask = mask;
    if (kept > 1)
        qsort(rows, kept, sizeof *rows, gated_cmp);

    size_t nused = 0;
    struct check_use *used = calloc(set->n ? set->n : 1, sizeof *used);
    if (!used)
        report_oom();
    for (size_t k = 0; k < set->n; k++)
        if (set->v[k].stacks)
            used[nused++] = (struct check_use){&set->v[k], set->v[k].stacks, set->v[k].blocks,
                                               set->v[k].bytes};

    r->snaps = info;
    r->nsnaps = n;
    r->group_by = group_by_name(o->by);
    r->classes = mask;
    r->max_bytes = o->check.max_bytes;
    r->max_blocks = o->check.max_blocks;
    r->bytes = counters_class_bytes(&r->totals, mask);
    r->blocks = counters_class_count(&r->totals, mask);
    r->supp_stacks = h.stacks;
    r->supp_bytes = h.bytes;
    r->supp_blocks = h.blocks;
    r->used = used;
    r->nused = nused;
    r->rows = rows;
    r->total_rows = kept;
    r->nrows = o->limit && o->limit < kept ? o->limit : kept;
    r->limit = o->limit;
    r->stack_depth = o->stack_depth;
    r->width = o->width;
    r->filtered = filter_active(&o->filter) ? stats : NULL;
    r->supp_files = o->check.supp_files;
    r->nsupp_files = o->check.nsupp_files;
    r->defaults = !o->check.no_defaults;
    r->failed = r->bytes > r->max_bytes || r->blocks > r->max_blocks;
    *rows_out = rows;
    *used_out = used;
}

/* Why S has no leak classes, for the one-line error. */
static const char *why_unscanned(const struct snap *s)
{
    if (s->hdr.reason != MT_REASON_EXIT)
        return "it was not written at exit (check needs the exit snapshot, whose live "
               "blocks were classified)";
    return "the heap was not scanned at exit (MTRACE_LEAK_SCAN=0, or written by an "
           "mtrace without leak scans)";
}

/* The JUnit document: one test case per snapshot; one that adds gated
 * leaks to a failing gate fails, with its own leak report as the text. */
static int write_junit(const struct report_opts *o, struct supp_set *set,
                       const struct snap *snaps, struct symbolizer *const *syms,
                       const struct out_snapinfo *info, size_t n, bool failed)
{
    struct junit_case *cases = calloc(n, sizeof *cases);
    char **texts = calloc(n, sizeof *texts);
    struct sbuf *names = calloc(n, sizeof *names), *msgs = calloc(n, sizeof *msgs);
    if (!cases || !texts || !names || !msgs)
        report_oom();
    for (size_t i = 0; i < n; i++) {
        struct check_result one;
        struct out_row *rows;
        struct check_use *used;
        struct out_filtered stats;
        evaluate(o, set, &snaps[i], &syms[i], &info[i], 1, &one, &rows, &used, &stats);
        const char *prog = info[i].program[0] ? info[i].program : "?";
        const char *base = strrchr(prog, '/');
        sb_printf(&names[i], "%s pid %llu (%s)", base ? base + 1 : prog,
                  (unsigned long long)info[i].pid, info[i].file);
        cases[i].name = sb_str(&names[i]);
        cases[i].classname = "mtrace.check";
        if (failed && (one.bytes || one.blocks)) {
            check_summary(&msgs[i], &one);
            cases[i].message = sb_str(&msgs[i]);
            size_t len = 0;
            FILE *mem = open_memstream(&texts[i], &len);
            if (!mem)
                report_oom();
            one.failed = true; /* the gate failed over all snapshots */
            check_table(mem, &one);
            if (fclose(mem) != 0)
                report_oom();
            cases[i].text = texts[i];
        }
        rows_free(rows, one.total_rows);
        free(used);
    }
    char err[512];
    int rc = junit_write(o->check.junit, "mtrace leak check", cases, n, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "mtrace-report: %s\n", err);
    for (size_t i = 0; i < n; i++) {
        free(texts[i]);
        sb_free(&names[i]);
        sb_free(&msgs[i]);
    }
    free(texts);
    free(names);
    free(msgs);
    free(cases);
    return rc;
}

int cmd_check(const struct report_opts *o, const struct snap *snaps, size_t n)
{
    if (o->check.growth)
        return cmd_check_growth(o, snaps, n);
    for (size_t i = 0; i < n; i++)
        if (snaps[i].hdr.leak_scan == MT_SCAN_NONE) {
            struct sbuf p = {0};
            sb_add_clean(&p, snaps[i].path);
            fprintf(stderr, "mtrace-report: %s: no leak classes: %s\n", sb_str(&p),
                    why_unscanned(&snaps[i]));
            sb_free(&p);
            return EXIT_USAGE;
        }
    /* A partial scan moved what would be lost to "possibly lost": say so,
     * or a gate on the default classes would pass in silence. */
    for (size_t i = 0; i < n; i++)
        if (snaps[i].hdr.leak_scan == MT_SCAN_PARTIAL &&
            !(o->check.classes & 1u << MT_LEAK_POSSIBLE)) {
            struct sbuf p = {0};
            sb_add_clean(&p, snaps[i].path);
            unsigned missed = snaps[i].hdr.leak_threads_missed;
            fprintf(stderr, "mtrace-report: warning: %s: partial leak scan (%u thread%s not "
                    "scanned): its lost blocks count as possibly lost, which this gate does "
                    "not count (--classes possible does)\n", sb_str(&p), missed,
                    missed == 1 ? "" : "s");
            sb_free(&p);
        }
    struct supp_set set = {0};
    for (size_t i = 0; i < o->check.nsupp_files; i++) {
        char err[512];
        if (supp_load_file(&set, o->check.supp_files[i], err, sizeof err) != 0) {
            fprintf(stderr, "mtrace-report: %s\n", err);
            supp_free(&set);
            return EXIT_USAGE;
        }
    }
    if (!o->check.no_defaults)
        supp_add_defaults(&set);

    struct symbolizer **syms = calloc(n, sizeof *syms);
    struct out_snapinfo *info = calloc(n, sizeof *info);
    if (!syms || !info)
        report_oom();
    for (size_t i = 0; i < n; i++) {
        syms[i] = sym_new(&snaps[i], 0);
        snapinfo_of(&snaps[i], &info[i]);
    }
    struct check_result all;
    struct out_row *rows;
    struct check_use *used;
    struct out_filtered stats;
    evaluate(o, &set, snaps, syms, info, n, &all, &rows, &used, &stats);
    if (o->format == &out_format_json)
        check_json(o->out, &all);
    else
        check_table(o->out, &all);
    int rc = all.failed ? EXIT_FOUND : 0;
    if (o->check.junit && write_junit(o, &set, snaps, syms, info, n, all.failed) != 0)
        rc = EXIT_USAGE;
    rows_free(rows, all.total_rows);
    free(used);
    for (size_t i = 0; i < n; i++)
        sym_free(syms[i]);
    free(syms);
    free(info);
    supp_free(&set);
    return rc;
}

void check_help(FILE *out)
{
    fputs("usage: mtrace-report check [options] SNAPSHOT...\n"
          "       mtrace-report check --max-growth BYTES [options] OLD NEW\n"
          "\n"
          "The CI gate. SNAPSHOT... are the snapshots a traced run wrote at exit (one\n"
          "per process: a process tree is summed). Their blocks still allocated were\n"
          "classified at exit like memcheck does: definitely lost (no pointer to\n"
          "them), indirectly lost (only lost blocks point to them), possibly lost\n"
          "(only interior pointers), still reachable. check sums the blocks of the\n"
          "gated classes, drops the stacks a suppression matches, and fails when what\n"
          "is left exceeds a threshold. A snapshot without classes (not written at\n"
          "exit, or MTRACE_LEAK_SCAN=0) is an error.\n"
          "\n"
          "Example:\n"
          "  MTRACE_OUT=/tmp/snaps/%e.%p.%n.snap LD_PRELOAD=libmtrace.so make test\n"
          "  mtrace-report check --suppressions lsan.supp --junit leaks.xml /tmp/snaps/*.snap\n"
          "\n"
          "Options:\n"
          "  --max-leaked-bytes N   fail above N bytes (default 0; 1K = 1024, also M, G)\n"
          "  --max-leaked-blocks N  fail above N blocks (default 0)\n"
          "  --classes LIST         gated classes, comma-separated, of definite, indirect,\n"
          "                         possible, reachable (default definite,indirect: what\n"
          "                         LeakSanitizer reports)\n"
          "  --suppressions FILE    LeakSanitizer suppressions (repeatable): lines\n"
          "                         leak:PATTERN, matched against the function, source\n"
          "                         file and module path of every frame of a stack (a\n"
          "                         Python frame's function and file), and\n"
          "                         called_from_lib:PATTERN, against the module of the\n"
          "                         allocation site; '*' any text, '^' and '$' anchor\n"
          "                         the start and end, else a match anywhere; '#'\n"
          "                         comments. Other types (race:...) are ignored\n"
          "  --no-default-suppressions  turn the built-in ones (below) off\n"
          "  --format table|json    output (default table; JSON in docs/JSON.md)\n"
          "  -o, --output FILE      write to FILE instead of stdout\n"
          "  --color[=auto|always|never]  colour the table (default auto: on a\n"
          "                         terminal unless NO_COLOR is set)\n"
          "  --junit FILE           also write JUnit XML: one test case per snapshot\n"
          "  -n N                   show N leaking groups (default 10, 0 = all)\n"
          "  --group-by line|function|file|stack  (default stack, one stack per leak\n"
          "                         like LeakSanitizer)\n"
          "  --stack-depth K, --alloc-fn PATTERN, --native, filters: as for the reports\n"
          "\n"
          "Growth gate: --max-growth BYTES OLD NEW compares the live bytes of two\n"
          "snapshots of one program (total and per group, as diff does) and fails\n"
          "when they grew by more than BYTES in total or in any group: a growing\n"
          "cache is still reachable, so no leak class shows it. --force compares\n"
          "snapshots of different programs.\n"
          "\n"
          "Built-in suppressions (include/mtrace/known_frames.h, shared with the\n"
          "shim's MTRACE_LEAK_CHECK): fnmatch globs on the file name of a frame's\n"
          "module or on its function, matched against a stack's native frames from\n"
          "the innermost out to the allocation site (the first frame that is not an\n"
          "allocator wrapper) and never further out; \"(site frame)\": the site\n"
          "frame alone:\n",
          out);
    supp_print_defaults(out, "  ");
    fputs("\nExit status: 0 within the thresholds, 1 beyond them, 2 bad usage, an\n"
          "unreadable snapshot or suppression file, or a snapshot without classes.\n",
          out);
}
