/* A minimal protocol-buffers writer, enough for profile.proto (pprof):
 * varint and length-delimited fields, nested messages built in their own
 * buffer, packed repeated varints. Why not protobuf-c: the profile needs two
 * of the five wire types and no reading, so a generated encoder plus a
 * runtime library would outweigh these hundred lines; the encoding is
 * tested by decoding it back (tests/report/test_pprof.c). Out of memory
 * exits through report_oom. */
#ifndef MTRACE_REPORT_PBWRITER_H
#define MTRACE_REPORT_PBWRITER_H

#include <stddef.h>
#include <stdint.h>

/* Wire types (the protobuf encoding spec). */
enum { PB_WIRE_VARINT = 0, PB_WIRE_LEN = 2 };

struct pb {
    uint8_t *data;
    size_t len, cap;
};

/* A base-128 varint, least significant group first. */
void pb_varint(struct pb *b, uint64_t v);
/* A field key: FIELD << 3 | WIRE. */
void pb_key(struct pb *b, uint32_t field, unsigned wire);
/* Varint fields: uint64/bool as is, int64 as its two's complement (what
 * int64 fields carry: a negative value takes ten bytes). Written even when
 * 0, so callers skip defaults themselves where they want to. */
void pb_uint(struct pb *b, uint32_t field, uint64_t v);
void pb_int(struct pb *b, uint32_t field, int64_t v);
/* Length-delimited fields: bytes, a string (without its NUL), a message. */
void pb_bytes(struct pb *b, uint32_t field, const void *p, size_t n);
void pb_string(struct pb *b, uint32_t field, const char *s);
void pb_message(struct pb *b, uint32_t field, const struct pb *m);
/* Bytes already encoded (whole fields: messages concatenate). */
void pb_raw(struct pb *b, const void *p, size_t n);
/* A packed repeated varint field of V[0..N) (nothing when N is 0). */
void pb_packed(struct pb *b, uint32_t field, const uint64_t *v, size_t n);

void pb_reset(struct pb *b);   /* empty, keeps memory */
void pb_free(struct pb *b);

#endif
