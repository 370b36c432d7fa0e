/* The allocator-wrapper list and site finding. A frame is a wrapper when its
 * module's file name or its (demangled) function name matches one of the
 * fnmatch patterns below or a --alloc-fn pattern. Python frames are never
 * wrappers. The tables are the single source for --help and docs. */
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

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *base_name(const char *p)
{
    const char *b = strrchr(p, '/');
    return b ? b + 1 : p;
}

bool site_is_wrapper(const struct rframe *f, const struct site_opts *o)
{
    if (f->python)
        return false;
    if (f->module) {
        const char *b = base_name(f->module);
        for (size_t i = 0; i < COUNT(wrapper_modules); i++)
            if (fnmatch(wrapper_modules[i], b, 0) == 0)
                return true;
    }
    if (f->function) {
        for (size_t i = 0; i < COUNT(wrapper_functions); i++)
            if (fnmatch(wrapper_functions[i], f->function, 0) == 0)
                return true;
        for (size_t i = 0; o && i < o->nalloc_fns; i++)
            if (fnmatch(o->alloc_fns[i], f->function, 0) == 0)
                return true;
    }
    return false;
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

void site_print_wrappers(FILE *out, const char *indent)
{
    size_t col = 0;
    fprintf(out, "%smodules:", indent);
    for (size_t i = 0; i < COUNT(wrapper_modules); i++)
        fprintf(out, " %s", wrapper_modules[i]);
    fprintf(out, "\n%sfunctions:", indent);
    col = strlen(indent) + 10;
    for (size_t i = 0; i < COUNT(wrapper_functions); i++) {
        size_t len = strlen(wrapper_functions[i]) + 1;
        if (col + len > 78) {
            fprintf(out, "\n%s          ", indent);
            col = strlen(indent) + 10;
        }
        fprintf(out, " %s", wrapper_functions[i]);
        col += len;
    }
    fputc('\n', out);
}
