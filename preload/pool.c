/* ---------------------------------------------------------------------------
 * pool.c: the tracer's own memory. Everything the tracer keeps (stack
 * records, uthash buckets, string tables, the live map) comes from mmap,
 * never from the traced heap: the program's heap statistics stay its own and
 * the tracer cannot recurse into malloc. Small requests come from size-class
 * free lists over 1 MiB bump chunks; large ones are mapped directly.
 * ------------------------------------------------------------------------- */
#define _GNU_SOURCE
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

#define POOL_GRAIN 16u
#define POOL_SMALL_MAX 4096u
#define POOL_CLASSES (POOL_SMALL_MAX / POOL_GRAIN)
#define POOL_CHUNK (1u << 20)

struct free_block { struct free_block *next; };

static mt_lock pool_lock = MT_LOCK_INIT;
static struct free_block *free_lists[POOL_CLASSES + 1];
static char *bump, *bump_end;

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
                bump = chunk;
                bump_end = chunk + POOL_CHUNK;
            }
        }
        if ((size_t)(bump_end - bump) >= bytes) {
            p = bump;
            bump += bytes;
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
