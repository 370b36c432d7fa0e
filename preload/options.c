/* ---------------------------------------------------------------------------
 * options.c: every MTRACE_* knob in one table, read once in the constructor
 * with getenv (which does not allocate). A bad value is reported once and the
 * default kept. README.md documents the same table.
 * ------------------------------------------------------------------------- */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct mt_options mt_opt = {
    .depth = 64,
    .out = "mtrace.%e.%p.%n.snap",
    .quiet = false,
    .enabled = true,
};

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
    if ((v = getenv("MTRACE_DISABLE")))
        mt_opt.enabled = !parse_bool(v);
}
