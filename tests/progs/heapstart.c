/* heapstart: how glibc's heap stands when main begins, after one
 * malloc(1) and its free (which set the heap up, untraced too): the
 * allocator's totals, where the block lay from the heap's start, and where
 * the next blocks of a few sizes go. test_heap_start.py runs it untraced
 * and under the shim: whatever the tracer left in the heap before main
 * would move every block the program allocates (and the pages the
 * allocator trims and faults in again with them). */
#define _DEFAULT_SOURCE
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
    char *first = malloc(1);
    uintptr_t first_at = (uintptr_t)first;
    free(first);
    struct mallinfo2 m = mallinfo2();
    char *start = (char *)sbrk(0) - m.arena;  /* the main heap is one brk area */
    printf("arena %zu in_use %zu free %zu free_chunks %zu first +%ld", m.arena, m.uordblks,
           m.fordblks, m.ordblks, (long)(first_at - (uintptr_t)start));
    static const size_t sizes[] = {24, 100, 1000, 5000, 70000};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
        printf(" %zu@+%ld", sizes[i], (long)((char *)malloc(sizes[i]) - start));
    printf("\n");
    return 0;
}
