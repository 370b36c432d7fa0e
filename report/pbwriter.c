/* Protocol-buffers encoding (see pbwriter.h): the byte layout of
 * https://protobuf.dev/programming-guides/encoding/ for the wire types
 * VARINT (0) and LEN (2). Example: field 1 = 150 is 08 96 01; field 2 =
 * "hi" is 12 02 68 69. */
#include "pbwriter.h"

#include <stdlib.h>
#include <string.h>

#include "textutil.h"

static void grow(struct pb *b, size_t extra)
{
    if (b->len + extra <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra) {
        if (cap > SIZE_MAX / 2)
            report_oom();
        cap *= 2;
    }
    uint8_t *d = realloc(b->data, cap);
    if (!d)
        report_oom();
    b->data = d;
    b->cap = cap;
}

static void put(struct pb *b, const void *p, size_t n)
{
    if (!n)
        return;
    grow(b, n);
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void pb_varint(struct pb *b, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;
    do {
        tmp[n] = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v)
            tmp[n] |= 0x80;
        n++;
    } while (v);
    put(b, tmp, n);
}

void pb_raw(struct pb *b, const void *p, size_t n)
{
    put(b, p, n);
}

void pb_key(struct pb *b, uint32_t field, unsigned wire)
{
    pb_varint(b, (uint64_t)field << 3 | wire);
}

void pb_uint(struct pb *b, uint32_t field, uint64_t v)
{
    pb_key(b, field, PB_WIRE_VARINT);
    pb_varint(b, v);
}

void pb_int(struct pb *b, uint32_t field, int64_t v)
{
    pb_uint(b, field, (uint64_t)v);
}

void pb_bytes(struct pb *b, uint32_t field, const void *p, size_t n)
{
    pb_key(b, field, PB_WIRE_LEN);
    pb_varint(b, n);
    put(b, p, n);
}

void pb_string(struct pb *b, uint32_t field, const char *s)
{
    pb_bytes(b, field, s, strlen(s));
}

void pb_message(struct pb *b, uint32_t field, const struct pb *m)
{
    pb_bytes(b, field, m->data, m->len);
}

void pb_packed(struct pb *b, uint32_t field, const uint64_t *v, size_t n)
{
    if (!n)
        return;
    struct pb tmp = {0};
    for (size_t i = 0; i < n; i++)
        pb_varint(&tmp, v[i]);
    pb_message(b, field, &tmp);
    pb_free(&tmp);
}

void pb_reset(struct pb *b)
{
    b->len = 0;
}

void pb_free(struct pb *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
