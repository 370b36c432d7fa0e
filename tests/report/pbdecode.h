/* A tiny protocol-buffers reader for the tests: walks the fields of one
 * message (varint and length-delimited only, what profile.proto uses) so
 * the tests can decode what pbwriter.c and output_pprof.c wrote without
 * trusting the writer's own code. Header-only, test use only. */
#ifndef MTRACE_TEST_PBDECODE_H
#define MTRACE_TEST_PBDECODE_H

#include <stddef.h>
#include <stdint.h>

struct pbr {
    const uint8_t *p, *end;
};

struct pbfield {
    uint32_t field;
    unsigned wire;           /* 0 varint, 2 length-delimited */
    uint64_t v;              /* wire 0 */
    const uint8_t *data;     /* wire 2 */
    size_t len;
};

/* 0 and *V on success, -1 on a truncated or over-long varint. */
static inline int pbr_varint(struct pbr *r, uint64_t *v)
{
    uint64_t x = 0;
    for (unsigned shift = 0; shift < 70; shift += 7) {
        if (r->p >= r->end)
            return -1;
        uint8_t b = *r->p++;
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return 0;
        }
    }
    return -1;
}

/* 1 and the next field in *F, 0 at the end, -1 on malformed input. */
static inline int pbr_next(struct pbr *r, struct pbfield *f)
{
    uint64_t key;
    if (r->p == r->end)
        return 0;
    if (pbr_varint(r, &key) != 0)
        return -1;
    f->field = (uint32_t)(key >> 3);
    f->wire = (unsigned)(key & 7);
    f->v = 0;
    f->data = NULL;
    f->len = 0;
    if (f->wire == 0)
        return pbr_varint(r, &f->v) == 0 ? 1 : -1;
    if (f->wire != 2 || pbr_varint(r, &f->v) != 0 || f->v > (uint64_t)(r->end - r->p))
        return -1;
    f->data = r->p;
    f->len = (size_t)f->v;
    r->p += f->len;
    return 1;
}

static inline struct pbr pbr_of(const uint8_t *data, size_t len)
{
    struct pbr r = {data, data + len};
    return r;
}

#endif
