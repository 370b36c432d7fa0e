/* ---------------------------------------------------------------------------
 * threads.c: pthread_create, interposed to learn each new thread's stack
 * bounds before its own code runs (the stack memo may only read inside
 * them, stackmemo.c; the leak scan starts there) and to release the
 * thread's memo when it returns.
 * pthread_getattr_np is called here, in the new thread, outside any hook:
 * inside one it could deadlock (it calls realloc holding the thread's lock).
 * ------------------------------------------------------------------------- */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>

#include "internal.h"
#include "scratch.h"

#define API __attribute__((visibility("default")))

void mt_thread_stack(uintptr_t *lo, uintptr_t *hi)
{
    *lo = mt_self.stack_lo;
    *hi = mt_self.stack_hi;
}

typedef int (*create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
static create_fn real_create;

struct start {
    void *(*fn)(void *);
    void *arg;
};

/* Once per thread (its start, or the constructor's for the main thread):
 * the bounds it stores are also the memo's (stackmemo.c reads them here). */
void mt_thread_bounds(void)
{
    int guard = mt_self.guard;
    mt_self.guard = 1;                       /* what it allocates is not traced */
    pthread_attr_t a;
    if (pthread_getattr_np(pthread_self(), &a) == 0) {
        void *addr;
        size_t size;
        if (pthread_attr_getstack(&a, &addr, &size) == 0) {
            mt_self.stack_lo = (uintptr_t)addr;
            mt_self.stack_hi = (uintptr_t)addr + size;
            mt_memo_thread_start(mt_self.stack_lo, mt_self.stack_hi);
        }
        pthread_attr_destroy(&a);
    }
    mt_self.guard = guard;
}

static void *thunk(void *p)
{
    struct start s = *(struct start *)p;
    mt_pool_free(p, sizeof s);
    mt_thread_bounds();
    void *r = s.fn(s.arg);
    mt_memo_thread_end();               /* pthread_exit: the key destructors do it */
    mt_journal_thread_end();
    mt_scratch_thread_end();
    return r;
}

API int pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
    create_fn real = __atomic_load_n(&real_create, __ATOMIC_ACQUIRE);
    if (!real) {
        int guard = mt_self.guard;
        mt_self.guard = 1;
        real = (create_fn)dlsym(RTLD_NEXT, "pthread_create");
        mt_self.guard = guard;
        __atomic_store_n(&real_create, real, __ATOMIC_RELEASE);
    }
    if (mt_state != MT_ON)
        return real(t, attr, fn, arg);
    int guard = mt_self.guard;
    mt_self.guard = 1;
    struct start *s = mt_pool_alloc(sizeof *s);
    mt_self.guard = guard;
    if (!s)
        return real(t, attr, fn, arg);
    s->fn = fn;
    s->arg = arg;
    int r = real(t, attr, thunk, s);
    if (r != 0)
        mt_pool_free(s, sizeof *s);
    return r;
}
