/* Joining snapshots into one memory timeline per process (see timeline.h). */
#include "timeline.h"

#include <stdlib.h>
#include <string.h>

#include "textutil.h"

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p)
        report_oom();
    return p;
}

static bool same_image(const struct snap *a, const struct snap *b)
{
    return a->hdr.pid == b->hdr.pid && a->hdr.start_time_ns == b->hdr.start_time_ns &&
           strcmp(snap_str(a, a->hdr.program), snap_str(b, b->hdr.program)) == 0;
}

struct ix {
    const struct snap *s;
    size_t index;
};

/* Time order (time_ns, then sequence); the command line's order for ties. */
static int by_time(const void *pa, const void *pb)
{
    const struct ix *a = pa, *b = pb;
    const struct mt_file_header *x = &a->s->hdr, *y = &b->s->hdr;
    if (x->time_ns != y->time_ns)
        return x->time_ns < y->time_ns ? -1 : 1;
    if (x->sequence != y->sequence)
        return x->sequence < y->sequence ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index;
}

static int label_cmp(const void *pa, const void *pb)
{
    const struct tl_label *a = pa, *b = pb;
    if (a->time_ns != b->time_ns)
        return a->time_ns < b->time_ns ? -1 : 1;
    if (a->allocs != b->allocs)
        return a->allocs < b->allocs ? -1 : 1;
    if (a->traced_bytes != b->traced_bytes)
        return a->traced_bytes < b->traced_bytes ? -1 : 1;
    return strcmp(a->text, b->text);
}

/* Every snapshot repeats the labels put before it: keep each once. */
static void join_labels(struct tl_proc *p)
{
    size_t n = 0;
    for (size_t i = 0; i < p->nsnaps; i++)
        n += p->snaps[i].snap->nlabels;
    p->labels = xcalloc(n, sizeof *p->labels);
    for (size_t i = 0; i < p->nsnaps; i++) {
        const struct snap *s = p->snaps[i].snap;
        for (size_t k = 0; k < s->nlabels; k++) {
            const struct mt_tl_label *l = &s->labels[k];
            p->labels[p->nlabels++] = (struct tl_label){l->time_ns, l->allocs,
                                                        l->traced_bytes, snap_str(s, l->text)};
        }
    }
    qsort(p->labels, p->nlabels, sizeof *p->labels, label_cmp);
    size_t k = 0;
    for (size_t i = 0; i < p->nlabels; i++)
        if (k == 0 || label_cmp(&p->labels[k - 1], &p->labels[i]) != 0)
            p->labels[k++] = p->labels[i];
    p->nlabels = k;
}

/* The latest snapshot's TIMELINE, then a point per later traced snapshot. */
static void join_points(struct tl_proc *p)
{
    const struct snap *src = NULL;
    for (size_t i = p->nsnaps; i-- > 0 && !src;)
        if (p->snaps[i].snap->ntimeline)
            src = p->snaps[i].snap;
    size_t nraw = src ? src->ntimeline : 0;
    p->points = xcalloc(nraw + p->nsnaps, sizeof *p->points);
    if (nraw)
        memcpy(p->points, src->timeline, nraw * sizeof *p->points);
    p->nraw = p->npoints = nraw;
    for (size_t i = 0; i < p->nsnaps; i++) {
        const struct tl_snapmark *m = &p->snaps[i];
        /* An --rss-only header repeats the last sample: no new point. */
        if (snap_rss_only(m->snap) && nraw)
            continue;
        if (p->npoints && m->time_ns <= p->points[p->npoints - 1].time_ns)
            continue;
        p->points[p->npoints++] = (struct mt_tl_point){
            .time_ns = m->time_ns, .traced_bytes = m->current_bytes,
            .max_bytes = m->current_bytes, .max_time_ns = m->time_ns,
            .rss_bytes = m->rss_bytes, .allocs = m->total_allocs,
        };
    }
}

/* The peak: traced, at the first point whose allocation count reaches the
 * header's peak_allocs (no clock is read per new peak: the count places
 * it), at that point's max_time_ns; from headers without peak_allocs, the
 * point with the largest max_bytes. --rss-only: the highest RSS sample. */
