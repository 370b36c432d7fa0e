/* ---------------------------------------------------------------------------
 * scratch.c: each thread's working memory (scratch.h), claimed from a list
 * of blocks on the thread's first event and given back at its end (the
 * pthread key's destructor, or threads.c when its start routine returns).
 * What a thread still allocates after that (later TLS destructors, glibc's
 * own teardown) borrows a block for the one event: a block claimed then
 * would never be given back, no destructor runs for it any more.
 * ------------------------------------------------------------------------- */
#define _GNU_SOURCE
#include <pthread.h>

#include "scratch.h"

static _Atomic(struct mt_reuse *) blocks;
static pthread_key_t key;
static bool key_ok;

static void thread_end(void *p);

void mt_scratch_setup(void)
{
    key_ok = pthread_key_create(&key, thread_end) == 0;
}

static struct mt_scratch *claim(void)
{
    return mt_reuse_claim(&blocks, sizeof(struct mt_scratch));   /* zeroed: empty caches */
}

static void give_back(struct mt_scratch *s)
{
    mt_reuse_give_back(&s->link);
}

struct mt_scratch *mt_scratch_get(void)
{
    struct mt_scratch *s = mt_self.scratch;
    if (MT_LIKELY(s != NULL))
        return s;
    s = claim();
    if (s && !mt_self.scratch_ended) {
        mt_self.scratch = s;
        if (key_ok)
            pthread_setspecific(key, s);       /* may calloc: the guard is held */
    }
    return s;
}

void mt_scratch_put(struct mt_scratch *s)
{
    if (MT_UNLIKELY(s != mt_self.scratch))
        give_back(s);                           /* lent after the thread's end */
}

static void thread_end(void *p)
{
    if (!p || p != mt_self.scratch)
        return;
    mt_self.scratch = NULL;
    mt_self.scratch_ended = true;
    give_back(p);
}

void mt_scratch_thread_end(void)
{
    struct mt_scratch *s = mt_self.scratch;
    mt_self.scratch_ended = true;           /* also when it never claimed one */
    if (!s)
        return;
    if (key_ok)
        pthread_setspecific(key, NULL);
    thread_end(s);
}

void mt_scratch_after_fork_child(void)
{
    for (struct mt_reuse *r = atomic_load(&blocks); r; r = r->next)
        if (r != (struct mt_reuse *)mt_self.scratch)   /* link is the first member */
            mt_reuse_give_back(r);
}
