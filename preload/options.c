/* ---------------------------------------------------------------------------
 * options.c: every MTRACE_* knob in one table, read once in the constructor
 * with getenv (which does not allocate). A bad value is reported once and the
 * default kept. README.md documents the same table.
 * ------------------------------------------------------------------------- */
#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct mt_options mt_opt = {
    .depth = 64,
    .out = "mtrace.%e.%p.%n.snap",
    .quiet = false,
    .enabled = true,
    .signal = SIGUSR2,
    .interval_ms = 0,
    .python = true,
    .keep_pymalloc = false,
    .unwind_memo = true,
    .follow = true,
    .min_allocs = 1000,
    .leak_scan = true,
    .leak_check = false,
    .leak_exitcode = 23,
    .default_suppressions = true,
    .timeline_ms = 100,
    .timeline_points = 4096,
    .sample_bytes = 0,
    .unwind_fp = false,
};

#define DEFAULT_SAMPLE_BYTES (512u * 1024)

/* Bytes with an optional k/m/g suffix (binary units); "on" picks the
 * default interval, "0" or "off" exact mode. */
static bool parse_sample(const char *v, uint64_t *out)
{
    if (strcasecmp(v, "on") == 0 || strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0) {
        *out = DEFAULT_SAMPLE_BYTES;
        return true;
    }
    if (strcasecmp(v, "off") == 0 || strcasecmp(v, "no") == 0) {
        *out = 0;
        return true;
    }
    char *end;
    unsigned long long x = strtoull(v, &end, 10);
    int shift = 0;
    if (*end && !end[1])
        shift = strchr("kK", *end) ? 10 : strchr("mM", *end) ? 20 : strchr("gG", *end) ? 30 : -1;
    if (*v == '\0' || *v == '-' || shift < 0 || (*end && end[1]) || x > (1ull << 40) >> shift) {
        mt_log("mtrace: ignoring MTRACE_SAMPLE_BYTES=%s (expected bytes, e.g. 524288 or 512k, "
               "or on)", v);
        return false;
    }
    *out = (uint64_t)x << shift;
    return true;
}

/* A signal by number or name (USR2, SIGUSR2); 0 or "none" turns it off. */
static bool parse_signal(const char *v, int *out)
{
    if (strcmp(v, "0") == 0 || strcasecmp(v, "none") == 0 || strcasecmp(v, "off") == 0) {
        *out = 0;
        return true;
    }
    const char *name = strncasecmp(v, "SIG", 3) == 0 ? v + 3 : v;
    static const struct { const char *name; int sig; } names[] = {
        { "USR1", SIGUSR1 }, { "USR2", SIGUSR2 }, { "HUP", SIGHUP }, { "WINCH", SIGWINCH },
        { "URG", SIGURG }, { "PWR", SIGPWR },
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(name, names[i].name) == 0) {
            *out = names[i].sig;
            return true;
        }
    char *end;
    long x = strtol(v, &end, 10);
    if (*v && !*end && x > 0 && x < NSIG && x != SIGKILL && x != SIGSTOP) {
        *out = (int)x;
        return true;
    }
    mt_log("mtrace: ignoring MTRACE_SIGNAL=%s (expected a signal name or number, or 0)", v);
    return false;
}

/* Seconds, fractions allowed ("0.5"); 0 turns timed snapshots off. */
static bool parse_seconds(const char *name, const char *v, unsigned *ms)
{
    char *end;
    double x = strtod(v, &end);
    if (*v == '\0' || *end != '\0' || !(x >= 0) || x > 86400.0 * 365) {
        mt_log("mtrace: ignoring %s=%s (expected seconds, e.g. 10 or 0.5)", name, v);
        return false;
    }
    *ms = (unsigned)(x * 1000.0 + 0.5);
    if (x > 0 && *ms == 0)
        *ms = 1;
    return true;
}

static bool parse_int(const char *name, const char *v, long lo, long hi, long *out)
{
    char *end;
    long x = strtol(v, &end, 10);
    if (*v == '\0' || *end != '\0' || x < lo || x > hi) {
        mt_log("mtrace: ignoring %s=%s (expected an integer in %ld..%ld)", name, v, lo, hi);
        return false;
    }
    *out = x;
    return true;
}

static bool parse_bool(const char *v)
{
    return !(strcmp(v, "0") == 0 || strcasecmp(v, "no") == 0 ||
             strcasecmp(v, "false") == 0 || strcasecmp(v, "off") == 0 || *v == '\0');
}

