/* ---------------------------------------------------------------------------
 * pylayout.h: byte offsets of the CPython structures the frame walker reads
 * (python.c), filled per interpreter version by pylayout.c.
 * ------------------------------------------------------------------------- */
#ifndef MT_PYLAYOUT_H
#define MT_PYLAYOUT_H

#include <stdbool.h>
#include <stddef.h>

struct mt_pylayout {
    const char *name;            /* "3.11" */
    /* thread state -> innermost _PyInterpreterFrame: through the _PyCFrame
     * pointer at ts_cframe (3.11, 3.12), or directly at cframe_frame in the
     * thread state when ts_cframe is SIZE_MAX (3.13). */
    size_t ts_cframe, cframe_frame;
    /* _PyInterpreterFrame: code object, caller, instruction pointer (the
     * instruction executing now, or the last one executed), owner byte */
    size_t fr_code, fr_previous, fr_instr, fr_owner;
    int owner_generator, owner_cstack;   /* -1: no such owner */
    /* PyCodeObject */
    size_t co_filename, co_qualname, co_firstlineno, co_firsttraceable, co_code;
    /* _PyRuntime: non-NULL while the runtime finalizes */
    size_t rt_finalizing;
    /* 3.11 only (else SIZE_MAX): the GIL holder's thread state in _PyRuntime
     * and a thread state's pthread id, to find a sub-interpreter's state */
    size_t rt_gil_holder, ts_thread_id;
    /* str: state bits, length, where the characters of compact ASCII and
     * compact non-ASCII strings begin, and the cached UTF-8 pointer */
    size_t str_state, str_length, str_ascii_data, str_utf8, str_compact_data;
};

/* hexversion: Py_Version; runtime: &_PyRuntime. False: unsupported. */
bool mt_pylayout_for(unsigned long hexversion, const void *runtime, struct mt_pylayout *l);

#endif
