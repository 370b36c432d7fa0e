/* --rss-only: finding and sampling the processes of the tree (reaper.h).
 *
 * Each poll walks the tree down from this process (the child subreaper):
 * the children files of every task (/proc/PID/task/TID/children), or,
 * where the kernel lacks them, every /proc/PID/stat's parent. Each process
 * found gets its RSS from /proc/PID/statm (resident pages x page size) and
 * its VmHWM from /proc/PID/status (so the peak RSS is right even between
 * polls). A process is a pid with its start time: a pid seen again with
 * another start time is a new process. One that is gone (not found, or
 * reaped here) is written out at once, so memory holds only the living.
 * A process that lives less than one interval may never be seen.
 *
 * A process's points are bounded (MTRACE_TIMELINE_POINTS): when full, all
 * but the first merge pairwise, keeping the later time and the larger RSS,
 * and its interval doubles; a point then holds the highest RSS sampled over
 * its interval, so no peak is lost to merging. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "reaper.h"

static struct rproc **procs;
static size_t nprocs, capprocs;

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) {
        fputs("mtrace-reaper: out of memory\n", stderr);
        exit(2);
    }
    return p;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(xrealloc(NULL, n), s, n);
}

uint64_t rss_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool env_num(const char *name, long lo, long hi, long *v)
{
    const char *s = getenv(name);
    if (!s || !*s)
        return true;
    char *end;
    errno = 0;
    long x = strtol(s, &end, 10);
    if (errno || *end || x < lo || x > hi) {
        fprintf(stderr, "mtrace-reaper: %s=%s: want a number from %ld to %ld\n", name, s, lo,
                hi);
        return false;
    }
    *v = x;
    return true;
}

bool rss_opts_init(struct rss_opts *o)
{
    memset(o, 0, sizeof *o);
    long ms = 100, points = 4096;
    if (!env_num("MTRACE_TIMELINE_MS", 1, 3600000, &ms) ||
        !env_num("MTRACE_TIMELINE_POINTS", 4, 1 << 20, &points))
        return false;
    o->interval_ns = (uint64_t)ms * 1000000u;
    o->max_points = (size_t)points;
    const char *out = getenv("MTRACE_OUT");
    o->out = out && *out ? out : "mtrace.%e.%p.%n.snap";
    const char *m = getenv("MTRACE_MANIFEST");
    o->manifest = m && *m ? m : NULL;
    if (!getcwd(o->cwd, sizeof o->cwd))
        o->cwd[0] = '\0';
    return true;
}

/* The whole of a small /proc file into BUF (NUL-terminated); its length,
 * or -1. */
static ssize_t slurp(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t got = 0;
    for (;;) {
        ssize_t n = read(fd, buf + got, cap - 1 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
        if (got == cap - 1)
            break;
    }
    close(fd);
    buf[got] = '\0';
    return (ssize_t)got;
}

struct pstat {
    pid_t ppid;
    char state;
    uint64_t start;              /* clock ticks after boot */
    char comm[64];
};

static bool read_stat(pid_t pid, struct pstat *st)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if (slurp(path, buf, sizeof buf) <= 0)
        return false;
    /* "pid (comm) S ppid ...": comm may hold spaces and ')' */
    char *open = strchr(buf, '('), *close = strrchr(buf, ')');
    if (!open || !close || close < open || close[1] != ' ')
        return false;
    size_t n = (size_t)(close - open - 1);
    n = n < sizeof st->comm - 1 ? n : sizeof st->comm - 1;
    memcpy(st->comm, open + 1, n);
    st->comm[n] = '\0';
    char *p = close + 2;
    st->state = *p;
    /* fields 3.. after ')': state is field 3, ppid 4, starttime 22 */
    for (int field = 3; field < 22; field++) {
        p = strchr(p, ' ');
        if (!p)
            return false;
        p++;
        if (field + 1 == 4)
            st->ppid = (pid_t)strtol(p, NULL, 10);
    }
    st->start = strtoull(p, NULL, 10);
    return true;
}

static uint64_t read_rss(pid_t pid, bool *ok)
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%d/statm", (int)pid);
    unsigned long long size, resident;
    *ok = slurp(path, buf, sizeof buf) > 0 && sscanf(buf, "%llu %llu", &size, &resident) == 2;
    return *ok ? resident * (uint64_t)sysconf(_SC_PAGESIZE) : 0;
}

static uint64_t read_hwm(pid_t pid)
{
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    if (slurp(path, buf, sizeof buf) <= 0)
        return 0;
    const char *p = strstr(buf, "\nVmHWM:");
    return p ? strtoull(p + 7, NULL, 10) * 1024 : 0;
}

/* ---- the tree ------------------------------------------------------------ */

struct pids {
    pid_t *v;
    size_t n, cap;
};

