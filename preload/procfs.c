/* ---------------------------------------------------------------------------
 * procfs.c: facts about this process from /proc, read with open/read into
 * caller buffers (no stdio, no allocation), for snapshot headers.
 * ------------------------------------------------------------------------- */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

size_t mt_proc_read(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    size_t len = 0;
    while (len + 1 < cap) {
        ssize_t n = read(fd, buf + len, cap - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    buf[len] = '\0';
    return len;
}

uint64_t mt_parse_decimal(const char *p, const char **end)
{
    uint64_t v = 0;
    for (; *p >= '0' && *p <= '9'; p++)
        v = v * 10 + (uint64_t)(*p - '0');
    if (end)
        *end = p;
    return v;
}

static uint64_t kib_field(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return mt_parse_decimal(p, NULL) * 1024;
}

/* VmRSS and VmHWM from /proc/self/status, a line at a time through a small
 * buffer: snapshots are written on whatever stack the program's thread
 * has (a 16 KiB one, a signal stack). A line longer than the buffer (a
 * long Groups list) is skipped. */
void mt_proc_rss(uint64_t *rss, uint64_t *hwm)
{
    *rss = *hwm = 0;
    int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    char buf[256];
    size_t len = 0;
    bool skipping = false;               /* inside an overlong line */
    for (;;) {
        ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
        buf[len] = '\0';
        char *line = buf, *nl;
        while ((nl = memchr(line, '\n', (size_t)(buf + len - line))) != NULL) {
            *nl = '\0';
            if (!skipping && strncmp(line, "VmRSS:", 6) == 0)
                *rss = kib_field(line + 6);
            else if (!skipping && strncmp(line, "VmHWM:", 6) == 0)
                *hwm = kib_field(line + 6);
            skipping = false;
            line = nl + 1;
        }
        len = (size_t)(buf + len - line);
        if (len == sizeof buf - 1) {
            len = 0;                     /* no end in sight: skip to the next line */
            skipping = true;
        } else {
            memmove(buf, line, len);
        }
    }
    close(fd);
}

const char *mt_proc_progname(void)
{
    extern char *program_invocation_short_name;
    return program_invocation_short_name && *program_invocation_short_name
               ? program_invocation_short_name : "unknown";
}

/* The program's path. /proc/self is the thread-group leader: once the main
 * thread has called pthread_exit it is a zombie and its exe link reads
 * nothing, so the calling thread's own view is the fallback. */
size_t mt_proc_exe(char *buf, size_t cap)
{
    ssize_t n = readlink("/proc/self/exe", buf, cap - 1);
    if (n <= 0)
        n = readlink("/proc/thread-self/exe", buf, cap - 1);
    n = n > 0 ? n : 0;
    buf[n] = '\0';
    return (size_t)n;
}
