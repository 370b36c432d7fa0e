/* The allocator-wrapper list and site finding. A frame is a wrapper when its
 * module's file name or its (demangled) function name matches one of the
 * fnmatch patterns below or a --alloc-fn pattern. Python frames are never
 * wrappers. Likewise the interpreter list: the native frames of CPython
 * itself, which a Python traceback hides. The tables are the single source
 * for --help and docs. */
#include "site.h"

#include <fnmatch.h>
#include <string.h>

/* Modules whose every frame is allocator plumbing (matched on the file name). */
static const char *const wrapper_modules[] = {
    "libmtrace.so*", "libc.so*", "ld-linux*", "libstdc++.so*",
};

/* Functions that allocate on behalf of their caller. */
static const char *const wrapper_functions[] = {
    /* C allocator entry points */
    "malloc", "calloc", "realloc", "free", "reallocarray", "posix_memalign",
    "aligned_alloc", "memalign", "valloc", "pvalloc", "__libc_*",
    "strdup", "strndup", "__strdup", "__strndup",
    /* C++ */
    "operator new*", "operator delete*", "std::allocator<*>::allocate*",
    "std::__new_allocator<*>::allocate*", "__gnu_cxx::new_allocator<*>::allocate*",
    "std::allocator_traits<*>::allocate*",
    /* CPython's allocator layer */
    "PyMem_*", "_PyMem_*", "PyObject_Malloc", "PyObject_Calloc", "PyObject_Realloc",
    "PyObject_Free", "_PyObject_Malloc", "_PyObject_Calloc", "_PyObject_Realloc",
    "_PyObject_Free", "pymalloc_*",
};

/* The interpreter: modules (file name), and functions of frames that have
 * no module. */
static const char *const interpreter_modules[] = {"python3*", "libpython*"};
static const char *const interpreter_functions[] = {"_Py*", "Py*"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static bool match_any(const char *const *pats, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (fnmatch(pats[i], s, 0) == 0)
            return true;
    return false;
}

static const char *base_name(const char *p)
{
    const char *b = strrchr(p, '/');
    return b ? b + 1 : p;
}

bool site_is_wrapper(const struct rframe *f, const struct site_opts *o)
{
    if (f->python)
        return false;
    if (f->module && match_any(wrapper_modules, COUNT(wrapper_modules), base_name(f->module)))
        return true;
    if (f->function) {
        if (match_any(wrapper_functions, COUNT(wrapper_functions), f->function))
            return true;
        if (o && match_any(o->alloc_fns, o->nalloc_fns, f->function))
            return true;
    }
    return false;
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
    if (f->python)
        return false;
    if (f->module)
        return match_any(interpreter_modules, COUNT(interpreter_modules), base_name(f->module));
    return f->function &&
           match_any(interpreter_functions, COUNT(interpreter_functions), f->function);
}

bool site_in_traceback(const struct rframe *f, const struct site_opts *o)
{
    return f->python || (!site_is_wrapper(f, o) && !site_is_interpreter(f));
}

size_t site_find(const struct rframe *frames, size_t n, const struct site_opts *o)
{
    if (n == 0)
        return 0;
    if (!o || !o->native)
        for (size_t i = 0; i < n; i++)
            if (frames[i].python)
                return i;
    for (size_t i = 0; i < n; i++)
        if (!site_is_wrapper(&frames[i], o))
            return i;
    return n - 1;
}

size_t site_show_from(const struct rframe *frames, size_t n, const struct site_opts *o)
{
    for (size_t i = 0; i < n; i++)
        if (!site_is_wrapper(&frames[i], o))
            return i;
    return site_find(frames, n, o);
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
    print_patterns(out, indent, "modules:", wrapper_modules, COUNT(wrapper_modules));
    print_patterns(out, indent, "functions:", wrapper_functions, COUNT(wrapper_functions));
}

void site_print_interpreter(FILE *out, const char *indent)
{
    print_patterns(out, indent, "modules:", interpreter_modules, COUNT(interpreter_modules));
    print_patterns(out, indent, "functions (frames without a module):", interpreter_functions,
                   COUNT(interpreter_functions));
}
