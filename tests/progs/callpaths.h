/* callpaths.h: 256 call paths to one allocation, 8 levels of left() and
 * right() calls chosen by the bits of `path`. Every path reaches malloc
 * from the same return address at the same depth, so all 256 stacks share
 * one stack-memo key, more than a memo set holds: each allocation is a
 * memo fill, a full libunwind walk (sigmask.c's hold). */
#include <stdlib.h>

#define CALLPATH_LEVELS 8
#define CALLPATHS (1u << CALLPATH_LEVELS)

static void callpath(unsigned path, int level);
__attribute__((noinline)) static void left(unsigned path, int level) { callpath(path, level + 1); __asm__ volatile(""); }
__attribute__((noinline)) static void right(unsigned path, int level) { callpath(path, level + 1); __asm__ volatile(""); }

__attribute__((noinline)) static void callpath(unsigned path, int level)
{
    if (level == CALLPATH_LEVELS) {
        void *p = malloc(64);                        /* @alloc */
        __asm__ volatile("" : : "r"(p) : "memory");  /* kept in a register: threads share no sink */
        free(p);
        return;
    }
    if (path >> level & 1)
        right(path, level);
    else
        left(path, level);
}
