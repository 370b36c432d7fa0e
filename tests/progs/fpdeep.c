/* Frame-pointer unwinding (test_unwind_fp.py): allocations at known sites
 * 40 calls deep on the main thread and on two threads, on a ucontext
 * coroutine's own stack and in a signal handler on an alternate stack (the
 * last two lie outside the thread's stack: MTRACE_UNWIND=fp must hand them
 * to libunwind). Built with frame pointers, like every test program. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

static void *volatile sink;

__attribute__((noinline)) static void leaf(size_t size)
{
    sink = malloc(size); /* @fp_leaf */
}

__attribute__((noinline)) static void down(int depth, size_t size)
{
    if (depth == 0)
        leaf(size);
    else
        down(depth - 1, size); /* @fp_down */
    __asm__ volatile("" ::: "memory");   /* not a tail call */
}

static void *worker(void *arg)
{
    for (int i = 0; i < 1000; i++)
        down(40, (size_t)arg);
    return NULL;
}

static ucontext_t main_ctx, co_ctx;

static void coroutine(void)
{
    for (int i = 0; i < 100; i++)
        down(5, 333); /* @fp_co */
}

static void on_signal(int sig)
{
    (void)sig;
    down(3, 444); /* @fp_sig */
}

int main(void)
{
    for (int i = 0; i < 1000; i++)
        down(40, 100); /* @fp_main */
    pthread_t t[2];
    pthread_create(&t[0], NULL, worker, (void *)200);
    pthread_create(&t[1], NULL, worker, (void *)300);
    pthread_join(t[0], NULL);
    pthread_join(t[1], NULL);

    static char co_stack[256 * 1024];
    getcontext(&co_ctx);
    co_ctx.uc_stack.ss_sp = co_stack;
    co_ctx.uc_stack.ss_size = sizeof co_stack;
    co_ctx.uc_link = &main_ctx;
    makecontext(&co_ctx, coroutine, 0);
    swapcontext(&main_ctx, &co_ctx);

    static char alt[256 * 1024];
    stack_t ss = { .ss_sp = alt, .ss_size = sizeof alt };
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    return 0;
}
