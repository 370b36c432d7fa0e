/* ---------------------------------------------------------------------------
 * known_frames.h: the frame lists both halves of mtrace agree on, as data:
 * allocator wrappers (frames that allocate on behalf of their caller, so
 * the allocation site is further out), CPython's own frames, and the
 * built-in leak suppressions. The reporter (report/site.c, suppressions)
 * and the shim's exit-code gate (preload/leakgate.c) both include this
 * file, so `check` and MTRACE_LEAK_CHECK judge a stack the same way.
 * Patterns are fnmatch(3) globs: module patterns match a module's file
 * name (no directory), function patterns a demangled function name.
 * ------------------------------------------------------------------------- */
#ifndef MTRACE_KNOWN_FRAMES_H
#define MTRACE_KNOWN_FRAMES_H

/* Modules whose every frame is allocator plumbing. */
static const char *const mt_wrapper_modules[] = {
    "libmtrace.so*", "libc.so*", "ld-linux*", "libstdc++.so*",
};

/* Functions that allocate on behalf of their caller. */
static const char *const mt_wrapper_functions[] = {
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

/* The CPython interpreter: modules, and functions of frames without one. */
static const char *const mt_interpreter_modules[] = { "python3*", "libpython*" };
static const char *const mt_interpreter_functions[] = { "_Py*", "Py*" };

/* Built-in leak suppressions: allocations that live as long as the runtime
 * by design. Unlike a user's suppressions (any frame of the stack), these
 * match only the frames from the allocation call out to the allocation
 * site (the first frame that is no allocator wrapper): nearly every stack
 * of a Python process has Py_RunMain further out, and a C extension's leak
 * must still fail. site_only rules match the site frame alone: CPython's
 * allocator functions are wrappers living in the interpreter's module, and
 * a C extension calling PyMem_Malloc must not look like the interpreter.
 * `mtrace-report check --no-default-suppressions` and
 * MTRACE_DEFAULT_SUPPRESSIONS=0 switch them off. */
struct mt_default_suppression {
    const char *module;          /* file-name glob, or NULL */
    const char *function;        /* function glob, or NULL */
    int site_only;
    const char *why;
};
static const struct mt_default_suppression mt_default_suppressions[] = {
    { "python3*", NULL, 1, "CPython's own state (interned strings, types, caches)" },
    { "libpython*", NULL, 1, "CPython's own state (interned strings, types, caches)" },
    { "ld-linux*", NULL, 0, "the dynamic loader's link maps and TLS blocks" },
    { NULL, "_dl_*", 0, "the dynamic loader's link maps and TLS blocks" },
    { NULL, "*tls_get_addr*", 0, "dynamic TLS blocks (LeakSanitizer's default too)" },
    { NULL, "_nl_*", 0, "glibc's locale data and message catalogs" },
    { NULL, "setlocale", 0, "glibc's locale names" },
    { NULL, "__gconv*", 0, "glibc's iconv modules" },
    { NULL, "*tzset*", 0, "glibc's time zone rules" },
    { NULL, "__tzfile_*", 0, "glibc's time zone file" },
    { NULL, "__nss_*", 0, "glibc's NSS modules and databases" },
    { NULL, "_nss_*", 0, "glibc's NSS modules and databases" },
    { NULL, "_dlerror_run", 0, "the dlerror message buffer" },
    { NULL, "dlerror", 0, "the dlerror message buffer" },
};

#define MT_COUNT(a) (sizeof(a) / sizeof((a)[0]))

#endif