static void push(struct pids *s, pid_t pid)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->v = xrealloc(s->v, s->cap * sizeof *s->v);
    }
    s->v[s->n++] = pid;
}

/* The children of PID, from the children file of each of its tasks;
 * false when the kernel has no such files. */
static bool children_of(pid_t pid, struct pids *out)
{
    char path[96], buf[8192];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return true;                 /* gone */
    bool supported = true;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof path, "/proc/%d/task/%ld/children", (int)pid,
                 strtol(e->d_name, NULL, 10));
        if (slurp(path, buf, sizeof buf) < 0) {
            if (errno == ENOENT && pid == getpid())
                supported = false;
            continue;
        }
        for (char *p = buf, *end; *p; p = end) {
            long c = strtol(p, &end, 10);
            if (end == p)
                break;
            if (c > 0)
                push(out, (pid_t)c);
        }
    }
    closedir(d);
    return supported;
}

/* Every process of /proc whose chain of parents reaches this one. */
static void scan_all(struct pids *out)
{
    struct pids all = {0}, parent = {0};
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d))) {
        struct pstat st;
        pid_t pid = (pid_t)strtol(e->d_name, NULL, 10);
        if (pid > 0 && read_stat(pid, &st)) {
            push(&all, pid);
            push(&parent, st.ppid);
        }
    }
    if (d)
        closedir(d);
    push(out, getpid());
    for (size_t k = 0; k < out->n; k++)      /* breadth first from here */
        for (size_t i = 0; i < all.n; i++)
            if (parent.v[i] == out->v[k])
                push(out, all.v[i]);
    memmove(out->v, out->v + 1, (out->n - 1) * sizeof *out->v);
    out->n--;
    free(all.v);
    free(parent.v);
}

static void walk(struct pids *out)
{
    static int use_children = -1;
    out->n = 0;
    if (use_children != 0) {
        struct pids q = {0};
        bool ok = children_of(getpid(), &q);
        for (size_t k = 0; ok && k < q.n; k++) {
            push(out, q.v[k]);
            children_of(q.v[k], &q);
        }
        free(q.v);
        if (ok) {
            use_children = 1;
            return;
        }
        use_children = 0;
        out->n = 0;
    }
    scan_all(out);
}

/* ---- the processes --------------------------------------------------------- */

static struct rproc *find(pid_t pid)
{
    for (size_t i = 0; i < nprocs; i++)
        if (procs[i]->pid == pid)
            return procs[i];
    return NULL;
}

static void drop(struct rproc *p)
{
    for (size_t i = 0; i < nprocs; i++)
        if (procs[i] == p) {
            procs[i] = procs[--nprocs];
            break;
        }
    free(p->exe);
    free(p->first_exe);
    free(p->cmdline);
    free(p->name);
    free(p->pts);
    free(p);
}

static void room(const struct rss_opts *o, struct rproc *p);

static void end(const struct rss_opts *o, struct rproc *p, uint64_t now)
{
    if (p->pending_rss) {                /* sampled since its last point */
        room(o, p);
        p->pts[p->n++] = (struct mt_tl_point){.time_ns = p->last_sample_ns,
                                              .max_time_ns = p->last_sample_ns,
                                              .rss_bytes = p->pending_rss};
    }
    if (p->n)
        rss_write(o, p, now);
    drop(p);
}

/* Its command line, arguments joined by ' ', and argv[0]'s base name. */
static void read_cmdline(struct rproc *p, const char *comm)
{
    char path[64], buf[8192];
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)p->pid);
    ssize_t n = slurp(path, buf, sizeof buf);
    while (n > 0 && buf[n - 1] == '\0')
        n--;
    const char *argv0 = n > 0 ? buf : comm;
    const char *base = strrchr(argv0, '/');
    free(p->name);
    p->name = xstrdup(base && base[1] ? base + 1 : argv0);
    for (ssize_t i = 0; i < n; i++)
        if (buf[i] == '\0')
            buf[i] = ' ';
    buf[n > 0 ? n : 0] = '\0';
    free(p->cmdline);
    p->cmdline = xstrdup(buf);
}

/* When full: the first point stays, the rest merge pairwise. */
static void merge(struct rproc *p)
{
    size_t j = 1, i = 1;
    for (; i + 1 < p->n; i += 2) {
        struct mt_tl_point m = p->pts[i + 1];
        if (p->pts[i].rss_bytes > m.rss_bytes)
            m.rss_bytes = p->pts[i].rss_bytes;
        p->pts[j++] = m;
    }
    if (i < p->n)
        p->pts[j++] = p->pts[i];
    p->n = j;
    p->interval_ns *= 2;
}

