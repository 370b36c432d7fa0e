/* ---------------------------------------------------------------------------
 * writer.c: writes a snapshot file (layout in include/mtrace/format.h).
 *
 * The tables are copied under the tracer's locks into mapped buffers, then
 * written with plain syscalls: nothing here touches the traced heap. The
 * file appears atomically: a temporary created O_EXCL|O_NOFOLLOW 0600,
 * written, then renameat2(RENAME_NOREPLACE) (link+unlink where the file
 * system lacks it), so an existing file is never overwritten and a reader
 * never sees half a file. The data is in the page cache once write returns,
 * which outlives the process however it dies; writeback is started
 * (sync_file_range) but not waited for: an fsync cost 1 ms here, half of a
 * small traced program's whole overhead, and behind a busy disk's journal
 * far more, to guard only against a kernel crash in the next seconds (a
 * half-written file then fails the reporter's checks). No descriptor stays
 * open between writes.
 * ------------------------------------------------------------------------- */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "mtrace/format.h"

#define MAX_MODULES 8192

static mt_lock writer_lock = MT_LOCK_INIT;
/* The exit sequence's module list, taken before the leak scan parks the
 * other threads: one of them may be parked inside dlopen or an unwinder's
 * dl_iterate_phdr, holding the loader lock that listing modules takes. */
static struct {
    atomic_uintptr_t owner;              /* the thread in the exit sequence: it holds writer_lock */
    _Atomic bool final;                  /* the process ends (not an exec, which may fail) */
    bool on;                             /* what follows was read */
    struct mt_module *mods;
    int n;
    struct mt_strtab st;
    struct mallinfo2 mi;                 /* read before the scan: it takes arena locks */
} pre;

static uintptr_t self(void)
{
    return (uintptr_t)pthread_self();
}

/* Whether this thread runs the exit sequence, which holds writer_lock
 * throughout and has read what needs the loader and the arena locks
 * before the leak scan parked the other threads. */
static bool in_exit_sequence(void)
{
    return atomic_load_explicit(&pre.owner, memory_order_relaxed) == self();
}

/* glibc's own view of the heap, for the gap between traced bytes and RSS.
 * Not from a signal handler or with threads parked: it takes arena locks. */
static void malloc_figures(int reason, struct mt_file_header *h)
{
    struct mallinfo2 mi;
    if (in_exit_sequence())
        mi = pre.mi;
    else if (reason != MT_REASON_KILLED)
        mi = mallinfo2();
    else
        return;
    h->malloc_in_use = mi.uordblks;
    h->malloc_free = mi.fordblks;
    h->malloc_mmapped = mi.hblkhd;
}
static uint32_t next_sequence;
static bool warned;
static char start_cwd[4096];

void mt_writer_init(void)
{
    if (!getcwd(start_cwd, sizeof start_cwd))
        start_cwd[0] = '\0';
}

void mt_writer_lock(void) { mt_lock_acquire(&writer_lock); }

void mt_writer_unlock(bool child)
{
    if (child) {
        mt_lock_reinit(&writer_lock);
        next_sequence = 0;       /* the child numbers its own snapshots */
    } else {
        mt_lock_release(&writer_lock);
    }
}

static bool append(char *dst, size_t cap, size_t *len, const char *s, size_t n)
{
    if (*len + n >= cap)
        return false;
    memcpy(dst + *len, s, n);
    *len += n;
    dst[*len] = '\0';
    return true;
}

/* Expands MTRACE_OUT: %p pid, %n sequence, %e program name, %% percent.
 * A relative template is taken from the directory the program started in. */
static bool expand_path(char *dst, size_t cap, uint32_t seq)
{
    size_t len = 0;
    const char *t = mt_opt.out;
    dst[0] = '\0';
    if (t[0] != '/' && start_cwd[0]) {
        if (!append(dst, cap, &len, start_cwd, strlen(start_cwd)) ||
            !append(dst, cap, &len, "/", 1))
            return false;
    }
    for (; *t; t++) {
        char num[32];
        const char *s = t;
        size_t n = 1;
        if (*t == '%' && t[1]) {
            t++;
            switch (*t) {
            case 'p': n = (size_t)snprintf(num, sizeof num, "%d", (int)mt_pid()); s = num; break;
            case 'n': n = (size_t)snprintf(num, sizeof num, "%u", seq); s = num; break;
            case 'e': s = mt_proc_progname(); n = strlen(s); break;
            case '%': s = "%"; break;
            default: s = t - 1; n = 2; break;
            }
        }
        if (!append(dst, cap, &len, s, n))
            return false;
    }
    return true;
}

