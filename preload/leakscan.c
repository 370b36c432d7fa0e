/* ---------------------------------------------------------------------------
 * leakscan.c: which live blocks are leaks, decided at exit the way memcheck
 * and LeakSanitizer decide it: by looking for pointers to them.
 *
 * Roots are the writable segments of every loaded module except the shim's
 * (its tables point at every block), each thread's stack from its stack
 * pointer up, its registers, its static TLS block and the dynamic TLS
 * blocks its DTV lists, and every block the dynamic loader allocated (as
 * LeakSanitizer does: the loader reaches them from its private memory).
 * Other threads are parked first (stopworld.c) and stay parked until the
 * process is gone; memory is read through
 * memread.c, so a range unmapped under us is skipped, never a crash.
 *
 * The classes are memcheck's. Phase 1 marks from the roots: a block reached
 * by a pointer to its start is still reachable; one reached only by
 * pointers into its middle is possibly lost; both are scanned in turn.
 * Phase 2 takes each block still unreached as the leader of a lost clique:
 * what it reaches (start or interior pointer) is indirectly lost, and an
 * earlier leader it reaches joins its clique, so a lost list of N blocks is
 * 1 definitely + N-1 indirectly lost whichever block comes first. If some
 * thread could not be scanned, nothing is called definitely or indirectly
 * lost (that thread may hold the pointer): those blocks count as possibly.
 *
 * Blocks are looked up by binary search over the live blocks sorted by
 * address. glibc's own bookkeeping points at chunk headers, which lie in
 * the last bytes of the previous block's usable space: such a pointer (the
 * next chunk's header, exactly) is not counted as a reference.
 * ------------------------------------------------------------------------- */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <setjmp.h>
#include <string.h>
#include <sys/auxv.h>
#include <time.h>

#include "internal.h"
#include "mtrace/format.h"

/* What one batch of reads copies. Its pages are fresh at every scan: at
 * 1 MiB, faulting them in was most of a small program's scan (git
 * --version: 15.1 -> 13.7 ms traced, 6.5 untraced); a scan of 135 MiB
 * in a million blocks takes as long at 64 KiB (263-273 ms; the batches
 * are capped at MT_SEG_BATCH blocks anyway). */
#define BUF_BYTES (1u << 16)
#define MAX_ROOTS 65536
#define MAX_PTRS (1u << 20)
#define RED_ZONE 128            /* x86-64 leaf functions keep data below sp */
#define TCB_SPAN 4096           /* the thread descriptor above the thread pointer */
#define MAX_DTV 65536

static uintptr_t loader_lo, loader_hi;   /* the dynamic loader's code */

enum { ST_UNREACHED, ST_POSSIBLE, ST_REACHABLE, ST_LEADER, ST_INDIRECT };

struct range { uintptr_t lo, hi; };

struct scan {
    struct mt_block *b;
    size_t n, b_bytes;
    uintptr_t lo, hi;                    /* lowest block start, highest block end */
    uint32_t *work;
    size_t nwork;
    int phase;                           /* 1: from the roots; 2: lost cliques */
    size_t leader;
    struct range *roots;
    size_t nroots;
    uintptr_t *ptrs;                     /* root words: registers, DTV entries */
    size_t nptrs;
    struct mt_maps maps;
    char *buf;
    struct mt_seg segs[MT_SEG_BATCH];
    bool ok[MT_SEG_BATCH];
    int nsegs;
    size_t seg_bytes;
    uintptr_t own_base;
    size_t tls_static_size;
};

/* ---- lookup ------------------------------------------------------------ */
static inline struct mt_block *find(const struct scan *s, uintptr_t p)
{
    if (p < s->lo || p >= s->hi)
        return NULL;
    size_t lo = 0, hi = s->n;            /* first block starting above p */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->b[mid].addr <= p)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NULL;
    struct mt_block *b = &s->b[lo - 1];
    uint64_t size = b->size ? b->size : 1;
    return p - b->addr < size ? b : NULL;
}

/* An interior pointer at the next chunk's header: glibc's bins and top
 * pointer, not a reference (glibc's chunk layout: size word before the
 * block, usable size = chunk size - 8, or - 16 when mmapped). */
