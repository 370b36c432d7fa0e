/* envcopy: what a program may do with the environment the shim gave it
 * (MTRACE_ROOT is added in a copy of the array, tree.c). putenv of a name
 * already there stores the caller's string in the array itself, and only
 * the array holds it; code that looks for the auxiliary vector past
 * environ's end must find it there. test_start_env.py runs it with the
 * leak gate on. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

/* Out of line and 64 KiB down the stack: no copy of the pointer stays in
 * main's frame, in registers or where the exit path's frames will lie,
 * all of which the leak scan reads; only environ's array holds it. */
__attribute__((noinline)) static int set_home(void)
{
    char *home = strdup("HOME=/tmp/mtrace-envcopy"); /* @env_string */
    return home && putenv(home) == 0 ? 0 : 1;
}

__attribute__((noinline)) static int deep_set_home(void)
{
    volatile char pad[65536];
    pad[0] = 0;
    return set_home() + pad[0];
}

int main(void)
{
    if (deep_set_home() != 0)
        return 1;
    char **ep = environ;
    while (*ep)
        ep++;
    const unsigned long *auxv = (const unsigned long *)(ep + 1);
    unsigned long pagesz = 0;
    int n = 0;
    for (; auxv[0] != AT_NULL && n < 256; auxv += 2, n++)
        if (auxv[0] == AT_PAGESZ)
            pagesz = auxv[1];
    printf("root %s home %s auxv %s\n", getenv("MTRACE_ROOT") ? "set" : "unset", getenv("HOME"),
           pagesz && pagesz == getauxval(AT_PAGESZ) && n < 256 ? "ok" : "bad");
    return 0;
}
