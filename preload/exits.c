/* ---------------------------------------------------------------------------
 * exits.c: the ways out that skip exit handlers. _exit, _Exit and
 * quick_exit (Python's os._exit, which every multiprocessing fork worker
 * ends with) write the final snapshot first; every exported exec wrapper
 * writes one of the image being replaced and removes it again when exec
 * fails and returns (execvp walking a PATH with misses fails many times).
 * glibc's own internal calls (exit's _exit, execl's execve) do not pass
 * through these: each entry point is interposed on its own, and each
 * passes an explicit environment carrying MTRACE_REPLACED, by which the
 * next image's header names this one.
 *
 * A vfork child (CPython's subprocess, posix_spawn) shares the parent's
 * memory and tables until it execs or exits: the hooks compare the raw
 * getpid with the traced process's pid and do nothing on a mismatch.
 * ------------------------------------------------------------------------- */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"
#include "mtrace/format.h"

#define API __attribute__((visibility("default")))

extern char **environ;

typedef void (*exit_fn)(int);
typedef int (*execve_fn)(const char *, char *const[], char *const[]);
typedef int (*fexecve_fn)(int, char *const[], char *const[]);
typedef int (*execveat_fn)(int, const char *, char *const[], char *const[], int);

static struct {
    exit_fn exit_, exit_big, quick;
    execve_fn execve, execvpe;
    fexecve_fn fexecve;
    execveat_fn execveat;
} real;

static int quick_status;
static void quick_exit_snapshot(void);

void mt_exits_init(void)
{
    /* Ours runs last (registered first): after the program's handlers,
     * which must not find their threads parked by the leak scan. */
    if (mt_opt.enabled)
        at_quick_exit(quick_exit_snapshot);
    /* The guard is held: whatever dlsym allocates is not traced. */
    real.exit_ = (exit_fn)dlsym(RTLD_NEXT, "_exit");
    real.exit_big = (exit_fn)dlsym(RTLD_NEXT, "_Exit");
    real.quick = (exit_fn)dlsym(RTLD_NEXT, "quick_exit");
    real.execve = (execve_fn)dlsym(RTLD_NEXT, "execve");
    real.execvpe = (execve_fn)dlsym(RTLD_NEXT, "execvpe");
    real.fexecve = (fexecve_fn)dlsym(RTLD_NEXT, "fexecve");
    real.execveat = (execveat_fn)dlsym(RTLD_NEXT, "execveat");
}

/* ---- _exit and friends ------------------------------------------------------ */
__attribute__((noinline)) static void before_exit(int status)
{
    MT_STACK_BOUNDARY(from);
    if (mt_fp.state == MT_ON && mt_is_traced_process())
        mt_final_snapshot(MT_REASON_EXIT_NOW, 0, status, from);
}

API void _exit(int status)
{
    before_exit(status);
    if (real.exit_)
        real.exit_(status);
    syscall(SYS_exit_group, status);     /* before start-up resolved it */
    __builtin_unreachable();
}

API void _Exit(int status)
{
    before_exit(status);
    if (real.exit_big)
        real.exit_big(status);
    syscall(SYS_exit_group, status);
    __builtin_unreachable();
}

__attribute__((noinline)) static void quick_exit_snapshot(void)
{
    before_exit(quick_status);
}

API void quick_exit(int status)
{
    quick_status = status;               /* for quick_exit_snapshot, the last handler */
    if (real.quick)
        real.quick(status);
    syscall(SYS_exit_group, status);
    __builtin_unreachable();
}

/* ---- exec --------------------------------------------------------------------- */
/* The snapshot of the image about to be replaced; its path, to remove when
 * exec returns (it failed). errno is the program's. */
static bool before_exec(char *path, size_t cap)
{
    path[0] = '\0';
    if (mt_fp.state != MT_ON || !mt_is_traced_process() || mt_self.locks_held > 0)
        return false;                    /* mt_locks_held: see mt_final_snapshot */
    int saved = errno;
    mt_tree_before_exec();               /* the next image names this one */
    const char *p = mt_final_snapshot(MT_REASON_EXEC, 0, 0, 0);
    if (p && strlen(p) < cap)
        memcpy(path, p, strlen(p) + 1);
    errno = saved;
    return path[0] != '\0';
}

static int after_exec_failed(int r, const char *path)
{
    if (path[0]) {
        int saved = errno;
        mt_writer_lock();                /* the sequence number is free again */
        if (unlink(path) == 0)
            mt_writer_forget_last();
        mt_writer_unlock(false);
        errno = saved;
    }
    return r;
}

/* envp with this image's MTRACE_REPLACED entry (tree.c) added, so that
 * the next image can name this one; every hook passes an explicit
 * environment (environ for the forms without one). envp itself when there
 * is nothing to add or it does not fit. */
