/* The stack memo must never answer with another call path's stack: one
 * allocating function reached from the same return address at the same
 * depth through different callers (same frame sizes), and the same again
 * on stacks the program switches to (ucontext), freed and re-made smaller
 * at the same place. Counts per caller line must be exact. Then 40 callers
 * at one depth, more than a memo set holds, interleaved (fan_all). */
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

/* FANS callers of alloc_one at the same depth, on consecutive lines. */
#define FAN(k) __attribute__((noinline)) static void fan_##k(void) { alloc_one(); __asm__ volatile(""); }
FAN(0)                                               /* @fan */
FAN(1)
FAN(2)
FAN(3)
FAN(4)
FAN(5)
FAN(6)
FAN(7)
FAN(8)
FAN(9)
FAN(10)
FAN(11)
FAN(12)
FAN(13)
FAN(14)
FAN(15)
FAN(16)
FAN(17)
FAN(18)
FAN(19)
FAN(20)
FAN(21)
FAN(22)
FAN(23)
FAN(24)
FAN(25)
FAN(26)
FAN(27)
FAN(28)
FAN(29)
FAN(30)
FAN(31)
FAN(32)
FAN(33)
FAN(34)
FAN(35)
FAN(36)
FAN(37)
FAN(38)
FAN(39)
#define FANS 40
static void (*const fans[FANS])(void) = {
    fan_0, fan_1, fan_2, fan_3, fan_4, fan_5, fan_6, fan_7, fan_8, fan_9,
    fan_10, fan_11, fan_12, fan_13, fan_14, fan_15, fan_16, fan_17, fan_18, fan_19,
    fan_20, fan_21, fan_22, fan_23, fan_24, fan_25, fan_26, fan_27, fan_28, fan_29,
    fan_30, fan_31, fan_32, fan_33, fan_34, fan_35, fan_36, fan_37, fan_38, fan_39,
};

/* Each round calls caller k k+1 times, the callers interleaved. */
__attribute__((noinline)) static void fan_all(int rounds)
{
    for (int r = 0; r < rounds; r++)
        for (int i = 0; i < FANS; i++) {
            int k = (i * 17 + r) % FANS;
            for (int j = 0; j <= k; j++)
                fans[k]();                           /* @fanout */
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
    fan_all(50);                                     /* @fanmain */
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
