/* ---------------------------------------------------------------------------
 * memread.c: reads this process's own memory without ever faulting, for the
 * leak scan. A block freed behind the tracer's back, a library unloaded or a
 * thread's stack unmapped while the scan runs must not crash the program, so
 * reads go through process_vm_readv on our own pid: an unmapped range fails
 * with EFAULT instead of raising SIGSEGV. One call reads up to 1024 ranges
 * into a buffer, so a million small blocks cost a thousand system calls.
 * Where the call is refused (seccomp filters, old kernels), the fallback
 * reads directly, only inside ranges /proc/self/maps lists as readable; the
 * scan uses it only while every other thread is parked, and then also by
 * choice (mt_memread_prefer_direct).
 * ------------------------------------------------------------------------- */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "internal.h"

static int mode;                         /* 0 unknown, 1 process_vm_readv, 2 direct */
static bool prefer_direct;

/* With every other thread parked nothing can unmap memory under the scan:
 * direct reads, checked against the mappings, cost a memcpy where
 * process_vm_readv pins every page (a third of the scan's time). */
void mt_memread_prefer_direct(bool on)
{
    prefer_direct = on;
}

static bool direct_ok(const struct mt_maps *maps, uintptr_t a, size_t n)
{
    if (!maps || !maps->n)
        return false;
    while (n) {
        const struct mt_map_range *r = mt_maps_find(maps, a);
        if (!r || !r->readable)
            return false;
        size_t in = r->hi - a < n ? r->hi - a : n;
        a += in;
        n -= in;
    }
    return true;
}

bool mt_memread_direct(void)
{
    if (mode == 0) {                     /* probe with a read that must succeed */
        uintptr_t here = (uintptr_t)&mode, out;
        struct mt_seg seg = { here, sizeof out, 0 };
        bool ok;
        mt_memread(&seg, 1, (char *)&out, &ok, NULL);
    }
    return mode == 2;
}

/* Reads segs[i] (addr, len) back to back into buf; ok[i] says which made it. */
void mt_memread(const struct mt_seg *segs, int n, char *buf, bool *ok,
                const struct mt_maps *maps)
{
    /* 16 KiB: static, not on the stack of the thread that calls exit (a
     * small one, maybe). The leak scan is the only caller, once, at exit. */
    static struct iovec remote[MT_SEG_BATCH];
    for (int i = 0; i < n; i++) {
        remote[i].iov_base = (void *)segs[i].addr;
        remote[i].iov_len = segs[i].len;
        ok[i] = false;
    }
    if (mode != 2 && !(prefer_direct && maps && maps->n)) {
        pid_t pid = mt_pid();
        int first = 0;
        char *dst = buf;
        while (first < n) {
            size_t want = 0;
            for (int i = first; i < n; i++)
                want += segs[i].len;
            struct iovec local = { dst, want };
            ssize_t r = process_vm_readv(pid, &local, 1, &remote[first],
                                         (unsigned long)(n - first), 0);
            if (r < 0 && (errno == ENOSYS || errno == EPERM) && mode == 0) {
                mode = 2;                /* refused here: read directly from now on */
                goto direct;
            }
            if (r < 0 && errno != EFAULT)
                return;
            mode = 1;
            /* Whole elements only: r ends where element k failed (or at the end). */
            size_t got = r > 0 ? (size_t)r : 0;
            int k = first;
            while (k < n && got >= segs[k].len) {
                ok[k] = true;
                got -= segs[k].len;
                dst += segs[k].len;
                k++;
            }
            if (k < n)
                dst += segs[k].len;      /* element k is unreadable: skip it */
            first = k + 1;
        }
        return;
    }
direct:
    {
        char *dst = buf;
        for (int i = 0; i < n; i++) {
            if (direct_ok(maps, segs[i].addr, segs[i].len)) {
                memcpy(dst, (const void *)segs[i].addr, segs[i].len);
                ok[i] = true;
            }
            dst += segs[i].len;
        }
    }
}
