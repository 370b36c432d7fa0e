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
#include <stdint.h>
#include <sys/resource.h>
#include <unistd.h>

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

/* The main thread's stack as pthread_getattr_np computes it (from its top,
 * the page past __libc_stack_end, down by RLIMIT_STACK, but not into the
 * mapping below), from mt_maps_load: pthread_getattr_np reads the maps
 * through stdio and allocates, and whatever the tracer leaves in glibc's
 * heap (tcache entries too) shifts the program's blocks from where they
 * would lie untraced (bench churn-anysize: 114 more page faults). */
extern void *__libc_stack_end;

static bool main_stack(uintptr_t *lo, uintptr_t *hi)
{
    struct rlimit rl;
    struct mt_maps maps;
    uintptr_t at = (uintptr_t)__libc_stack_end, page = (uintptr_t)sysconf(_SC_PAGESIZE);
    if (!at || getrlimit(RLIMIT_STACK, &rl) != 0 || !mt_maps_load(&maps))
        return false;
    const struct mt_map_range *r = mt_maps_find(&maps, at);
    bool ok = r != NULL;
    if (ok) {
        uintptr_t top = (at & -page) + page;
        uintptr_t below = r > maps.r ? r[-1].hi : 0;
        size_t size = rl.rlim_cur == RLIM_INFINITY ? SIZE_MAX : (size_t)rl.rlim_cur;
        size = size > r->hi - top ? size - (r->hi - top) : 0;
        size = size / page * page;
        if (size > top - below)
            size = top - below;
        *lo = top - size;
        *hi = top;
        ok = size > 0;
    }
    mt_maps_release(&maps);
    return ok;
}

/* Once per thread (its start, or the constructor's for the main thread):
 * the bounds it stores are also the memo's (stackmemo.c reads them here). */
void mt_thread_bounds(bool main_thread)
{
    int guard = mt_self.guard;
    mt_self.guard = 1;                       /* what it allocates is not traced */
    uintptr_t lo = 0, hi = 0;
    pthread_attr_t a;
    if (main_thread) {
        if (!main_stack(&lo, &hi))
            lo = hi = 0;
    } else if (pthread_getattr_np(pthread_self(), &a) == 0) {
        void *addr;
        size_t size;
        if (pthread_attr_getstack(&a, &addr, &size) == 0) {
            lo = (uintptr_t)addr;
            hi = (uintptr_t)addr + size;
        }
        pthread_attr_destroy(&a);
    }
    if (hi > lo) {
        mt_self.stack_lo = lo;
        mt_self.stack_hi = hi;
        mt_memo_thread_start(lo, hi);
    }
    mt_self.guard = guard;
}

static void *thunk(void *p)
{
    struct start s = *(struct start *)p;
    mt_pool_free(p, sizeof s);
    mt_thread_bounds(false);
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