#define MAX_ENV 2048
static char *const *with_replaced(char *const envp[], char **buf, size_t cap)
{
    static const char key[] = "MTRACE_REPLACED=";
    const char *entry = mt_tree_replaced_entry();
    if (!envp || !entry || !mt_is_traced_process())
        return envp;
    size_t k = 0;
    for (size_t i = 0; envp[i]; i++) {
        if (strncmp(envp[i], key, sizeof key - 1) == 0)
            continue;
        if (k + 2 > cap)
            return envp;
        buf[k++] = envp[i];
    }
    buf[k++] = (char *)entry;
    buf[k] = NULL;
    return buf;
}

/* The hooks' buffers are mapped, not on the stack: 20 KiB would overrun a
 * small thread stack (and on one of 16 KiB jumped its guard page). They go
 * with the image when exec succeeds. Without them (out of memory) exec runs
 * as asked, with the environment it was given. */
struct exec_bufs {
    char path[4096];                     /* the snapshot written for this exec */
    char *env[MAX_ENV + 2];
};

/* Mapped only in the traced process: a vfork child shares its parent's
 * memory, and a mapping it made would stay behind in the parent. */
static struct exec_bufs *exec_bufs(void)
{
    return mt_fp.state == MT_ON && mt_is_traced_process() ? mt_map(sizeof(struct exec_bufs)) : NULL;
}

#define EXEC_HOOK(call)                                             \
    do {                                                            \
        struct exec_bufs *b_ = exec_bufs();                         \
        char none_[1] = "";                                         \
        char *path_ = b_ ? b_->path : none_;                        \
        before_exec(path_, b_ ? sizeof b_->path : sizeof none_);    \
        int r_ = after_exec_failed(call, path_);                    \
        mt_unmap(b_, sizeof *b_);        /* keeps errno */          \
        return r_;                                                  \
    } while (0)
#define ENVP(e) (b_ ? with_replaced((e), b_->env, MAX_ENV + 2) : (e))

static int missing(void)
{
    errno = ENOSYS;
    return -1;
}

API int execve(const char *file, char *const argv[], char *const envp[])
{
    EXEC_HOOK(real.execve ? real.execve(file, argv, ENVP(envp))
                          : (int)syscall(SYS_execve, file, argv, ENVP(envp)));
}

API int execv(const char *file, char *const argv[])
{
    EXEC_HOOK(real.execve ? real.execve(file, argv, ENVP(environ)) : missing());
}

API int execvp(const char *file, char *const argv[])
{
    EXEC_HOOK(real.execvpe ? real.execvpe(file, argv, ENVP(environ)) : missing());
}

API int execvpe(const char *file, char *const argv[], char *const envp[])
{
    EXEC_HOOK(real.execvpe ? real.execvpe(file, argv, ENVP(envp)) : missing());
}

API int fexecve(int fd, char *const argv[], char *const envp[])
{
    EXEC_HOOK(real.fexecve ? real.fexecve(fd, argv, ENVP(envp)) : missing());
}

API int execveat(int dirfd, const char *file, char *const argv[], char *const envp[], int flags)
{
    EXEC_HOOK(real.execveat ? real.execveat(dirfd, file, argv, ENVP(envp), flags) : missing());
}

/* The list forms: the arguments into an array on the stack (as glibc does),
 * then the vector form's real function. */
static size_t count_args(const char *arg, va_list ap)
{
    size_t n = 1;
    while (arg && va_arg(ap, const char *))
        n++;
    return n;
}

/* argv[0..n]: arg, the n-1 that follow, NULL; consumes the terminator. */
static void fill_args(char **argv, size_t n, const char *arg, va_list *ap)
{
    argv[0] = (char *)arg;
    for (size_t i = 1; i <= n; i++)
        argv[i] = arg ? va_arg(*ap, char *) : NULL;
    argv[n] = NULL;
}

#define LIST_ARGS(argv, arg, ap, tail)              \
    va_list ap;                                     \
    va_start(ap, arg);                              \
    size_t n_ = count_args(arg, ap);                \
    va_end(ap);                                     \
    char *argv[n_ + 1];                             \
    va_start(ap, arg);                              \
    fill_args(argv, n_, arg, &ap);                  \
    tail;                                           \
    va_end(ap)

API int execl(const char *file, const char *arg, ...)
{
    LIST_ARGS(argv, arg, ap, (void)0);
    EXEC_HOOK(real.execve ? real.execve(file, argv, ENVP(environ)) : missing());
}

API int execlp(const char *file, const char *arg, ...)
{
    LIST_ARGS(argv, arg, ap, (void)0);
    EXEC_HOOK(real.execvpe ? real.execvpe(file, argv, ENVP(environ)) : missing());
}

API int execle(const char *file, const char *arg, ...)
{
    char *const *envp;
    LIST_ARGS(argv, arg, ap, envp = va_arg(ap, char *const *));
    EXEC_HOOK(real.execve ? real.execve(file, argv, ENVP(envp)) : missing());
}
