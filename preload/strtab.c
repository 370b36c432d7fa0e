/* ---------------------------------------------------------------------------
 * strtab.c: the snapshot's string table, built in mapped memory (the writer
 * may run while the pool lock is held). Offset 0 is the empty string.
 * Strings are not deduplicated: a snapshot holds a few hundred at most.
 * ------------------------------------------------------------------------- */
#define _GNU_SOURCE
#include <string.h>

#include "internal.h"

uint32_t mt_strtab_add(struct mt_strtab *st, const char *s, size_t n)
{
    if (st->failed)
        return 0;
    if (!st->buf) {
        st->cap = 64 * 1024;
        if (!(st->buf = mt_map(st->cap))) {
            st->failed = true;
            return 0;
        }
        st->len = 1;             /* offset 0: "" (the mapping is zeroed) */
    }
    if (n == 0)
        return 0;
    if (st->len + n + 1 > st->cap) {
        size_t cap = st->cap;
        while (st->len + n + 1 > cap)
            cap *= 2;
        char *buf = mt_map(cap);
        if (!buf || cap > UINT32_MAX) {
            mt_unmap(buf, cap);
            st->failed = true;
            return 0;
        }
        memcpy(buf, st->buf, st->len);
        mt_unmap(st->buf, st->cap);
        st->buf = buf;
        st->cap = cap;
    }
    uint32_t off = (uint32_t)st->len;
    memcpy(st->buf + off, s, n);
    st->buf[off + n] = '\0';
    st->len += n + 1;
    return off;
}

void mt_strtab_release(struct mt_strtab *st)
{
    mt_unmap(st->buf, st->cap);
    memset(st, 0, sizeof *st);
}