static bool write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

static bool write_zeros(int fd, size_t n)
{
    static const char zeros[8];
    return n == 0 || write_all(fd, zeros, n);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The writer's buffers are static, under writer_lock: a snapshot may be
 * written on any of the program's threads (at exit, exec, a signal or the
 * C API), and some run on small stacks. */
static uint32_t add_cmdline(struct mt_strtab *st)
{
    static char buf[8192];
    size_t n = mt_proc_read("/proc/self/cmdline", buf, sizeof buf);
    while (n && buf[n - 1] == '\0')
        n--;
    for (size_t i = 0; i < n; i++)
        if (buf[i] == '\0')
            buf[i] = ' ';
    return mt_strtab_add(st, buf, n);
}

/* MTRACE_MANIFEST (set by mtrace-run): one line "pid reason path" per
 * snapshot written, appended, so the launcher can tell where files went. */
static void note_in_manifest(const char *path, int reason)
{
    const char *m = mt_opt.manifest;
    if (!m)
        return;
    int fd = open(m, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return;
    static char line[4200];
    int n = snprintf(line, sizeof line, "%d %d %s\n", (int)mt_pid(), reason, path);
    if (n > 0 && (size_t)n < sizeof line)
        write_all(fd, line, (size_t)n);
    close(fd);
}

/* MTRACE_MANIFEST: "pid 0 program" when a process starts under the shim,
 * so mtrace-run can tell a process that never loaded it (static, setuid,
 * scrubbed environment) from one that loaded it and wrote nothing. */
void mt_writer_checkin(void)
{
    char exe[4096];
    mt_proc_exe(exe, sizeof exe);
    mt_lock_acquire(&writer_lock);
    note_in_manifest(exe, 0);
    mt_lock_release(&writer_lock);
}

static size_t align8(size_t n) { return (n + 7u) & ~(size_t)7u; }

/* Moves tmp to a free name, never replacing an existing file: when path
 * is taken (an exec'd image numbers its snapshots from 0 again under the
 * same pid), the next %n if the template has one (the header's sequence
 * is rewritten to match, through fd), else path.1, path.2, ... */
static bool publish(const char *tmp, char *path, size_t cap, int fd)
{
    size_t base = strlen(path);
    bool has_n = strstr(mt_opt.out, "%n") != NULL;
    for (int i = 0; i < 1000; i++) {
        if (i > 0 && has_n) {
            uint32_t seq = next_sequence++;
            if (!expand_path(path, cap, seq) ||
                pwrite(fd, &seq, sizeof seq, offsetof(struct mt_file_header, sequence)) !=
                    (ssize_t)sizeof seq)
                return false;
        } else if (i > 0 && (size_t)snprintf(path + base, cap - base, ".%d", i) >= cap - base) {
            return false;
        }
        if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
            return true;
        if (errno == EINVAL || errno == ENOSYS) {
            if (link(tmp, path) == 0) {
                unlink(tmp);
                return true;
            }
        }
        if (errno != EEXIST)
            return false;
    }
    return false;
}

#define MAX_SECTIONS 7

struct image {
    struct mt_file_header h;
    struct mt_section sec[MAX_SECTIONS];
    int nsec;
    struct mt_strtab st;
    struct mt_module *mods;
    int nmods;
    struct mt_ftree tree;        /* NODES: the stacks' frames as a prefix tree */
    uint64_t nframes;
    struct mt_stack *stacks;
    uint32_t nstacks;
    size_t stacks_bytes;
    struct mt_leak *leaks;       /* exit snapshot with the scan's classes */
    size_t nleaks, leaks_bytes;
    struct mt_tl_point *points;  /* the timeline up to this snapshot */
    size_t npoints, points_bytes;
    struct mt_tl_label *labels;
    size_t nlabels, labels_bytes;
    const void *data[MAX_SECTIONS];  /* each section's payload and size, in sec order */
    size_t bytes[MAX_SECTIONS];
};

static void image_release(struct image *im)
{
    mt_strtab_release(&im->st);
    mt_unmap(im->mods, MAX_MODULES * sizeof *im->mods);
    mt_ftree_release(&im->tree);
    mt_unmap(im->stacks, im->stacks_bytes);
    mt_unmap(im->leaks, im->leaks_bytes);
    mt_unmap(im->points, im->points_bytes);
    mt_unmap(im->labels, im->labels_bytes);
}

/* The series with a point at this moment, and the labels. */
static bool add_timeline(struct image *im)
{
    size_t n = mt_timeline_snapshot_point(&im->h.time_ns);
    if (n) {
        im->points_bytes = n * sizeof *im->points;
        if (!(im->points = mt_map_filled(im->points_bytes)))
            return false;
        im->npoints = mt_timeline_copy(im->points, n);
    }
    size_t nl = mt_timeline_label_count();
    if (nl) {
        im->labels_bytes = nl * sizeof *im->labels;
        if (!(im->labels = mt_map_filled(im->labels_bytes)))
            return false;
        im->nlabels = mt_timeline_labels(im->labels, nl, &im->st);
    }
    return true;
}

/* One LEAKS entry per stack that had live blocks when the scan ran. */
static bool add_leaks(struct image *im, const struct mt_leak_result *r)
{
    struct mt_file_header *h = &im->h;
    h->leak_scan = r->status;
    h->leak_threads = r->threads;
    h->leak_threads_missed = r->missed;
    h->leak_scan_ms = r->ms;
    uint32_t n = r->nstacks < im->nstacks ? r->nstacks : im->nstacks;
    size_t used = 0;
    for (uint32_t i = 0; i < n; i++)
        for (int c = 0; c < MT_LEAK_CLASSES; c++)
            if (r->per_stack[i].count[c]) {
                used++;
                break;
            }
    im->leaks_bytes = used * sizeof *im->leaks;
    im->leaks = used ? mt_map_filled(im->leaks_bytes) : NULL;
    if (used && !im->leaks)
        return false;
    for (uint32_t i = 0; i < n; i++)
        for (int c = 0; c < MT_LEAK_CLASSES; c++)
            if (r->per_stack[i].count[c]) {
                im->leaks[im->nleaks] = r->per_stack[i];
                im->leaks[im->nleaks++].stack = i;
                break;
            }
    return true;
}

struct ending { int signal, status; };

static bool image_build(struct image *im, int reason, uint32_t seq,
                        const struct mt_leak_result *leaks, const struct ending *end)
{
    memset(im, 0, sizeof *im);
    struct mt_file_header *h = &im->h;
    im->mods = mt_map(MAX_MODULES * sizeof *im->mods);
    if (!im->mods)
        return false;
    mt_strtab_add(&im->st, "", 0);
    if (in_exit_sequence()) {
        /* Listed before the scan (none if that failed: the loader's lock
         * may be held by a parked thread now). */
        for (int i = 0; pre.on && i < pre.n; i++) {
            const char *path = pre.st.buf + pre.mods[i].path;
            im->mods[i] = pre.mods[i];
            im->mods[i].path = mt_strtab_add(&im->st, path, strlen(path));
        }
        im->nmods = pre.on ? pre.n : 0;
    } else {
        im->nmods = mt_modules_collect(im->mods, MAX_MODULES, &im->st);
    }

    static char exe[4096];
    h->program = mt_strtab_add(&im->st, exe, mt_proc_exe(exe, sizeof exe));
    h->cmdline = add_cmdline(&im->st);
    mt_proc_rss(&h->rss_bytes, &h->peak_rss_bytes);
    if (!add_timeline(im))
        return false;

    /* Under the locks only the counters: the frames' tree is built after. */
    mt_stacks_lock_all();
    im->nstacks = mt_stacks_count(&im->nframes);
    im->stacks_bytes = (size_t)im->nstacks * sizeof *im->stacks;
    im->stacks = im->nstacks ? mt_map_filled(im->stacks_bytes) : NULL;
    bool ok = im->stacks || !im->nstacks;
    if (ok)
        mt_stacks_export(im->stacks, im->nstacks, h);
    mt_stacks_unlock_all(false);
    ok = ok && mt_ftree_init(&im->tree, im->nframes);
    if (ok)
        mt_stacks_export_frames(im->stacks, im->nstacks, &im->tree, &im->st);
    mt_ftree_drop_index(&im->tree);
    if (!ok || im->tree.failed || im->st.failed)
        return false;
    if (leaks && leaks->status != MT_SCAN_NONE && !add_leaks(im, leaks))
        return false;

    memcpy(h->magic, MT_FILE_MAGIC, 8);
    h->version = MT_FILE_VERSION;
    h->header_size = sizeof *h;
    h->section_entry_size = sizeof(struct mt_section);
    h->pid = (uint64_t)mt_pid();
    h->ppid = (uint64_t)mt_ppid();
    h->flags = (mt_forked() ? MT_HDR_FORKED : 0) | MT_HDR_NODES;
    h->start_time_ns = mt_start_time_ns();
    if (!im->npoints)
        h->time_ns = now_ns();
    h->reason = (uint32_t)reason;
    malloc_figures(reason, h);
    mt_tree_header(h, &im->st);
    h->end_signal = end ? (uint32_t)end->signal : 0;
    h->end_status = end ? end->status : 0;
    h->sequence = seq;
    h->max_depth = (uint32_t)mt_opt.depth;
    h->dropped = mt_dropped();
    h->sample_bytes = mt_opt.sample_bytes;
    h->timeline_ms = mt_opt.timeline_ms;

    /* Optional sections are left out when empty. */
    struct { uint32_t kind, size; uint64_t count; const void *data; size_t bytes; bool on; }
        parts[MAX_SECTIONS] = {
        { MT_SEC_STRINGS, 1, im->st.len, im->st.buf, im->st.len, true },
        { MT_SEC_MODULES, sizeof(struct mt_module), (uint64_t)im->nmods, im->mods,
          (size_t)im->nmods * sizeof(struct mt_module), true },
        { MT_SEC_NODES, sizeof(struct mt_node), im->tree.count, im->tree.nodes,
          (size_t)im->tree.count * sizeof(struct mt_node), true },
        { MT_SEC_STACKS, sizeof(struct mt_stack), im->nstacks, im->stacks, im->stacks_bytes,
          true },
        { MT_SEC_LEAKS, sizeof(struct mt_leak), im->nleaks, im->leaks, im->leaks_bytes,
          h->leak_scan != MT_SCAN_NONE },
        { MT_SEC_TIMELINE, sizeof(struct mt_tl_point), im->npoints, im->points,
          im->npoints * sizeof(struct mt_tl_point), im->npoints > 0 },
        { MT_SEC_LABELS, sizeof(struct mt_tl_label), im->nlabels, im->labels,
          im->nlabels * sizeof(struct mt_tl_label), im->nlabels > 0 },
    };
    im->nsec = 0;
    for (int i = 0; i < MAX_SECTIONS; i++)
        if (parts[i].on)
            im->nsec++;
    h->section_count = (uint32_t)im->nsec;
    uint64_t off = align8(sizeof *h + (size_t)im->nsec * sizeof im->sec[0]);
    for (int i = 0, k = 0; i < MAX_SECTIONS; i++) {
        if (!parts[i].on)
            continue;
        im->sec[k] = (struct mt_section){ parts[i].kind, parts[i].size, off, parts[i].count };
        im->data[k] = parts[i].data;
        im->bytes[k++] = parts[i].bytes;
        off = align8(off + parts[i].bytes);
    }
    h->file_size = off + 8;
    return true;
}

static bool image_write(int fd, const struct image *im)
{
    const void *const *data = im->data;
    const size_t *bytes = im->bytes;
    size_t dir = (size_t)im->nsec * sizeof im->sec[0];
    size_t pos = sizeof im->h + dir;
    if (!write_all(fd, &im->h, sizeof im->h) || !write_all(fd, im->sec, dir))
        return false;
    for (int i = 0; i < im->nsec; i++) {
        if (!write_zeros(fd, im->sec[i].offset - pos))
            return false;
        if (bytes[i] && !write_all(fd, data[i], bytes[i]))
            return false;
        pos = im->sec[i].offset + bytes[i];
    }
    return write_zeros(fd, align8(pos) - pos) && write_all(fd, MT_FILE_TRAILER, 8);
}

static bool write_snapshot(int reason, char *path_out, size_t path_len,
                           const struct mt_leak_result *leaks, const struct ending *end)
{
    /* Refused from a signal handler that interrupted the tracer on this
     * thread: one holding any tracer lock (writer_lock itself inside a
     * write: static buffers, and the lock is not recursive), or any but
     * the final write in the exit sequence, which holds writer_lock. */
    bool lock = !in_exit_sequence();
    if ((lock && mt_self.locks_held > 0) || (!lock && !end))
        return false;
    int guard = mt_self.guard;
    mt_self.guard = 1;
    if (lock) {
        /* Not while another thread ends the process: its final snapshot
         * has everything, and a thread waiting here with the guard held
         * would not be parked by the leak scan (counted as missed: every
         * leak only "possible"). An exec's sequence is waited for: the
         * exec may fail and the program go on. */
        while (!mt_lock_try_acquire(&writer_lock)) {
            if ((atomic_load_explicit(&pre.owner, memory_order_relaxed) &&
                 atomic_load_explicit(&pre.final, memory_order_relaxed)) ||
                mt_fp.state != MT_ON) {
                mt_self.guard = guard;
                return false;
            }
            sched_yield();
        }
        if (mt_fp.state != MT_ON) {         /* the final snapshot was written */
            mt_lock_release(&writer_lock);
            mt_self.guard = guard;
            return false;
        }
    }
    uint32_t seq = next_sequence++;
    static char path[4096], tmp[4200];
    bool ok = false;
    struct image im;
    const char *what = "cannot build the snapshot (out of memory)";
    int err = 0;
    bool capped = false;
    if (!expand_path(path, sizeof path, seq)) {
        what = "output path too long";
        goto out;
    }
    capped = !mt_tree_claim_file(reason);
    if (capped)
        goto out;                        /* MTRACE_MAX_FILES: tree.c said so once */
    if (!image_build(&im, reason, seq, leaks, end)) {
        image_release(&im);
        goto out;
    }
    snprintf(tmp, sizeof tmp, "%s.tmp-%d", path, (int)mt_pid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        err = errno;
        what = "cannot create";
    } else {
        ok = image_write(fd, &im);
        if (ok)
            (void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
        err = errno;
        what = "cannot write";
        if (ok && !(ok = publish(tmp, path, sizeof path, fd))) {
            err = errno;
            what = "cannot rename into place";
        }
        close(fd);
        if (!ok)
            unlink(tmp);
    }
    /* The process ends after these: its exit unmaps the image at once,
     * where seven munmaps (each a TLB flush) were 0.2 ms of every traced
     * process's exit here. An exec may fail and go on: it releases. */
    if (reason != MT_REASON_EXIT && reason != MT_REASON_EXIT_NOW && reason != MT_REASON_KILLED)
        image_release(&im);
out:
    if (ok)
        note_in_manifest(path, reason);
    if (ok && path_out && path_len) {
        size_t n = strlen(path);
        if (n >= path_len)
            n = path_len - 1;
        memcpy(path_out, path, n);
        path_out[n] = '\0';
    }
    if (!ok && !warned && !capped) {
        warned = true;
        mt_log("mtrace: %s snapshot %s%s%s", what, path, err ? ": " : "",
               err ? strerrordesc_np(err) : "");
    }
    if (lock)
        mt_lock_release(&writer_lock);
    mt_self.guard = guard;
    return ok;
}

bool mt_write_snapshot(int reason, char *path_out, size_t path_len)
{
    return write_snapshot(reason, path_out, path_len, NULL, NULL);
}

/* A snapshot written for an exec that failed was removed again: its
 * sequence number is free for the next one. Under the exit sequence's lock. */
void mt_writer_forget_last(void)
{
    if (next_sequence)
        next_sequence--;
}

void mt_writer_exit_begin(int reason)
{
    mt_lock_acquire(&writer_lock);      /* the tracer thread is not mid-write */
    atomic_store_explicit(&pre.final, reason != MT_REASON_EXEC, memory_order_relaxed);
    atomic_store_explicit(&pre.owner, self(), memory_order_relaxed);
    memset(&pre.mi, 0, sizeof pre.mi);
    if (reason != MT_REASON_KILLED)      /* a handler may have interrupted malloc */
        pre.mi = mallinfo2();
    pre.mods = mt_map(MAX_MODULES * sizeof *pre.mods);
    if (!pre.mods)
        return;
    mt_strtab_add(&pre.st, "", 0);
    pre.n = mt_modules_collect(pre.mods, MAX_MODULES, &pre.st);
    pre.on = !pre.st.failed;
}

void mt_writer_exit_end(void)
{
    pre.on = false;
    mt_unmap(pre.mods, MAX_MODULES * sizeof *pre.mods);
    mt_strtab_release(&pre.st);
    pre.mods = NULL;
    atomic_store_explicit(&pre.owner, 0, memory_order_relaxed);
    mt_lock_release(&writer_lock);
}

bool mt_write_final_snapshot(int reason, int sig, int status, const struct mt_leak_result *r,
                             char *path_out, size_t path_len)
{
    struct ending end = { sig, status };
    return write_snapshot(reason, path_out, path_len, r, &end);
}
