/* ---------------------------------------------------------------------------
 * tree.c: a traced process tree. The first traced process (the root) puts
 * MTRACE_ROOT=PID:START in the environment its descendants inherit; an
 * image that exec replaces keeps the pid, so it stays the root.
 *
 * - MTRACE_FOLLOW=0: the root takes the shim out of LD_PRELOAD in environ
 *   (system, popen and posix_spawn read environ) and fork children record
 *   nothing.
 * - MTRACE_MIN_ALLOCS (default 1000): a descendant, or an image replaced by
 *   exec, that made fewer allocations of its own writes no final snapshot
 *   (a shell wrapper's helpers stay quiet); the root's final one always is.
 * - MTRACE_MAX_FILES: the snapshots one tree may write, counted in a small
 *   file under $TMPDIR whose length is the count (one O_APPEND write per
 *   snapshot claims a slot atomically across processes); the root's final
 *   snapshot never counts. The root removes the file when it ends.
 * ------------------------------------------------------------------------- */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "mtrace/format.h"

static bool is_root;
static uint64_t fork_allocs, fork_bytes; /* the parent's counters at the fork */
static char replaced[4096];              /* the image exec replaced, if it said */
static char root_id[64];                 /* "PID:START_NS" of the tree's root */
static bool warned_max;


/* Removes this library's entry from LD_PRELOAD in place (environ's strings
 * are the process's own memory). */
static void drop_from_preload(void)
{
    Dl_info di;
    char *v = getenv("LD_PRELOAD");
    if (!v || !dladdr((void *)mt_tree_init, &di) || !di.dli_fname)
        return;
    const char *self = strrchr(di.dli_fname, '/');
    self = self ? self + 1 : di.dli_fname;
    char *out = v;
    for (char *p = v; *p;) {
        size_t n = strcspn(p, ": ");
        const char *base = memrchr(p, '/', n);
        base = base ? base + 1 : p;
        size_t bn = n - (size_t)(base - p);
        bool mine = bn == strlen(self) && memcmp(base, self, bn) == 0;
        if (!mine && n) {
            if (out != v)
                *out++ = ':';
            memmove(out, p, n);
            out += n;
        }
        p += n;
        while (*p == ':' || *p == ' ')
            p++;
    }
    *out = '\0';
    if (!*v)
        unsetenv("LD_PRELOAD");
}

/* MTRACE_REPLACED=PID:PATH, set by the exec hook of the image this one
 * replaced (same pid); descendants inherit it and ignore it. */
static void read_replaced(void)
{
    const char *v = getenv("MTRACE_REPLACED");
    char me[32];
    int n = snprintf(me, sizeof me, "%d:", (int)mt_pid());
    if (v && strncmp(v, me, (size_t)n) == 0)
        snprintf(replaced, sizeof replaced, "%s", v + n);
}

static char replaced_entry[4200];         /* "MTRACE_REPLACED=PID:PATH" */

/* Built once per process (a fork child builds its own), under a lock:
 * threads may exec at once. The path goes straight into the entry, not
 * through 4 KiB on the stack of the thread that execs (a small one maybe). */
void mt_tree_before_exec(void)
{
    static mt_lock entry_lock = MT_LOCK_INIT;
    static pid_t built_for;
    mt_lock_acquire(&entry_lock);
    pid_t pid = mt_pid();
    if (built_for != pid) {
        int n = snprintf(replaced_entry, sizeof replaced_entry, "MTRACE_REPLACED=%d:", (int)pid);
        if (n > 0 && (size_t)n < sizeof replaced_entry)
            mt_proc_exe(replaced_entry + n, sizeof replaced_entry - (size_t)n);
        built_for = pid;
    }
    mt_lock_release(&entry_lock);
}

/* The entry the exec hooks add to the environment they pass (exits.c):
 * not through setenv, which a shell (bash) replaces with its own. */
const char *mt_tree_replaced_entry(void)
{
    return replaced_entry[0] ? replaced_entry : NULL;
}

void mt_tree_header(struct mt_file_header *h, struct mt_strtab *st)
{
    h->fork_allocs = fork_allocs;
    h->fork_bytes = fork_bytes;
    h->replaced = mt_strtab_add(st, replaced, strlen(replaced));
}

