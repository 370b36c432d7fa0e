/* A library whose destructor frees what it holds: loaded after the shim, so
 * it is finalized after the shim's destructor (the exit-order trap). */
#include <stdlib.h>

static void *held;

void *libdtor_hold(size_t n)
{
    held = malloc(n); /* @libdtor_block */
    return held;
}

__attribute__((destructor)) static void libdtor_fini(void)
{
    free(held);
}