void mt_options_load(void)
{
    const char *v;
    long x;
    if ((v = getenv("MTRACE_QUIET")))
        mt_opt.quiet = parse_bool(v);
    if ((v = getenv("MTRACE_DEPTH")) && parse_int("MTRACE_DEPTH", v, 1, MT_MAX_DEPTH, &x))
        mt_opt.depth = (int)x;
    /* Copied: the program may change its environment later. */
    static char out[4096], manifest[4096];
    if ((v = getenv("MTRACE_OUT")) && *v && strlen(v) < sizeof out) {
        memcpy(out, v, strlen(v) + 1);
        mt_opt.out = out;
    }
    if ((v = getenv("MTRACE_MANIFEST")) && *v && strlen(v) < sizeof manifest) {
        memcpy(manifest, v, strlen(v) + 1);
        mt_opt.manifest = manifest;
    }
    if ((v = getenv("MTRACE_SIGNAL")))
        parse_signal(v, &mt_opt.signal);
    if ((v = getenv("MTRACE_INTERVAL")))
        parse_seconds("MTRACE_INTERVAL", v, &mt_opt.interval_ms);
    if ((v = getenv("MTRACE_PYTHON")))
        mt_opt.python = parse_bool(v);
    if ((v = getenv("MTRACE_PYMALLOC")))
        mt_opt.keep_pymalloc = parse_bool(v);
    if ((v = getenv("MTRACE_UNWIND_MEMO")))
        mt_opt.unwind_memo = parse_bool(v);
    if ((v = getenv("MTRACE_FOLLOW")))
        mt_opt.follow = parse_bool(v);
    if ((v = getenv("MTRACE_MIN_ALLOCS")) && parse_int("MTRACE_MIN_ALLOCS", v, 0, 1000000000, &x))
        mt_opt.min_allocs = (unsigned)x;
    if ((v = getenv("MTRACE_MAX_FILES")) && parse_int("MTRACE_MAX_FILES", v, 0, 1000000000, &x))
        mt_opt.max_files = (unsigned)x;
    if ((v = getenv("MTRACE_PEAK_SNAPSHOT")) &&
        parse_int("MTRACE_PEAK_SNAPSHOT", v, 0, 10000, &x))
        mt_opt.peak_pct = (unsigned)x;
    if ((v = getenv("MTRACE_LEAK_SCAN")))
        mt_opt.leak_scan = parse_bool(v);
    if ((v = getenv("MTRACE_LEAK_CHECK")))
        mt_opt.leak_check = parse_bool(v);
    if ((v = getenv("MTRACE_LEAK_EXITCODE")) &&
        parse_int("MTRACE_LEAK_EXITCODE", v, 0, 255, &x))
        mt_opt.leak_exitcode = (int)x;
    static char supp[4096];
    if ((v = getenv("MTRACE_SUPPRESSIONS")) && *v && strlen(v) < sizeof supp) {
        memcpy(supp, v, strlen(v) + 1);
        mt_opt.suppressions = supp;
    }
    if ((v = getenv("MTRACE_DEFAULT_SUPPRESSIONS")))
        mt_opt.default_suppressions = parse_bool(v);
    if ((v = getenv("MTRACE_TIMELINE_MS")) &&
        parse_int("MTRACE_TIMELINE_MS", v, 0, 3600000, &x))
        mt_opt.timeline_ms = (unsigned)x;
    if ((v = getenv("MTRACE_TIMELINE_POINTS")) &&
        parse_int("MTRACE_TIMELINE_POINTS", v, 4, 1 << 20, &x))
        mt_opt.timeline_points = (unsigned)x;
    if ((v = getenv("MTRACE_SAMPLE_BYTES")))
        parse_sample(v, &mt_opt.sample_bytes);
    if ((v = getenv("MTRACE_UNWIND"))) {
        if (strcasecmp(v, "fp") == 0)
            mt_opt.unwind_fp = true;
        else if (strcasecmp(v, "libunwind") != 0 && *v)
            mt_log("mtrace: ignoring MTRACE_UNWIND=%s (expected fp or libunwind)", v);
    }
    if (mt_opt.sample_bytes && (mt_opt.leak_scan || mt_opt.leak_check)) {
        /* Unsampled blocks are invisible: a scan could not tell lost from
         * reachable, and the gate would judge an estimate. */
        if (mt_opt.leak_check)
            mt_log("mtrace: MTRACE_LEAK_CHECK needs every allocation traced; "
                   "it is off under MTRACE_SAMPLE_BYTES");
        mt_opt.leak_scan = mt_opt.leak_check = false;
    }
    if (mt_opt.leak_check)
        mt_opt.leak_scan = true;         /* the gate needs the classes */
    if ((v = getenv("MTRACE_DISABLE")))
        mt_opt.enabled = !parse_bool(v);
    /* The slow paths' copies, in the hooks' cache line. */
    mt_fp.sample_bytes = mt_opt.sample_bytes;
    mt_fp.depth = mt_opt.depth;
}
