/* One block (or list) per leak class, for the leak-scan tests, which also
 * build this file with -fsanitize=leak and compare the totals.
 *   leaks           every class below, then exit(0)
 *   leaks clean     frees what it allocates, keeps some reachable
 *   leaks definite  only the overwritten pointer (for the exit-code gate)
 *   leaks altstack  that one too, then exit(0) from a signal handler on a
 *                   signal stack while main's stack alone holds 6000 bytes
 * Sizes are distinct so each class can be recognised by its bytes. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct node {
    struct node *next;
    char payload[40];                     /* 48 bytes a node */
};

void *volatile sink;                      /* stores the compiler must keep */
void *global_keep;                        /* still reachable */
char *global_middle;                      /* possibly lost: points inside */
static __thread void *tls_keep;           /* still reachable through TLS */
static pthread_barrier_t ready;

__attribute__((noinline)) static void leak_definite(void)
{
    char *p = malloc(1000);               /* @leak_definite */
    memset(p, 1, 1000);
    sink = p;
    sink = NULL;                          /* the last pointer is overwritten */
}

__attribute__((noinline)) static void leak_list(int n)
{
    struct node *head = NULL;
    for (int i = 0; i < n; i++) {
        struct node *x = malloc(sizeof *x);   /* @leak_list */
        memset(x, 0, sizeof *x);
        x->next = head;
        head = x;
    }
    sink = head;
    sink = NULL;                          /* head lost: 1 definitely + n-1 indirectly */
}

__attribute__((noinline)) static void keep_middle(void)
{
    char *p = malloc(2000);               /* @keep_middle */
    global_middle = p + 100;
}

__attribute__((noinline)) static void keep_global(void)
{
    global_keep = malloc(3000);           /* @keep_global */
}

__attribute__((noinline)) static void keep_tls(void)
{
    tls_keep = malloc(4000);              /* @keep_tls */
}

static void *holder(void *arg)
{
    (void)arg;
    void *volatile mine = malloc(5000);   /* @holder */
    pthread_barrier_wait(&ready);
    for (;;)
        pause();
    return (void *)mine;
}

static void exit_on_signal_stack(int sig)
{
    (void)sig;
    exit(0);
}

/* The only pointer to 6000 bytes is in main's frame; the handler runs on
 * another stack. */
__attribute__((noinline)) static void altstack_exit(void)
{
    void *volatile mine = malloc(6000);
    stack_t ss = { .ss_sp = malloc(65536), .ss_size = 65536 };
    sigaltstack(&ss, NULL);
    struct sigaction sa = { .sa_handler = exit_on_signal_stack, .sa_flags = SA_ONSTACK };
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    sink = mine;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "all";
    if (strcmp(mode, "clean") == 0) {
        for (int i = 0; i < 100; i++)
            free(malloc(64));
        keep_global();
        keep_tls();
        char *s = strdup("text");
        puts(s);
        free(s);
        return 0;
    }
    leak_definite();
    if (strcmp(mode, "definite") == 0)
        return 0;
    if (strcmp(mode, "altstack") == 0)
        altstack_exit();
    leak_list(4);
    keep_middle();
    keep_global();
    keep_tls();
    pthread_barrier_init(&ready, NULL, 2);
    pthread_t t;
    pthread_create(&t, NULL, holder, NULL);
    pthread_barrier_wait(&ready);
    printf("%p %p\n", (void *)global_middle, tls_keep);
    exit(0);
}