static void find_peak(struct tl_proc *p)
{
    const struct snap *last = p->snaps[p->nsnaps - 1].snap;
    const struct mt_file_header *h = &last->hdr;
    p->peak_point = p->npoints;
    if (p->rss_only) {
        for (size_t i = 0; i < p->npoints; i++)
            if (p->points[i].rss_bytes > p->peak_bytes) {
                p->peak_bytes = p->points[i].rss_bytes;
                p->peak_point = i;
            }
        if (p->peak_point < p->npoints) {
            p->peak_kind = TL_PEAK_RSS;
            p->peak_time_ns = p->points[p->peak_point].time_ns;
        }
        return;
    }
    if (h->peak_bytes == 0)
        return;
    p->peak_kind = TL_PEAK_TRACED;
    p->peak_bytes = h->peak_bytes;
    p->peak_allocs = h->peak_allocs;
    if (h->peak_allocs) {
        for (size_t i = 0; i < p->npoints && p->peak_point == p->npoints; i++)
            if (p->points[i].allocs >= h->peak_allocs)
                p->peak_point = i;
    } else {
        uint64_t best = 0;
        for (size_t i = 0; i < p->npoints; i++)
            if (p->points[i].max_bytes > best) {
                best = p->points[i].max_bytes;
                p->peak_point = i;
            }
    }
    p->peak_time_ns = p->peak_point < p->npoints ? p->points[p->peak_point].max_time_ns
                                                 : h->time_ns;
}

static void build_proc(struct tl_proc *p, const struct ix *snaps, size_t n)
{
    p->snaps = xcalloc(n, sizeof *p->snaps);
    p->nsnaps = n;
    for (size_t i = 0; i < n; i++) {
        const struct snap *s = snaps[i].s;
        const struct mt_file_header *h = &s->hdr;
        struct tl_snapmark *m = &p->snaps[i];
        m->snap = s;
        m->file = s->path ? s->path : "";
        m->reason = snap_reason_name(h->reason);
        snap_cause(h, m->cause, sizeof m->cause);
        m->sequence = h->sequence;
        m->time_ns = h->time_ns;
        m->current_bytes = h->current_bytes;
        m->peak_bytes = h->peak_bytes;
        m->rss_bytes = h->rss_bytes;
        m->total_allocs = h->total_allocs;
    }
    const struct snap *last = snaps[n - 1].s;
    const struct mt_file_header *h = &last->hdr;
    p->pid = h->pid;
    p->ppid = h->ppid;
    p->start_time_ns = h->start_time_ns;
    p->program = snap_str(last, h->program);
    p->cmdline = snap_str(last, h->cmdline);
    p->rss_only = snap_rss_only(last);
    p->timeline_ms = h->timeline_ms;
    p->sample_bytes = h->sample_bytes;
    join_points(p);
    join_labels(p);
    find_peak(p);
    uint64_t first = p->snaps[0].time_ns, end = p->snaps[n - 1].time_ns;
    if (p->npoints) {
        if (p->points[0].time_ns < first)
            first = p->points[0].time_ns;
        if (p->points[p->npoints - 1].time_ns > end)
            end = p->points[p->npoints - 1].time_ns;
    }
    if (p->nlabels && p->labels[0].time_ns < first)
        first = p->labels[0].time_ns;
    p->t0 = p->start_time_ns && p->start_time_ns < first ? p->start_time_ns : first;
    p->t_end = end;
}

static int proc_cmp(const void *pa, const void *pb)
{
    const struct tl_proc *a = pa, *b = pb;
    if (a->t0 != b->t0)
        return a->t0 < b->t0 ? -1 : 1;
    if (a->pid != b->pid)
        return a->pid < b->pid ? -1 : 1;
    /* images of one pid (exec): in the order of their snapshots */
    uint64_t x = a->snaps[0].time_ns, y = b->snaps[0].time_ns;
    return x < y ? -1 : x > y;
}

/* Index of the first process of SET[0..N) with pid PID, or N. */
static size_t pid_index(const struct tl_proc *procs, size_t n, uint64_t pid)
{
    size_t i = 0;
    while (i < n && procs[i].pid != pid)
        i++;
    return i;
}