static bool is_chunk_header(struct scan *s, const struct mt_block *b, uintptr_t p)
{
#if defined(__GLIBC__) && UINTPTR_MAX == 0xffffffffffffffffu
    if ((p & 15) != 0 || p + 8 < b->addr + b->size)
        return false;
    struct mt_seg seg = { b->addr - 8, 8, 0 };
    uint64_t sz;
    bool ok;
    mt_memread(&seg, 1, (char *)&sz, &ok, &s->maps);
    if (!ok)
        return false;
    uint64_t usable = (sz & ~(uint64_t)7) - ((sz & 2) ? 16 : 8);
    return p == b->addr + usable - 8;
#else
    (void)s; (void)b; (void)p;
    return false;
#endif
}

static inline void push(struct scan *s, struct mt_block *b)
{
    s->work[s->nwork++] = (uint32_t)(b - s->b);
}

/* A word found in a root or in a block being scanned. */
static void mark(struct scan *s, uintptr_t w)
{
    struct mt_block *b = find(s, w);
    if (!b)
        return;
    bool start = w == b->addr;
    if (s->phase == 1) {
        if (start) {
            if (b->state == ST_REACHABLE)
                return;
            if (b->state == ST_UNREACHED)
                push(s, b);
            b->state = ST_REACHABLE;
        } else if (b->state == ST_UNREACHED && !is_chunk_header(s, b, w)) {
            b->state = ST_POSSIBLE;
            push(s, b);
        }
        return;
    }
    if ((size_t)(b - s->b) == s->leader || (!start && is_chunk_header(s, b, w)))
        return;
    if (b->state == ST_UNREACHED) {
        b->state = ST_INDIRECT;
        push(s, b);
    } else if (b->state == ST_LEADER) {
        b->state = ST_INDIRECT;          /* an earlier clique, already flooded */
    }
}

/* ---- reading in batches -------------------------------------------------- */
static void flush(struct scan *s)
{
    if (!s->nsegs)
        return;
    mt_memread(s->segs, s->nsegs, s->buf, s->ok, &s->maps);
    const char *p = s->buf;
    for (int i = 0; i < s->nsegs; i++) {
        if (s->ok[i]) {
            const uintptr_t *w = (const uintptr_t *)(const void *)p;
            size_t nw = s->segs[i].len / sizeof *w;
            for (size_t k = 0; k < nw; k++)
                mark(s, w[k]);
        }
        p += s->segs[i].len;
    }
    s->nsegs = 0;
    s->seg_bytes = 0;
}

/* Queues the aligned words of [lo, hi) for scanning. */
static void scan_range(struct scan *s, uintptr_t lo, uintptr_t hi)
{
    lo = (lo + sizeof(uintptr_t) - 1) & ~(uintptr_t)(sizeof(uintptr_t) - 1);
    hi &= ~(uintptr_t)(sizeof(uintptr_t) - 1);
    while (lo < hi) {
        size_t len = hi - lo < BUF_BYTES ? hi - lo : BUF_BYTES;
        if (s->nsegs == MT_SEG_BATCH || s->seg_bytes + len > BUF_BYTES)
            flush(s);
        s->segs[s->nsegs++] = (struct mt_seg){ lo, len, 0 };
        s->seg_bytes += len;
        lo += len;
    }
}

static void drain(struct scan *s)
{
    while (s->nwork || s->nsegs) {
        while (s->nwork && s->nsegs < MT_SEG_BATCH && s->seg_bytes < BUF_BYTES) {
            const struct mt_block *b = &s->b[s->work[--s->nwork]];
            scan_range(s, b->addr, b->addr + b->size);
        }
        flush(s);
    }
}

/* ---- roots --------------------------------------------------------------- */
static void add_root(struct scan *s, uintptr_t lo, uintptr_t hi)
{
    if (lo < hi && s->nroots < MAX_ROOTS)
        s->roots[s->nroots++] = (struct range){ lo, hi };
}

static void add_ptr(struct scan *s, uintptr_t p)
{
    if (p && s->nptrs < MAX_PTRS)
        s->ptrs[s->nptrs++] = p;
}

static int module_roots(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct scan *s = arg;
    if (info->dlpi_addr == s->own_base)
        return 0;                        /* the shim's tables point at every block */
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_W)) {
            uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
            add_root(s, lo, lo + ph->p_memsz);
        }
    }
    return 0;
}

static uintptr_t read_word(struct scan *s, uintptr_t addr, bool *ok)
{
    uintptr_t v = 0;
    struct mt_seg seg = { addr, sizeof v, 0 };
    mt_memread(&seg, 1, (char *)&v, ok, &s->maps);
    return *ok ? v : 0;
}

