/* Ways of leaving: "thread" calls exit(3) from a second thread; "atexit"
 * frees at exit a block the atexit handler owns; the library's destructor
 * (libdtor.c) frees its block after main returns. None of these blocks may be
 * reported live, and the exit status must be the program's. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void *libdtor_hold(size_t n);
static void *owned_by_atexit;
void *volatile kept;

static void release(void) { free(owned_by_atexit); }

static void *exiter(void *arg)
{
    (void)arg;
    kept = malloc(4321); /* @thread_exit_leak */
    exit(3);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    libdtor_hold(5555);
    owned_by_atexit = malloc(7777); /* @atexit_block */
    atexit(release);
    if (strcmp(mode, "thread") == 0) {
        pthread_t t;
        pthread_create(&t, NULL, exiter, NULL);
        pause();
    }
    return 7;
}
