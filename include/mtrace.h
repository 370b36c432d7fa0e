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
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifdef MTRACE_WEAK
#define MTRACE_API __attribute__((weak))
#else
#define MTRACE_API
#endif

#define MTRACE_VERSION_MAJOR 0
#define MTRACE_VERSION_MINOR 3
#define MTRACE_VERSION_PATCH 0

/* (major << 16) | (minor << 8) | patch of the loaded shim. Since 0.2:
 * mtrace_mark and mtrace_live_since. */
MTRACE_API unsigned mtrace_version(void);

/* Writes a snapshot now (MTRACE_OUT with the next %n). Stores its path in
 * path (if not NULL, NUL-terminated, truncated to size). 0 on success, -1
 * when the tracer is off, the file could not be written, another thread is
 * ending the process (its final snapshot has everything), or the call comes
 * from a signal handler that interrupted the tracer on this thread. */
MTRACE_API int mtrace_snapshot(char *path, size_t size);

/* Traced heap bytes live now and at the peak (like tracemalloc's
 * get_traced_memory()). Either pointer may be NULL. */
MTRACE_API void mtrace_get_traced(size_t *current, size_t *peak);

/* Makes the peak the current size (like tracemalloc's reset_peak()). */
MTRACE_API void mtrace_reset_peak(void);

/* Starts a new allocation generation and returns its id (> 0, increasing):
 * blocks allocated from now on belong to it. 0 when the tracer is off.
 * A block reallocated after the mark counts as allocated after it. */
MTRACE_API uint64_t mtrace_mark(void);

/* The bytes and blocks allocated since mark `id` (at or after the call that
 * returned it) and still live now. id 0 means every live traced block.
 * Either pointer may be NULL. 0 on success; -1 when the tracer is off or
 * id is unknown: never returned, or more than 16383 marks old (the epoch
 * kept per block wraps). Walks the whole live map: milliseconds, not for
 * a hot loop. Blocks allocated by other threads while a mark is taken may
 * fall on either side of it. */
MTRACE_API int mtrace_live_since(uint64_t id, size_t *bytes, size_t *blocks);

/* Since 0.3. The calling thread's own figures: bytes it allocated minus
 * bytes it freed (blocks freed by other threads count against them, so it
 * may go negative), and bytes it allocated in total. Per-thread counters:
 * reading them costs two loads. Either pointer may be NULL; both 0 when the
 * tracer is off. Under sampling they are estimates. */
MTRACE_API void mtrace_thread_traced(int64_t *current, uint64_t *allocated);

/* Puts a label on the memory timeline (mtrace-report timeline shows it),
 * copied (at most 63 bytes kept). 0, or -1 when the tracer is off or the
 * label table is full (4096 labels). */
MTRACE_API int mtrace_label(const char *text);

/* MTRACE_SAMPLE_BYTES in force: 0 when every allocation is traced. */
MTRACE_API size_t mtrace_sample_bytes(void);

#ifdef __cplusplus
}
#endif

#endif /* MTRACE_H */