/* The thread's static TLS block and what its DTV points at (glibc's layout:
 * on x86-64 the TLS blocks lie below the thread pointer and the DTV pointer
 * is the TCB's second word; on arm64 they lie above it, the DTV first). */
static void tls_roots(struct scan *s, uintptr_t tp)
{
    const struct mt_map_range *m = mt_maps_find(&s->maps, tp);
    if (!tp || !m)
        return;
    size_t span = s->tls_static_size ? s->tls_static_size : 64 * 1024;
#if defined(__x86_64__)
    uintptr_t lo = tp - span > tp ? 0 : tp - span, hi = tp + TCB_SPAN;
    uintptr_t dtv_at = tp + sizeof(uintptr_t);
#elif defined(__aarch64__)
    uintptr_t lo = tp, hi = tp + span + TCB_SPAN;
    uintptr_t dtv_at = tp;
#else
    return;
#endif
    add_root(s, lo < m->lo ? m->lo : lo, hi > m->hi ? m->hi : hi);
    bool ok;
    uintptr_t dtv = read_word(s, dtv_at, &ok);
    if (!ok || dtv < 16)
        return;
    add_ptr(s, dtv - 16);                /* the DTV's own block (dtv[-1] is its length) */
    uintptr_t len = read_word(s, dtv - 16, &ok);
    if (!ok || len > MAX_DTV)
        return;
    for (uintptr_t i = 1; i <= len; i++) {
        add_ptr(s, read_word(s, dtv + 16 * i, &ok));        /* pointer.val */
        add_ptr(s, read_word(s, dtv + 16 * i + 8, &ok));    /* pointer.to_free */
    }
}

/* A parked (or the scanning) thread: stack above its stack pointer (and
 * the red zone below it, for a thread a signal interrupted), registers,
 * TLS. */
static void thread_roots(struct scan *s, const struct mt_thread_ctx *t, uintptr_t red_zone)
{
    uintptr_t sp = t->sp > red_zone ? t->sp - red_zone : t->sp;
    uintptr_t hi = 0;
    if (t->stack_lo <= t->sp && t->sp < t->stack_hi) {
        hi = t->stack_hi;
    } else {
        const struct mt_map_range *m = mt_maps_find(&s->maps, t->sp);
        hi = m ? m->hi : 0;              /* a signal stack, a stack we never saw */
        if (m && sp < m->lo)
            sp = m->lo;
        /* On a signal stack (exit from a handler): the frames the signal
         * interrupted are on the thread's own stack, below a stack pointer
         * we do not know. All of its mapped part, then: a stale word there
         * can only hide a leak, where leaving the frames out would report
         * blocks they still point to. */
        const struct mt_map_range *own = t->stack_hi ? mt_maps_find(&s->maps, t->stack_hi - 1) : NULL;
        if (own && own != m)
            add_root(s, own->lo > t->stack_lo ? own->lo : t->stack_lo, t->stack_hi);
    }
    add_root(s, sp, hi);
    for (int i = 0; i < t->nregs; i++)
        add_ptr(s, t->regs[i]);
    tls_roots(s, t->tp);
}

/* Blocks the dynamic loader allocated (link maps, DTVs, dynamic TLS) are
 * reachable through its own memory, which is no module segment (the
 * loader's early allocations come from its private pool): like
 * LeakSanitizer, count them as roots. */
static void loader_roots(struct scan *s)
{
    if (!loader_hi)
        return;
    uint32_t nstacks = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->b[i].stack != UINT32_MAX && s->b[i].stack >= nstacks)
            nstacks = s->b[i].stack + 1;
    uint8_t *by_loader = nstacks ? mt_map(nstacks) : NULL;   /* 0 unknown, 1 yes, 2 no */
    if (!by_loader)
        return;
    for (size_t i = 0; i < s->n; i++) {
        uint32_t id = s->b[i].stack;
        if (id >= nstacks)
            continue;
        if (!by_loader[id]) {
            const uintptr_t *frames;
            int nf = mt_stacks_frames(id, &frames);
            by_loader[id] = nf > 0 && frames[0] > loader_lo && frames[0] <= loader_hi ? 1 : 2;
        }
        if (by_loader[id] == 1 && s->b[i].state == ST_UNREACHED) {
            s->b[i].state = ST_REACHABLE;
            push(s, &s->b[i]);
        }
    }
    mt_unmap(by_loader, nstacks);
}