/* A process tree parent first, each one's children after it, in start
 * order (start times come in clock ticks, too coarse to order a parent
 * and the child it forked at once). */
static void tree_order(struct tl_set *set)
{
    const size_t n = set->nprocs;
    struct tl_proc *out = xcalloc(n, sizeof *out);
    bool *done = xcalloc(n, sizeof *done);
    size_t *stack = xcalloc(n, sizeof *stack), k = 0;
    for (size_t r = 0; r < n; r++) {
        size_t par = pid_index(set->procs, n, set->procs[r].ppid);
        if (done[r] || (par < n && par != r))
            continue;                    /* not a root: placed under its parent */
        size_t top = 0;
        stack[top++] = r;
        done[r] = true;
        while (top) {
            size_t i = stack[--top];
            out[k++] = set->procs[i];
            /* push children in reverse start order: popped in start order */
            for (size_t c = n; c-- > 0;)
                if (!done[c] && set->procs[c].ppid == set->procs[i].pid &&
                    pid_index(set->procs, n, set->procs[i].pid) == i) {
                    done[c] = true;
                    stack[top++] = c;
                }
        }
    }
    for (size_t i = 0; i < n; i++)       /* a cycle of hostile ppids: as sorted */
        if (!done[i])
            out[k++] = set->procs[i];
    memcpy(set->procs, out, n * sizeof *out);
    free(stack);
    free(done);
    free(out);
}

void tl_build(struct tl_set *set, const struct snap *snaps, size_t n)
{
    memset(set, 0, sizeof *set);
    struct ix *all = xcalloc(n, sizeof *all);
    size_t *img = xcalloc(n, sizeof *img);   /* image number of each snapshot */
    size_t nimg = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (k < i && !same_image(&snaps[k], &snaps[i]))
            k++;
        img[i] = k < i ? img[k] : nimg++;
        all[i] = (struct ix){&snaps[i], i};
    }
    set->procs = xcalloc(nimg, sizeof *set->procs);
    set->nprocs = nimg;
    struct ix *mine = xcalloc(n, sizeof *mine);
    for (size_t k = 0; k < nimg; k++) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (img[i] == k)
                mine[m++] = all[i];
        qsort(mine, m, sizeof *mine, by_time);
        build_proc(&set->procs[k], mine, m);
    }
    qsort(set->procs, set->nprocs, sizeof *set->procs, proc_cmp);
    tree_order(set);
    free(mine);
    free(img);
    free(all);
}

void tl_free(struct tl_set *set)
{
    for (size_t i = 0; i < set->nprocs; i++) {
        free(set->procs[i].points);
        free(set->procs[i].labels);
        free(set->procs[i].snaps);
    }
    free(set->procs);
    memset(set, 0, sizeof *set);
}

bool tl_plottable(const struct tl_set *set)
{
    for (size_t i = 0; i < set->nprocs; i++)
        if (set->procs[i].npoints >= 2)
            return true;
    return false;
}

uint64_t tl_elapsed(const struct tl_proc *p, uint64_t t)
{
    return t > p->t0 ? t - p->t0 : 0;
}

size_t tl_downsample(const struct tl_proc *p, size_t max, struct tl_row *rows)
{
    const size_t n = p->npoints;
    const size_t m = max == 0 || max >= n ? n : max;
    for (size_t k = 0; k < m; k++) {
        /* k * n < m * n <= n * n: no overflow for any file under 4 GiB */
        size_t first = k * n / m, last = (k + 1) * n / m - 1;
        struct tl_row *r = &rows[k];
        const struct mt_tl_point *e = &p->points[last];
        *r = (struct tl_row){first, last, e->time_ns, e->traced_bytes, e->allocs, 0, 0, 0};
        for (size_t i = first; i <= last; i++) {
            const struct mt_tl_point *q = &p->points[i];
            if (q->max_bytes > r->max_bytes || i == first) {
                r->max_bytes = q->max_bytes;
                r->max_time_ns = q->max_time_ns;
            }
            if (q->rss_bytes > r->rss_bytes)
                r->rss_bytes = q->rss_bytes;
        }
    }
    return m;
}
