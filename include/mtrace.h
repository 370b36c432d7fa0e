/* mtrace public API: talk to the tracer from the traced program.
 *
 * These functions live in libmtrace.so, present when the program runs under
 * LD_PRELOAD=libmtrace.so (or mtrace-run). To call them from a program that
 * must also run without the tracer, define MTRACE_WEAK before including this
 * header: the declarations become weak and each function's address is NULL
 * when the shim is absent, so guard calls with `if (mtrace_snapshot)`.
 * From other languages, look the symbols up with dlsym(RTLD_DEFAULT, ...) or
 * ctypes.CDLL(None). */
#ifndef MTRACE_H
#define MTRACE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifdef MTRACE_WEAK
#define MTRACE_API __attribute__((weak))
#else
#define MTRACE_API
#endif

#define MTRACE_VERSION_MAJOR 0
#define MTRACE_VERSION_MINOR 1
#define MTRACE_VERSION_PATCH 0

/* (major << 16) | (minor << 8) | patch of the loaded shim. */
MTRACE_API unsigned mtrace_version(void);

/* Writes a snapshot now (MTRACE_OUT with the next %n). Stores its path in
 * path (if not NULL, NUL-terminated, truncated to size). 0 on success, -1
 * when the tracer is off or the file could not be written. */
MTRACE_API int mtrace_snapshot(char *path, size_t size);

/* Traced heap bytes live now and at the peak (like tracemalloc's
 * get_traced_memory()). Either pointer may be NULL. */
MTRACE_API void mtrace_get_traced(size_t *current, size_t *peak);

/* Makes the peak the current size (like tracemalloc's reset_peak()). */
MTRACE_API void mtrace_reset_peak(void);

#ifdef __cplusplus
}
#endif

#endif /* MTRACE_H */