/* ---- sorting: the page-table part comes sorted; the large blocks do not - */
static void sift(struct mt_block *a, size_t i, size_t n)
{
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            return;
        if (c + 1 < n && a[c + 1].addr > a[c].addr)
            c++;
        if (a[i].addr >= a[c].addr)
            return;
        struct mt_block t = a[i];
        a[i] = a[c];
        a[c] = t;
        i = c;
    }
}

static void heapsort_blocks(struct mt_block *a, size_t n)
{
    for (size_t i = n / 2; i-- > 0;)
        sift(a, i, n);
    for (size_t k = n; k > 1; k--) {
        struct mt_block t = a[0];
        a[0] = a[k - 1];
        a[k - 1] = t;
        sift(a, 0, k - 1);
    }
}

/* Merges the sorted runs [0, mid) and [mid, n) of a through tmp. */
static void merge_runs(struct mt_block *a, size_t mid, size_t n, struct mt_block *tmp)
{
    size_t i = 0, j = mid, k = 0;
    while (i < mid || j < n)
        tmp[k++] = (j >= n || (i < mid && a[i].addr <= a[j].addr)) ? a[i++] : a[j++];
    memcpy(a, tmp, n * sizeof *a);
}

static bool collect_blocks(struct scan *s)
{
    size_t sorted;
    size_t want = mt_livemap_collect(NULL, 0, &sorted) + 4096;
    for (int tries = 0; tries < 4; tries++) {
        s->b_bytes = want * sizeof *s->b;
        s->b = mt_map(s->b_bytes);
        if (!s->b)
            return false;
        size_t n = mt_livemap_collect(s->b, want, &sorted);
        if (n <= want) {
            s->n = n;
            break;
        }
        mt_unmap(s->b, s->b_bytes);
        s->b = NULL;
        want = n + n / 4;
    }
    if (!s->b)
        return false;
    if (sorted < s->n) {
        heapsort_blocks(s->b + sorted, s->n - sorted);
        struct mt_block *tmp = mt_map(s->n * sizeof *tmp);
        if (!tmp)
            return false;
        merge_runs(s->b, sorted, s->n, tmp);
        mt_unmap(tmp, s->n * sizeof *tmp);
    }
    s->lo = s->n ? s->b[0].addr : 0;
    for (size_t i = 0; i < s->n; i++) {
        uint64_t end = s->b[i].addr + (s->b[i].size ? s->b[i].size : 1);
        if (end > s->hi)
            s->hi = end;
    }
    return true;
}

/* ---- the scan ------------------------------------------------------------ */
static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool classify(struct scan *s, struct mt_leak_result *r)
{
    uint32_t nstacks = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->b[i].stack != UINT32_MAX && s->b[i].stack + 1 > nstacks)
            nstacks = s->b[i].stack + 1;
    r->per_stack_bytes = (size_t)nstacks * sizeof *r->per_stack;
    r->per_stack = nstacks ? mt_map(r->per_stack_bytes) : NULL;
    if (nstacks && !r->per_stack)
        return false;
    r->nstacks = nstacks;
    for (size_t i = 0; i < s->n; i++) {
        const struct mt_block *b = &s->b[i];
        if (b->stack >= nstacks)
            continue;
        int c;
        switch (b->state) {
        case ST_REACHABLE: c = MT_LEAK_REACHABLE; break;
        case ST_POSSIBLE: c = MT_LEAK_POSSIBLE; break;
        case ST_INDIRECT: c = r->missed ? MT_LEAK_POSSIBLE : MT_LEAK_INDIRECT; break;
        default: c = r->missed ? MT_LEAK_POSSIBLE : MT_LEAK_DEFINITE; break;
        }
        r->per_stack[b->stack].count[c]++;
        r->per_stack[b->stack].bytes[c] += b->size;
    }
    return true;
}

/* Asked once at start-up: at exit the loader must not be called (see
 * mt_leakscan_run). */
static uintptr_t own_base;
static size_t tls_static_size;

static int find_loader(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    if (info->dlpi_addr != (uintptr_t)arg)
        return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
            loader_lo = info->dlpi_addr + ph->p_vaddr;
            loader_hi = loader_lo + ph->p_memsz;
        }
    }
    return 1;
}

void mt_leakscan_init(void)
{
    Dl_info di;
    if (dladdr((void *)mt_leakscan_init, &di))
        own_base = (uintptr_t)di.dli_fbase;
    void (*fn)(size_t *, size_t *) =
        (void (*)(size_t *, size_t *))dlsym(RTLD_DEFAULT, "_dl_get_tls_static_info");
    size_t align = 0;
    if (fn)
        fn(&tls_static_size, &align);
    uintptr_t base = (uintptr_t)getauxval(AT_BASE);
    if (base)
        dl_iterate_phdr(find_loader, (void *)base);
}

