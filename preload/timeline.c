/* ---------------------------------------------------------------------------
 * timeline.c: memory over time (MTRACE_TIMELINE_MS), and labels on it.
 *
 * No thread is started for this. The allocation path compares a coarse
 * clock (vDSO, no system call) with the next point's due time; the thread
 * that wins a compare-and-swap on that time takes the point: RSS from
 * /proc/self/statm outside any lock, then the traced figures from stacks.c
 * (current bytes, the maximum since the previous point and the clock reading
 * of the allocation that reached it: the same reading, so no extra clock
 * read). The tracer thread, when one runs, ticks here
 * too, so an idle process still gets points. A snapshot adds a point at its
 * own moment, so every snapshot carries the series up to then.
 *
 * The buffer is bounded (MTRACE_TIMELINE_POINTS). When it fills, neighbours
 * are merged pairwise (all but the first, the start) and the interval
 * doubles: the series always covers the whole run at an even resolution,
 * and a merged point keeps the later point's state with the larger maximum
 * and its time.
 * ------------------------------------------------------------------------- */
#define _GNU_SOURCE
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "mtrace/format.h"

#define LABEL_TEXT 64

struct label {
    uint64_t time_ns, allocs, bytes;
    char text[LABEL_TEXT];
};

static struct {
    bool on;
    mt_lock lock;                    /* points, labels */
    struct mt_tl_point *pts;
    size_t n, cap;
    uint64_t interval_ns;            /* doubles at each merge */
    struct label *labels;
    size_t nlabels;
    uint64_t mono0_ns, real0_ns;     /* clock origins: points carry CLOCK_REALTIME */
} tl = { .lock = MT_LOCK_INIT };

MT_HOT static _Atomic uint64_t next_due_ns; /* CLOCK_MONOTONIC_COARSE; UINT64_MAX: off */

static uint64_t clock_ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t realtime_of(uint64_t mono)
{
    return tl.real0_ns + (mono - tl.mono0_ns);
}

void mt_timeline_init(void)
{
    atomic_store(&next_due_ns, UINT64_MAX);
    tl.mono0_ns = clock_ns(CLOCK_MONOTONIC_COARSE);
    tl.real0_ns = clock_ns(CLOCK_REALTIME);
    tl.labels = mt_map(MT_TIMELINE_LABELS * sizeof *tl.labels);
    if (!mt_opt.timeline_ms)
        return;
    tl.cap = mt_opt.timeline_points;
    tl.pts = mt_map(tl.cap * sizeof *tl.pts);
    if (!tl.pts)
        return;
    tl.interval_ns = (uint64_t)mt_opt.timeline_ms * 1000000ull;
    tl.on = true;
    atomic_store(&next_due_ns, tl.mono0_ns);     /* the first allocation: a point at start */
}

/* Called with tl.lock held. The first point (the start) stays; the rest
 * merge pairwise. */
static void merge_pairs(void)
{
    size_t k = 1, i = 1;
    for (; i + 1 < tl.n; i += 2) {
        struct mt_tl_point a = tl.pts[i], b = tl.pts[i + 1];
        if (a.max_bytes > b.max_bytes) {
            b.max_bytes = a.max_bytes;
            b.max_time_ns = a.max_time_ns;
        }
        tl.pts[k++] = b;
    }
    if (i < tl.n)
        tl.pts[k++] = tl.pts[i];
    tl.n = k;
    tl.interval_ns *= 2;
}

static uint64_t statm_rss(void)
{
    char buf[128];
    if (!mt_proc_read("/proc/self/statm", buf, sizeof buf))
        return 0;
    const char *s = strchr(buf, ' ');
    if (!s)
        return 0;
    uint64_t pages = mt_parse_decimal(s + 1, NULL);
    static uint64_t page;
    if (!page)
        page = (uint64_t)sysconf(_SC_PAGESIZE);
    return pages * page;
}

