/* ---------------------------------------------------------------------------
 * pool.c: the tracer's own memory. Everything the tracer keeps (stack
 * records, uthash buckets, string tables, the live map) comes from mmap,
 * never from the traced heap: the program's heap statistics stay its own and
 * the tracer cannot recurse into malloc. Small requests come from size-class
 * free lists over 1 MiB bump chunks; large ones are mapped directly.
 *
 * Memory the tracer will write anyway is faulted in ahead, many pages per
 * system call (mt_populate): a page fault costs 10.6 us in this project's
 * VMs (0.65 us a page populated 16 at a time), and the tracer's own faults
 * were 1,100 of exact mode's churn-anysize run (12 ms of its 480 ms) and
 * 200 under sampling, where the whole overhead is 25 ms.
 * ------------------------------------------------------------------------- */
#define _GNU_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23          /* Linux 5.14 */
#endif

#include "internal.h"

#define POOL_GRAIN 16u
#define POOL_SMALL_MAX 4096u
#define POOL_CLASSES (POOL_SMALL_MAX / POOL_GRAIN)
#define POOL_CHUNK (1u << 20)

struct free_block { struct free_block *next; };

static mt_lock pool_lock = MT_LOCK_INIT;
static struct free_block *free_lists[POOL_CLASSES + 1];
static char *bump, *bump_end, *bump_ready;   /* populated up to bump_ready */

static size_t page_round(size_t n)
{
    return (n + 4095u) & ~(size_t)4095u;
}

void *mt_map(size_t size)
{
    void *p = mmap(NULL, page_round(size), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

/* Writable, present pages for [p, p + len) (page-aligned p), as if each
 * had been written. Kernels before 5.14 refuse the advice: then pages keep
 * faulting in one at a time, as without it. */
static atomic_bool populate_refused;
void mt_populate(void *p, size_t len)
{
    if (!p || !len || atomic_load_explicit(&populate_refused, memory_order_relaxed))
        return;
    int saved = errno;
    if (madvise(p, page_round(len), MADV_POPULATE_WRITE) != 0 && errno == EINVAL)
        atomic_store_explicit(&populate_refused, true, memory_order_relaxed);
    errno = saved;
}

void mt_populate_steps(char **ready, const char *need, const char *end)
{
    while (*ready < need && *ready < end) {
        size_t step = (size_t)(end - *ready) < MT_POPULATE_STEP ? (size_t)(end - *ready)
                                                                : MT_POPULATE_STEP;
        mt_populate(*ready, step);
        *ready += step;
    }
}

void *mt_map_filled(size_t size)
{
    void *p = mt_map(size);
    mt_populate(p, size);
    return p;
}

void mt_unmap(void *p, size_t size)
{
    if (p)
        munmap(p, page_round(size));
}

void *mt_pool_alloc(size_t size)
{
    if (size == 0)
        size = 1;
    if (size > POOL_SMALL_MAX)
        return mt_map(size);
    size_t cls = (size + POOL_GRAIN - 1) / POOL_GRAIN;
    size_t bytes = cls * POOL_GRAIN;
    void *p = NULL;
    mt_lock_acquire(&pool_lock);
    if (free_lists[cls]) {
        p = free_lists[cls];
        free_lists[cls] = free_lists[cls]->next;
    } else {
        if ((size_t)(bump_end - bump) < bytes) {
            char *chunk = mt_map(POOL_CHUNK);
            if (chunk) {
                bump = bump_ready = chunk;
                bump_end = chunk + POOL_CHUNK;
            }
        }
        if ((size_t)(bump_end - bump) >= bytes) {
            p = bump;
            bump += bytes;
            mt_populate_ahead(&bump_ready, bump, bump_end);
        }
    }
    mt_lock_release(&pool_lock);
    if (p)
        memset(p, 0, bytes);
    return p;
}

void mt_pool_free(void *p, size_t size)
{
    if (!p)
        return;
    if (size == 0)
        size = 1;
    if (size > POOL_SMALL_MAX) {
        mt_unmap(p, size);
        return;
    }
    size_t cls = (size + POOL_GRAIN - 1) / POOL_GRAIN;
    struct free_block *b = p;
    mt_lock_acquire(&pool_lock);
    b->next = free_lists[cls];
    free_lists[cls] = b;
    mt_lock_release(&pool_lock);
}

void mt_pool_lock_all(void)
{
    mt_lock_acquire(&pool_lock);
}

void mt_pool_unlock_all(bool child)
{
    mt_lock_after_fork(&pool_lock, child);
}
