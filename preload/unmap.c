/* ---------------------------------------------------------------------------
 * unmap.c: munmap, for Python's finalization handshake (python.c).
 *
 * CPython gives some of the memory a frame walk reads back with munmap, not
 * free: the threads' frame stacks (3.11+: _PyInterpreterFrame chunks) and
 * pymalloc's arenas, where code objects live. While the interpreter
 * finalizes it unmaps those of daemon threads that may still be allocating
 * in C code (and walking their frames in the hook). A free waits for walks
 * in flight once finalization began; an unmap must too, or a walk reads an
 * unmapped page (seen: SIGSEGV in mt_python_walk, about one run in a
 * hundred of tests/e2e/test_python_ext.py's daemon_c stress).
 *
 * The call itself is the system call, as glibc's wrapper is. The shim's own
 * unmaps (guard held) do not wait: no walk waits on them.
 * ------------------------------------------------------------------------- */
#define _GNU_SOURCE
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

__attribute__((visibility("default"))) int munmap(void *addr, size_t len)
{
    if (!mt_self.guard)
        mt_python_before_free();
    return (int)syscall(SYS_munmap, addr, len);
}
