/* The allocator-wrapper list and site finding. A frame is a wrapper when its
 * module's file name or its (demangled) function name matches one of the
 * fnmatch patterns below or a --alloc-fn pattern. Python frames are never
 * wrappers. Likewise the interpreter list: the native frames of CPython
 * itself, which a Python traceback hides. The tables, in
 * include/mtrace/known_frames.h, are the single source for --help, docs and
 * the shim's leak gate. */
#include "site.h"

#include <string.h>

#include "fastmatch.h"

#include "mtrace/known_frames.h" /* the shim judges sites by the same lists */

static bool match_any(const char *const *pats, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (fast_fnmatch(pats[i], s))
            return true;
    return false;
}

static const char *base_name(const char *p)
{
    const char *b = strrchr(p, '/');
    return b ? b + 1 : p;
}

static bool builtin_wrapper(const struct rframe *f)
{
    if (f->module &&
        match_any(mt_wrapper_modules, MT_COUNT(mt_wrapper_modules), base_name(f->module)))
        return true;
    return f->function &&
           match_any(mt_wrapper_functions, MT_COUNT(mt_wrapper_functions), f->function);
}

static bool builtin_interpreter(const struct rframe *f)
{
    if (f->module)
        return match_any(mt_interpreter_modules, MT_COUNT(mt_interpreter_modules),
                         base_name(f->module));
    return f->function &&
           match_any(mt_interpreter_functions, MT_COUNT(mt_interpreter_functions), f->function);
}

uint8_t site_classify(const struct rframe *f)
{
    if (f->python)
        return 0;
    return (builtin_wrapper(f) ? SITE_WRAPPER : 0) |
           (builtin_interpreter(f) ? SITE_INTERPRETER : 0);
}

/* site_is_wrapper with the built-in verdict known (CLS), or not (NULL). */
static bool wrapper(const struct rframe *f, const uint8_t *cls, const struct site_opts *o)
{
    if (f->python)
        return false;
    if (cls ? (*cls & SITE_WRAPPER) != 0 : builtin_wrapper(f))
        return true;
    return o && o->nalloc_fns && f->function &&
           match_any(o->alloc_fns, o->nalloc_fns, f->function);
}

bool site_is_wrapper(const struct rframe *f, const struct site_opts *o)
{
    return wrapper(f, NULL, o);
}

bool site_has_python(const struct rframe *frames, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (frames[i].python)
            return true;
    return false;
}

bool site_is_interpreter(const struct rframe *f)
{
    return !f->python && builtin_interpreter(f);
}

bool site_in_traceback(const struct rframe *f, const struct site_opts *o)
{
    return f->python || (!site_is_wrapper(f, o) && !site_is_interpreter(f));
}

bool site_in_traceback_cls(const struct rframe *f, uint8_t cls, const struct site_opts *o)
{
    return f->python || (!wrapper(f, &cls, o) && !(cls & SITE_INTERPRETER));
}

size_t site_find_cls(const struct rframe *frames, const uint8_t *cls, size_t n,
                     const struct site_opts *o)
{
    if (n == 0)
        return 0;
    if (!o || !o->native)
        for (size_t i = 0; i < n; i++)
            if (frames[i].python)
                return i;
    for (size_t i = 0; i < n; i++)
        if (!wrapper(&frames[i], cls ? &cls[i] : NULL, o))
            return i;
    return n - 1;
}

size_t site_find(const struct rframe *frames, size_t n, const struct site_opts *o)
{
    return site_find_cls(frames, NULL, n, o);
}

size_t site_show_from_cls(const struct rframe *frames, const uint8_t *cls, size_t n,
                          const struct site_opts *o)
{
    for (size_t i = 0; i < n; i++)
        if (!wrapper(&frames[i], cls ? &cls[i] : NULL, o))
            return i;
    return site_find_cls(frames, cls, n, o);
}

size_t site_show_from(const struct rframe *frames, size_t n, const struct site_opts *o)
{
    return site_show_from_cls(frames, NULL, n, o);
}

/* "INDENT LABEL p1 p2 ...", wrapped before column 78 and continued under
 * the first pattern. */
static void print_patterns(FILE *out, const char *indent, const char *label,
                           const char *const *pats, size_t n)
{
    size_t start = strlen(indent) + strlen(label), col = start;
    fprintf(out, "%s%s", indent, label);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(pats[i]) + 1;
        if (col + len > 78 && col > start) {
            fprintf(out, "\n%*s", (int)start, "");
            col = start;
        }
        fprintf(out, " %s", pats[i]);
        col += len;
    }
    fputc('\n', out);
}

void site_print_wrappers(FILE *out, const char *indent)
{
    print_patterns(out, indent, "modules:", mt_wrapper_modules, MT_COUNT(mt_wrapper_modules));
    print_patterns(out, indent, "functions:", mt_wrapper_functions, MT_COUNT(mt_wrapper_functions));
}

void site_print_interpreter(FILE *out, const char *indent)
{
    print_patterns(out, indent, "modules:", mt_interpreter_modules,
                   MT_COUNT(mt_interpreter_modules));
    print_patterns(out, indent, "functions (frames without a module):", mt_interpreter_functions,
                   MT_COUNT(mt_interpreter_functions));
}
