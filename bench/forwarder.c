/* bench/forwarder.c: the floor of interposition. A preloaded library whose
 * malloc, calloc, realloc and free only call glibc's, as mtrace's hooks do
 * on their fast paths: scripts/bench's "forwarder" variant, so that a
 * sampled ratio can be read beside what interposing alone costs in the
 * same run. Built with -shared -fPIC -fno-plt -Wl,-z,now like the shim. */
#include <stddef.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void __libc_free(void *p);

void *malloc(size_t size)
{
    return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
    return __libc_realloc(p, size);
}

void free(void *p)
{
    __libc_free(p);
}