/* noinline: the scanning thread's own stack is scanned from this frame up,
 * and the jmp_buf here holds its callee-saved registers. */
__attribute__((noinline)) bool mt_leakscan_run(struct mt_leak_result *r, uintptr_t stack_from)
{
    int guard = mt_self.guard;
    mt_self.guard = 1;
    memset(r, 0, sizeof *r);
    uint64_t t0 = mono_ns();
    static struct scan s;                /* once, at exit; too big for the stack */
    memset(&s, 0, sizeof s);
    s.own_base = own_base;
    s.tls_static_size = tls_static_size;
    s.roots = mt_map(MAX_ROOTS * sizeof *s.roots);
    s.ptrs = mt_map(MAX_PTRS * sizeof *s.ptrs);
    s.buf = mt_map(BUF_BYTES);
    bool ok = s.roots && s.ptrs && s.buf;
    if (ok)
        dl_iterate_phdr(module_roots, &s);   /* the loader lock: before parking anyone */

    struct mt_world w;
    memset(&w, 0, sizeof w);
    ok = ok && mt_world_stop(&w);
    if (ok && w.missed && mt_memread_direct())
        ok = false;                      /* a running thread could unmap what we read */
    ok = ok && mt_maps_load(&s.maps) && collect_blocks(&s);
    mt_memread_prefer_direct(ok && !w.missed);
    if (ok) {
        s.work = mt_map(s.n * sizeof *s.work + 8);
        ok = s.work != NULL;
    }
    if (ok) {
        jmp_buf regs;
        __builtin_unwind_init();         /* callee-saved registers into this frame */
        setjmp(regs);
        struct mt_thread_ctx self;
        memset(&self, 0, sizeof self);
        self.sp = (uintptr_t)&regs < (uintptr_t)&self ? (uintptr_t)&regs : (uintptr_t)&self;
        if (stack_from > self.sp)
            self.sp = stack_from;        /* the program's frames only (MT_STACK_BOUNDARY) */
        self.tp = (uintptr_t)pthread_self();
        mt_thread_stack(&self.stack_lo, &self.stack_hi);
        thread_roots(&s, &self, 0);
        int parked = 0;
        for (int i = 0; i < w.n; i++)
            if (w.t[i].state == MT_THREAD_PARKED) {
                thread_roots(&s, &w.t[i], RED_ZONE);
                parked++;
            }
        s.phase = 1;
        loader_roots(&s);
        uintptr_t env_lo, env_hi;
        mt_tree_env_range(&env_lo, &env_hi);
        add_root(&s, env_lo, env_hi);
        for (size_t i = 0; i < s.nptrs; i++)
            mark(&s, s.ptrs[i]);
        for (size_t i = 0; i < s.nroots; i++)
            scan_range(&s, s.roots[i].lo, s.roots[i].hi);
        drain(&s);
        s.phase = 2;
        for (size_t i = 0; i < s.n; i++) {
            if (s.b[i].state != ST_UNREACHED)
                continue;
            s.leader = i;
            s.b[i].state = ST_LEADER;
            push(&s, &s.b[i]);
            drain(&s);
        }
        r->threads = (uint32_t)parked + 1;
        r->missed = (uint32_t)w.missed;
        if (classify(&s, r))
            r->status = r->missed ? MT_SCAN_PARTIAL : MT_SCAN_DONE;
        __asm__ __volatile__("" : : "r"(&regs) : "memory");
    }
    /* The parked threads stay parked: the process is exiting (this is the
     * last exit handler), and a thread let go would see its pause(),
     * poll() or nanosleep() fail with EINTR and could act on it. The
     * scan's memory goes with the process too: unmapping it first (six
     * munmaps, each a TLB flush) was 0.2-0.3 ms of a small program's exit. */
    r->ms = (uint32_t)((mono_ns() - t0) / 1000000u);
    if (r->status == MT_SCAN_NONE)
        mt_log("mtrace: the leak scan could not run; the exit snapshot has no leak classes");
    mt_self.guard = guard;
    return r->status != MT_SCAN_NONE;
}

void mt_leakscan_release(struct mt_leak_result *r)
{
    mt_unmap(r->per_stack, r->per_stack_bytes);
    r->per_stack = NULL;
}
