/* The stack memo must never answer with another call path's stack: one
 * allocating function reached from the same return address at the same
 * depth through different callers (same frame sizes), and the same again
 * on stacks the program switches to (ucontext), freed and re-made smaller
 * at the same place. Counts per caller line must be exact. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <ucontext.h>

static void *volatile sink;

__attribute__((noinline)) static void alloc_one(void)
{
    sink = malloc(48);                               /* @site */
    free(sink);
}

__attribute__((noinline)) static void via_a(void) { alloc_one(); /* @a */ __asm__ volatile(""); }
__attribute__((noinline)) static void via_b(void) { alloc_one(); /* @b */ __asm__ volatile(""); }
__attribute__((noinline)) static void via_c(void) { alloc_one(); /* @c */ __asm__ volatile(""); }

__attribute__((noinline)) static void mix(int n)
{
    for (int i = 0; i < n; i++) {
        switch (i % 7) {
        case 0: case 3: via_a(); break;
        case 1: case 4: case 6: via_b(); break;
        default: via_c(); break;
        }
    }
}

static ucontext_t main_ctx, co_ctx;

static void co_body(void)
{
    mix(700);                                        /* @co */
}

int main(void)
{
    mix(7000);                                       /* @main */
    /* Coroutine stacks: 256 KiB, then 16 KiB mapped at the same address. */
    size_t sizes[2] = { 256 * 1024, 16 * 1024 };
    void *at = NULL;
    for (int k = 0; k < 2; k++) {
        void *st = mmap(at, sizes[k], PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS |
                        (at ? MAP_FIXED_NOREPLACE : 0), -1, 0);
        if (st == MAP_FAILED)
            return 1;
        getcontext(&co_ctx);
        co_ctx.uc_stack.ss_sp = st;
        co_ctx.uc_stack.ss_size = sizes[k];
        co_ctx.uc_link = &main_ctx;
        makecontext(&co_ctx, co_body, 0);
        swapcontext(&main_ctx, &co_ctx);
        munmap(st, sizes[k]);
        at = (char *)st + sizes[k] - sizes[1];       /* the smaller one ends where it ended */
    }
    puts("done");
    return 0;
}
