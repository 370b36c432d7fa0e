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
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
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

/* The main thread's stack as pthread_getattr_np computes it: from the top,
 * the page past __libc_stack_end, down by RLIMIT_STACK (less what lies
 * above the stack end in its mapping), but not into the mapping below.
 * pthread_getattr_np reads /proc/self/maps through stdio, which allocates,
 * and whatever the tracer leaves in glibc's heap (tcache entries too)
 * shifts the program's blocks from where they would lie untraced (bench
 * churn-anysize: 114 more page faults). Read here in 4 KiB pieces, up to
 * the stack's line. */
extern void *__libc_stack_end;

static bool main_stack(uintptr_t *lo, uintptr_t *hi)
{
    struct rlimit rl;
    uintptr_t at = (uintptr_t)__libc_stack_end, page = (uintptr_t)sysconf(_SC_PAGESIZE);
    if (!at || getrlimit(RLIMIT_STACK, &rl) != 0)
        return false;
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    char buf[4096];
    size_t len = 0;
    uintptr_t below = 0, from = 0, to = 0;
    bool found = false, eof = false, skipping = false;
    for (;;) {
        char *nl = memchr(buf, '\n', len);
        if (!nl && len < sizeof buf && !eof) {
            ssize_t n = read(fd, buf + len, sizeof buf - len);
            if (n < 0 && errno == EINTR)
                continue;
            eof = n <= 0;
            len += n > 0 ? (size_t)n : 0;
            continue;
        }
        if (!len)
            break;
        if (!skipping) {                     /* the addresses lead the line */
            const char *c = buf;
            from = (uintptr_t)strtoull(c, (char **)&c, 16);
            to = *c == '-' ? (uintptr_t)strtoull(c + 1, NULL, 16) : 0;
            if (from <= at && at < to) {
                found = true;
                break;
            }
            below = to;
        }
        if (nl) {
            len -= (size_t)(nl + 1 - buf);
            memmove(buf, nl + 1, len);
            skipping = false;
        } else {
            len = 0;                         /* a line longer than buf: its path */
            skipping = !eof;
        }
    }
    close(fd);
    if (!found)
        return false;
    /* glibc's arithmetic, wrap included: an unlimited or small limit ends
     * up capped at the mapping below. */
    uintptr_t top = (at & -page) + page;
    size_t size = (size_t)rl.rlim_cur - (size_t)(to - top);
    size = size / page * page;
    if (size > top - below)
        size = top - below;
    *lo = top - size;
    *hi = top;
    return size > 0;
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
    if (mt_fp.state != MT_ON)
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