/* Room for one more point: the buffer grows up to its bound, then merges. */
static void room(const struct rss_opts *o, struct rproc *p)
{
    if (p->n == o->max_points)
        merge(p);
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 16;
        p->cap = p->cap < o->max_points ? p->cap : o->max_points;
        p->pts = xrealloc(p->pts, p->cap * sizeof *p->pts);
    }
}

static void add_point(const struct rss_opts *o, struct rproc *p, uint64_t now)
{
    p->last_sample_ns = now;
    /* a quarter of the interval early is on time: polls drift */
    if (p->n && now < p->pts[p->n - 1].time_ns + p->interval_ns - p->interval_ns / 4)
        return;
    room(o, p);
    p->pts[p->n++] = (struct mt_tl_point){.time_ns = now, .max_time_ns = now,
                                          .rss_bytes = p->pending_rss};
    p->pending_rss = 0;
}

static struct rproc *track(pid_t pid, const struct pstat *st, uint64_t now)
{
    struct rproc *p = xrealloc(NULL, sizeof *p);
    memset(p, 0, sizeof *p);
    p->pid = pid;
    p->ppid = st->ppid;
    p->start_ticks = st->start;
    struct timespec bt;
    clock_gettime(CLOCK_BOOTTIME, &bt);
    uint64_t boot_ns = (uint64_t)bt.tv_sec * 1000000000ull + (uint64_t)bt.tv_nsec;
    uint64_t since = st->start * (1000000000ull / (uint64_t)sysconf(_SC_CLK_TCK));
    p->start_ns = since < boot_ns && boot_ns - since < now ? now - (boot_ns - since) : now;
    if (nprocs == capprocs) {
        capprocs = capprocs ? capprocs * 2 : 64;
        procs = xrealloc(procs, capprocs * sizeof *procs);
    }
    procs[nprocs++] = p;
    return p;
}

void rss_poll(const struct rss_opts *o)
{
    static char self[4096];
    if (!self[0] && readlink("/proc/self/exe", self, sizeof self - 1) <= 0)
        self[0] = '/';
    uint64_t now = rss_now_ns();
    struct pids tree = {0};
    walk(&tree);
    for (size_t i = 0; i < nprocs; i++)
        procs[i]->seen = false;
    for (size_t i = 0; i < tree.n; i++) {
        pid_t pid = tree.v[i];
        struct pstat st;
        if (!read_stat(pid, &st))
            continue;
        struct rproc *p = find(pid);
        if (p && p->start_ticks != st.start) {
            end(o, p, now);              /* the pid was reused */
            p = NULL;
        }
        if (st.state == 'Z' || st.state == 'X') {
            if (p)
                p->seen = true;          /* ended, not yet reaped: keep its end */
            continue;
        }
        char exe[4096], link[64];
        snprintf(link, sizeof link, "/proc/%d/exe", (int)pid);
        ssize_t n = readlink(link, exe, sizeof exe - 1);
        exe[n > 0 ? n : 0] = '\0';
        if (n <= 0)                      /* not ours to read (setuid): its name */
            snprintf(exe, sizeof exe, "%s", st.comm);
        if (!p && strcmp(exe, self) == 0)
            continue;                    /* our child before its exec */
        bool ok;
        uint64_t rss = read_rss(pid, &ok);
        if (!ok)
            continue;
        if (rss == 0) {                  /* exiting (its memory released), or in exec */
            if (p)
                p->seen = true;
            continue;
        }
        uint64_t hwm = read_hwm(pid);
        if (!p)
            p = track(pid, &st, now);
        if (!p->exe || strcmp(p->exe, exe) != 0) {
            free(p->exe);
            p->exe = xstrdup(exe);
            if (!p->first_exe)
                p->first_exe = xstrdup(exe);
            read_cmdline(p, st.comm);
        }
        p->seen = true;
        p->rss = rss;
        p->peak_rss = rss > p->peak_rss ? rss : p->peak_rss;
        p->peak_rss = hwm > p->peak_rss ? hwm : p->peak_rss;
        p->pending_rss = rss > p->pending_rss ? rss : p->pending_rss;
        add_point(o, p, now);
    }
    free(tree.v);
    for (size_t i = nprocs; i-- > 0;)
        if (!procs[i]->seen)
            end(o, procs[i], now);       /* gone between two polls */
}

void rss_reaped(const struct rss_opts *o, pid_t pid, int status)
{
    struct rproc *p = find(pid);
    if (!p)
        return;                          /* never seen: shorter than a poll */
    p->status_known = true;
    p->status = status;
    end(o, p, rss_now_ns());
}

void rss_finish(const struct rss_opts *o)
{
    uint64_t now = rss_now_ns();
    while (nprocs)
        end(o, procs[nprocs - 1], now);
    free(procs);
    procs = NULL;
    capprocs = 0;
}
