/* ---------------------------------------------------------------------------
 * maps.c: this process's memory mappings from /proc/self/maps, parsed into
 * tracer memory with plain read() calls (no stdio, no malloc: the leak scan
 * uses it while other threads are parked, one of them maybe inside malloc).
 * The scan needs it to bound thread stacks and TLS blocks to what is mapped.
 * ------------------------------------------------------------------------- */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "internal.h"

static bool parse_hex(const char **p, const char *end, uintptr_t *out)
{
    uintptr_t v = 0;
    const char *s = *p;
    for (; s < end; s++) {
        int d;
        if (*s >= '0' && *s <= '9')
            d = *s - '0';
        else if (*s >= 'a' && *s <= 'f')
            d = *s - 'a' + 10;
        else
            break;
        v = v << 4 | (uintptr_t)d;
    }
    if (s == *p)
        return false;
    *p = s;
    *out = v;
    return true;
}

/* One line: "lo-hi perms offset dev inode path". */
static bool parse_line(const char *s, const char *end, struct mt_map_range *r)
{
    if (!parse_hex(&s, end, &r->lo) || s >= end || *s++ != '-' ||
        !parse_hex(&s, end, &r->hi) || s + 4 >= end || *s++ != ' ')
        return false;
    r->readable = s[0] == 'r';
    r->writable = s[1] == 'w';
    return r->hi > r->lo;
}

bool mt_maps_load(struct mt_maps *m)
{
    m->n = 0;
    m->cap = 0;
    m->r = NULL;
    size_t bufcap = 1u << 20;
    char *buf = mt_map(bufcap);
    if (!buf)
        return false;
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        mt_unmap(buf, bufcap);
        return false;
    }
    size_t len = 0;
    bool ok = true;
    for (;;) {
        if (len == bufcap) {                 /* grow: a process with many mappings */
            char *nb = mt_map(bufcap * 2);
            if (!nb) {
                ok = false;
                break;
            }
            for (size_t i = 0; i < len; i++)
                nb[i] = buf[i];
            mt_unmap(buf, bufcap);
            buf = nb;
            bufcap *= 2;
        }
        ssize_t n = read(fd, buf + len, bufcap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    size_t lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += buf[i] == '\n';
    m->cap = lines + 1;
    m->r = ok ? mt_map(m->cap * sizeof *m->r) : NULL;
    if (m->r) {
        const char *s = buf, *end = buf + len;
        while (s < end) {
            const char *nl = s;
            while (nl < end && *nl != '\n')
                nl++;
            if (m->n < m->cap && parse_line(s, nl, &m->r[m->n]))
                m->n++;
            s = nl + 1;
        }
    }
    mt_unmap(buf, bufcap);
    return m->r != NULL;
}

void mt_maps_release(struct mt_maps *m)
{
    mt_unmap(m->r, m->cap * sizeof *m->r);
    m->r = NULL;
    m->n = m->cap = 0;
}

const struct mt_map_range *mt_maps_find(const struct mt_maps *m, uintptr_t addr)
{
    size_t lo = 0, hi = m->n;                /* lines come sorted by address */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->r[mid].hi <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < m->n && m->r[lo].lo <= addr ? &m->r[lo] : NULL;
}