static uint64_t take_point(uint64_t mono)
{
    struct mt_tl_point p;
    p.rss_bytes = statm_rss();                   /* outside every lock */
    p.time_ns = realtime_of(mono);
    uint64_t max_mono;
    mt_stacks_timeline_point(&p.traced_bytes, &p.max_bytes, &max_mono, &p.allocs, mono);
    mt_lock_acquire(&tl.lock);
    /* The coarse clock lags the fine one a snapshot's point reads by up
     * to a tick: keep the series in time order. */
    uint64_t prev = tl.n ? tl.pts[tl.n - 1].time_ns : 0;
    if (p.time_ns < prev)
        p.time_ns = prev;
    p.max_time_ns = max_mono && max_mono <= mono ? realtime_of(max_mono) : p.time_ns;
    if (p.max_time_ns < prev)
        p.max_time_ns = prev;
    if (tl.n == tl.cap)
        merge_pairs();
    tl.pts[tl.n++] = p;
    atomic_store_explicit(&next_due_ns, mono + tl.interval_ns, memory_order_relaxed);
    mt_lock_release(&tl.lock);
    return p.time_ns;
}

uint64_t mt_timeline_clock(void)
{
    return tl.on ? clock_ns(CLOCK_MONOTONIC_COARSE) : 0;
}

void mt_timeline_tick(uint64_t mono)
{
    uint64_t due = atomic_load_explicit(&next_due_ns, memory_order_relaxed);
    if (MT_LIKELY(mono < due) || due >= UINT64_MAX - 1)
        return;
    /* One winner per interval; the rest go on at once. */
    if (!atomic_compare_exchange_strong(&next_due_ns, &due, UINT64_MAX - 1))
        return;
    take_point(mono);
}

size_t mt_timeline_snapshot_point(uint64_t *time_ns)
{
    if (!tl.on)
        return 0;
    /* The fine clock (same base, never behind the coarse one): the point
     * is the snapshot's moment, its time_ns. */
    *time_ns = take_point(clock_ns(CLOCK_MONOTONIC));
    return tl.n;
}

size_t mt_timeline_copy(struct mt_tl_point *out, size_t cap)
{
    mt_lock_acquire(&tl.lock);
    size_t n = tl.n < cap ? tl.n : cap;
    memcpy(out, tl.pts, n * sizeof *out);
    mt_lock_release(&tl.lock);
    return n;
}

size_t mt_timeline_label_count(void)
{
    return tl.nlabels;
}

size_t mt_timeline_labels(struct mt_tl_label *out, size_t cap, struct mt_strtab *st)
{
    mt_lock_acquire(&tl.lock);
    size_t n = tl.nlabels < cap ? tl.nlabels : cap;
    for (size_t i = 0; i < n; i++) {
        const struct label *l = &tl.labels[i];
        out[i] = (struct mt_tl_label){ l->time_ns, l->allocs, l->bytes, 0, 0 };
        out[i].text = mt_strtab_add(st, l->text, strlen(l->text));
    }
    mt_lock_release(&tl.lock);
    return n;
}

bool mt_timeline_label(const char *text)
{
    if (!tl.labels)
        return false;
    uint64_t cur, allocs;
    mt_stacks_totals(&cur, NULL, &allocs);
    mt_lock_acquire(&tl.lock);
    bool ok = tl.nlabels < MT_TIMELINE_LABELS;
    if (ok) {
        struct label *l = &tl.labels[tl.nlabels++];
        l->time_ns = clock_ns(CLOCK_REALTIME);
        l->allocs = allocs;
        l->bytes = cur;
        size_t len = strnlen(text, LABEL_TEXT - 1);
        memcpy(l->text, text, len);
        l->text[len] = '\0';
    }
    mt_lock_release(&tl.lock);
    return ok;
}

void mt_timeline_lock(void) { mt_lock_acquire(&tl.lock); }

/* A fork child's series starts at the fork: its counters start there. */
void mt_timeline_unlock(bool child)
{
    if (!child) {
        mt_lock_release(&tl.lock);
        return;
    }
    tl.n = 0;
    tl.nlabels = 0;
    if (tl.on) {
        tl.interval_ns = (uint64_t)mt_opt.timeline_ms * 1000000ull;
        tl.mono0_ns = clock_ns(CLOCK_MONOTONIC_COARSE);
        tl.real0_ns = clock_ns(CLOCK_REALTIME);
        atomic_store(&next_due_ns, tl.mono0_ns);
    }
    mt_lock_reinit(&tl.lock);
}
