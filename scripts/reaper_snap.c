/* --rss-only: one process's snapshot file (reaper.h). The layout is
 * format.h's: header, a directory of two sections (STRINGS, TIMELINE),
 * their payloads 8-byte aligned, the trailer. The header carries the
 * MT_HDR_RSS_ONLY flag, RSS and peak RSS, and how the process ended when
 * it was reaped here (else reason 0: ended, how not known); every traced
 * figure is 0. Named from MTRACE_OUT as the shim names its files (%p pid,
 * %n 0, %e the program's name, %% '%'); created O_EXCL|O_NOFOLLOW 0600
 * under a temporary name, then renamed without replacing anything (the
 * next %n, or NAME.1, NAME.2 ... when taken). Listed in MTRACE_MANIFEST. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "reaper.h"

struct buf {
    char *s;
    size_t n, cap;
};

static size_t add(struct buf *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2;
        b->s = realloc(b->s, b->cap);
        if (!b->s) {
            fputs("mtrace-reaper: out of memory\n", stderr);
            exit(2);
        }
    }
    size_t at = b->n;
    memcpy(b->s + at, p, n);
    b->n += n;
    return at;
}

static uint32_t add_str(struct buf *b, const char *s)
{
    return (uint32_t)add(b, s ? s : "", strlen(s ? s : "") + 1);
}

static size_t align8(size_t n) { return (n + 7) & ~(size_t)7; }

/* MTRACE_OUT for P with sequence SEQ; false when too long. */
static bool expand(const struct rss_opts *o, const struct rproc *p, unsigned seq, char *dst,
                   size_t cap)
{
    size_t len = 0;
    const char *t = o->out;
#define PUT(str, n) do { if (len + (n) >= cap) return false; memcpy(dst + len, str, n); len += n; } while (0)
    if (t[0] != '/' && o->cwd[0]) {
        PUT(o->cwd, strlen(o->cwd));
        PUT("/", 1);
    }
    for (; *t; t++) {
        char num[32];
        const char *s = t;
        size_t n = 1;
        if (*t == '%' && t[1]) {
            t++;
            switch (*t) {
            case 'p': n = (size_t)snprintf(num, sizeof num, "%d", (int)p->pid); s = num; break;
            case 'n': n = (size_t)snprintf(num, sizeof num, "%u", seq); s = num; break;
            case 'e': s = p->name ? p->name : "unknown"; n = strlen(s); break;
            case '%': s = "%"; break;
            default: s = t - 1; n = 2; break;
            }
        }
        PUT(s, n);
    }
#undef PUT
    dst[len] = '\0';
    return true;
}

static bool write_all(int fd, const char *p, size_t n)
{
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

/* TMP to a free name from PATH on, never replacing a file. */
static bool publish(const struct rss_opts *o, const struct rproc *p, const char *tmp,
                    char *path, size_t cap, int fd)
{
    size_t base = strlen(path);
    bool has_n = strstr(o->out, "%n") != NULL;
    for (unsigned i = 0; i < 1000; i++) {
        if (i > 0 && has_n) {
            uint32_t seq = i;
            if (!expand(o, p, seq, path, cap) ||
                pwrite(fd, &seq, sizeof seq, offsetof(struct mt_file_header, sequence)) !=
                    (ssize_t)sizeof seq)
                return false;
        } else if (i > 0 && (size_t)snprintf(path + base, cap - base, ".%u", i) >= cap - base) {
            return false;
        }
        if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
            return true;
        if ((errno == EINVAL || errno == ENOSYS) && link(tmp, path) == 0) {
            unlink(tmp);
            return true;
        }
        if (errno != EEXIST)
            return false;
    }
    return false;
}

static void note(const struct rss_opts *o, const struct rproc *p, uint32_t reason,
                 const char *path)
{
    if (!o->manifest)
        return;
    int fd = open(o->manifest, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return;
    char line[4200];
    int n = snprintf(line, sizeof line, "%d %u %s\n", (int)p->pid, reason, path);
    if (n > 0 && (size_t)n < sizeof line)
        write_all(fd, line, (size_t)n);
    close(fd);
}

void rss_write(const struct rss_opts *o, const struct rproc *p, uint64_t end_ns)
{
    static bool warned;
    struct mt_file_header h;
    memset(&h, 0, sizeof h);
    struct buf str = {0};
    add_str(&str, "");
    memcpy(h.magic, MT_FILE_MAGIC, 8);
    h.version = MT_FILE_VERSION;
    h.header_size = sizeof h;
    h.section_count = 2;
    h.section_entry_size = sizeof(struct mt_section);
    h.pid = (uint64_t)p->pid;
    h.ppid = (uint64_t)p->ppid;
    h.start_time_ns = p->start_ns;
    h.time_ns = end_ns;
    h.program = add_str(&str, p->exe);
    h.cmdline = add_str(&str, p->cmdline);
    h.replaced = p->first_exe && strcmp(p->first_exe, p->exe) != 0 ? add_str(&str, p->first_exe)
                                                                     : 0;
    h.flags = MT_HDR_RSS_ONLY;
    h.rss_bytes = p->rss;
    h.peak_rss_bytes = p->peak_rss;
    h.timeline_ms = (uint32_t)(o->interval_ns / 1000000u);
    if (p->status_known && WIFEXITED(p->status)) {
        h.reason = MT_REASON_EXIT;
        h.end_status = WEXITSTATUS(p->status);
    } else if (p->status_known && WIFSIGNALED(p->status)) {
        h.reason = MT_REASON_KILLED;
        h.end_signal = (uint32_t)WTERMSIG(p->status);
    }
    struct mt_section sec[2] = {
        {MT_SEC_STRINGS, 1, align8(sizeof h + sizeof sec), str.n},
        {MT_SEC_TIMELINE, sizeof(struct mt_tl_point), 0, p->n},
    };
    sec[1].offset = align8(sec[0].offset + str.n);
    size_t tl_bytes = p->n * sizeof(struct mt_tl_point);
    h.file_size = align8(sec[1].offset + tl_bytes) + 8;

    struct buf img = {0};
    static const char zeros[8];
    add(&img, &h, sizeof h);
    add(&img, sec, sizeof sec);
    add(&img, zeros, sec[0].offset - img.n);
    add(&img, str.s, str.n);
    add(&img, zeros, sec[1].offset - img.n);
    add(&img, p->pts, tl_bytes);
    add(&img, zeros, h.file_size - 8 - img.n);
    add(&img, MT_FILE_TRAILER, 8);

    char path[4096] = "", tmp[4200];
    const char *what = "output path too long";
    bool ok = false;
    int err = 0;
    if (expand(o, p, 0, path, sizeof path)) {
        snprintf(tmp, sizeof tmp, "%s.tmp-%d", path, (int)getpid());
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        what = "cannot create";
        if (fd >= 0) {
            ok = write_all(fd, img.s, img.n);
            what = "cannot write";
            if (ok && !(ok = publish(o, p, tmp, path, sizeof path, fd)))
                what = "cannot rename into place";
            err = errno;
            close(fd);
            if (!ok)
                unlink(tmp);
        } else {
            err = errno;
        }
    }
    if (ok)
        note(o, p, h.reason, path);
    else if (!warned) {
        warned = true;
        fprintf(stderr, "mtrace-reaper: %s snapshot %s%s%s\n", what, path, err ? ": " : "",
                err ? strerror(err) : "");
    }
    free(img.s);
    free(str.s);
}
