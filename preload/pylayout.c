/* ---------------------------------------------------------------------------
 * pylayout.c: where CPython keeps what the frame walker reads, one small
 * piece per supported version (x86-64 / 64-bit builds, default GIL build).
 *
 * 3.11 and 3.12 are fixed tables, checked with offsetof against each
 * version's internal headers (tests/e2e/test_python.py runs every version
 * present, and ../shared/notes/cpython-frames.md records the numbers).
 * 3.13 reads the offsets that the interpreter publishes for debuggers in
 * _PyRuntime.debug_offsets, so a patch release that moves a field still
 * works. Anything else is unsupported: the caller says so once.
 * ------------------------------------------------------------------------- */
#define _GNU_SOURCE
#include <stdint.h>
#include <string.h>

#include "pylayout.h"

/* Owner values of _PyInterpreterFrame (pycore_frame.h), the same 3.11-3.13. */
enum { OWNED_BY_GENERATOR = 1, OWNED_BY_CSTACK = 3 };

static bool layout_311(struct mt_pylayout *l)
{
    *l = (struct mt_pylayout){
        .name = "3.11",
        .ts_cframe = 56, .cframe_frame = 8,          /* tstate->cframe->current_frame */
        .fr_code = 32, .fr_previous = 48, .fr_instr = 56, .fr_owner = 69,
        .owner_generator = OWNED_BY_GENERATOR, .owner_cstack = -1,
        .co_filename = 112, .co_qualname = 128, .co_firstlineno = 72,
        .co_firsttraceable = 168, .co_code = 184,
        .rt_finalizing = 24, .rt_gil_holder = 576, .ts_thread_id = 152,
        .str_state = 32, .str_length = 16, .str_ascii_data = 48,
        .str_utf8 = 56, .str_compact_data = 72,
    };
    return true;
}

static bool layout_312(struct mt_pylayout *l)
{
    *l = (struct mt_pylayout){
        .name = "3.12",
        .ts_cframe = 56, .cframe_frame = 0,
        .fr_code = 0, .fr_previous = 8, .fr_instr = 56, .fr_owner = 70,
        .owner_generator = OWNED_BY_GENERATOR, .owner_cstack = OWNED_BY_CSTACK,
        .co_filename = 112, .co_qualname = 128, .co_firstlineno = 68,
        .co_firsttraceable = 176, .co_code = 192,
        .rt_finalizing = 24, .rt_gil_holder = SIZE_MAX, .ts_thread_id = SIZE_MAX,
        .str_state = 32, .str_length = 16, .str_ascii_data = 40,
        .str_utf8 = 48, .str_compact_data = 56,
    };
    return true;
}

/* The prefix of 3.13's _Py_DebugOffsets (Include/internal/pycore_runtime.h)
 * up to the sections we read; every field is a uint64_t. */
struct debug_offsets_313 {
    char cookie[8];
    uint64_t version;
    uint64_t free_threaded;
    struct { uint64_t size, finalizing, interpreters_head; } runtime_state;
    struct { uint64_t f[13]; } interpreter_state;
    struct {
        uint64_t size, prev, next, interp, current_frame, thread_id, native_thread_id,
            datastack_chunk, status;
    } thread_state;
    struct { uint64_t size, previous, executable, instr_ptr, localsplus, owner; } frame;
    struct {
        uint64_t size, filename, name, qualname, linetable, firstlineno, argcount,
            localsplusnames, localspluskinds, co_code_adaptive;
    } code;
    struct { uint64_t f[2]; } pyobject;
    struct { uint64_t f[4]; } type_object;
    struct { uint64_t f[3]; } tuple_object, list_object, dict_object;
    struct { uint64_t f[2]; } float_object;
    struct { uint64_t f[3]; } long_object, bytes_object;
    struct { uint64_t size, state, length, asciiobject_size; } unicode;
};

static bool layout_313(struct mt_pylayout *l, const void *runtime, unsigned long hexversion)
{
    const struct debug_offsets_313 *d = runtime;
    if (memcmp(d->cookie, "xdebugpy", 8) != 0 || (d->version >> 16) != (hexversion >> 16) ||
        d->free_threaded)
        return false;
    *l = (struct mt_pylayout){
        .name = "3.13",
        .ts_cframe = SIZE_MAX, .cframe_frame = d->thread_state.current_frame,
        .fr_code = d->frame.executable, .fr_previous = d->frame.previous,
        .fr_instr = d->frame.instr_ptr, .fr_owner = d->frame.owner,
        .owner_generator = OWNED_BY_GENERATOR, .owner_cstack = OWNED_BY_CSTACK,
        .co_filename = d->code.filename, .co_qualname = d->code.qualname,
        .co_firstlineno = d->code.firstlineno,
        /* Not published: in 3.13 the int _co_firsttraceable is followed by
         * the pointer co_extra and then co_code_adaptive (184, 192, 200). */
        .co_firsttraceable = d->code.co_code_adaptive - 16,
        .co_code = d->code.co_code_adaptive,
        .rt_finalizing = d->runtime_state.finalizing,
        .rt_gil_holder = SIZE_MAX, .ts_thread_id = SIZE_MAX,
        .str_state = d->unicode.state, .str_length = d->unicode.length,
        .str_ascii_data = d->unicode.asciiobject_size,
        .str_utf8 = d->unicode.asciiobject_size + 8,
        .str_compact_data = d->unicode.asciiobject_size + 16,
    };
    return true;
}

bool mt_pylayout_for(unsigned long hexversion, const void *runtime, struct mt_pylayout *l)
{
    switch (hexversion >> 16) {
    case 0x030b: return layout_311(l);
    case 0x030c: return layout_312(l);
    case 0x030d: return runtime && layout_313(l, runtime, hexversion);
    default: return false;
    }
}