void mt_tree_init(void)
{
    read_replaced();
    const char *r = getenv("MTRACE_ROOT");
    char me[64];
    snprintf(me, sizeof me, "%d:", (int)mt_pid());
    if (!r || strncmp(r, me, strlen(me)) == 0) {
        is_root = true;
        if (r)
            snprintf(root_id, sizeof root_id, "%s", r);
        else
            snprintf(root_id, sizeof root_id, "%d:%llu", (int)mt_pid(),
                     (unsigned long long)mt_start_time_ns());
        if (!mt_opt.follow)
            drop_from_preload();
    } else {
        snprintf(root_id, sizeof root_id, "%s", r);
    }
}

/* MTRACE_ROOT goes into a copy of the environment in the shim's own pages,
 * with a static string, not through setenv: setenv's string, array and
 * search-tree node would be the first blocks of glibc's heap, before main,
 * and every block the program allocates would lie after them instead of
 * where it lies untraced (bench churn: 770 more page faults, from the
 * allocator trimming and growing its heap at other boundaries). glibc's
 * setenv and putenv copy an environment they did not allocate before
 * adding to it, unsetenv and putenv of a name already there edit it in
 * place, and nothing frees it. The auxiliary vector follows the copy as it
 * follows the original, for code that finds it past environ's end; the
 * leak scan reads the copy as a root (mt_tree_env_range). */
static char root_entry[sizeof "MTRACE_ROOT=" + sizeof root_id];
static char **env_copy;
static size_t env_copy_bytes;

void mt_tree_publish(void)
{
    if (!is_root || getenv("MTRACE_ROOT"))
        return;
    snprintf(root_entry, sizeof root_entry, "MTRACE_ROOT=%s", root_id);
    size_t n = 0;
    while (environ && environ[n])
        n++;
    static char auxv[4096];
    size_t auxv_bytes = mt_proc_read("/proc/self/auxv", auxv, sizeof auxv);
    size_t bytes = (n + 2) * sizeof *env_copy + auxv_bytes;
    char **env = mt_map(bytes);
    if (!env) {
        setenv("MTRACE_ROOT", root_id, 1);
        return;
    }
    for (size_t i = 0; i < n; i++)
        env[i] = environ[i];
    env[n] = root_entry;
    env[n + 1] = NULL;
    memcpy(env + n + 2, auxv, auxv_bytes);
    env_copy = env;
    env_copy_bytes = bytes;
    environ = env;
}

void mt_tree_env_range(uintptr_t *lo, uintptr_t *hi)
{
    *lo = (uintptr_t)env_copy;
    *hi = (uintptr_t)env_copy + (env_copy ? env_copy_bytes : 0);
}

void mt_tree_after_fork_child(uint64_t parent_allocs, uint64_t parent_bytes)
{
    is_root = false;
    fork_allocs = parent_allocs;
    fork_bytes = parent_bytes;
    replaced[0] = '\0';
    if (!mt_opt.follow)
        mt_set_state(MT_DONE);           /* records nothing, writes nothing */
}

bool mt_tree_wants_final(int reason, uint64_t total_allocs)
{
    if (is_root && reason != MT_REASON_EXEC)
        return true;
    return total_allocs >= mt_opt.min_allocs;   /* a fork child's count starts at 0 */
}

static void counter_path(char *buf, size_t cap)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    char id[64];
    snprintf(id, sizeof id, "%s", root_id);
    for (char *p = id; *p; p++)
        if (*p == ':')
            *p = '-';
    snprintf(buf, cap, "%s/mtrace-files-%d-%s", dir, (int)getuid(), id);
}

bool mt_tree_claim_file(int reason)
{
    if (!mt_opt.max_files)
        return true;
    bool final = reason == MT_REASON_EXIT || reason == MT_REASON_EXIT_NOW ||
                 reason == MT_REASON_KILLED;
    if (is_root && final)
        return true;                     /* never counts against the cap */
    static char path[4200];              /* under the writer's lock, its only caller */
    counter_path(path, sizeof path);
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return true;                     /* cannot count: do not lose data */
    ssize_t w;
    do
        w = write(fd, "x", 1);
    while (w < 0 && errno == EINTR);
    off_t slot = w == 1 ? lseek(fd, 0, SEEK_CUR) : 0;
    close(fd);
    if (slot <= (off_t)mt_opt.max_files)
        return true;
    if (!warned_max) {
        warned_max = true;
        mt_log("mtrace: MTRACE_MAX_FILES=%u reached for this process tree; "
               "process %d writes no more snapshots", mt_opt.max_files, (int)mt_pid());
    }
    return false;
}

void mt_tree_root_done(void)
{
    if (!is_root || !mt_opt.max_files)
        return;
    static char path[4200];              /* once, at the end of the exit sequence */
    counter_path(path, sizeof path);
    unlink(path);
}
