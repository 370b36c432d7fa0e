/* ---------------------------------------------------------------------------
 * leakgate.c: MTRACE_LEAK_CHECK=1, the gate for CI jobs that want no
 * reporter step: after the exit snapshot is written, leaks (definitely and
 * indirectly lost blocks) not covered by a suppression make the process
 * print a LeakSanitizer-like report on stderr and exit with
 * MTRACE_LEAK_EXITCODE (23, LeakSanitizer's) instead of its own status.
 *
 * Suppressions are judged as `mtrace-report check` judges them: the user's
 * file (MTRACE_SUPPRESSIONS, LeakSanitizer's `leak:PATTERN` lines) against
 * every frame's function, file and module, and the built-in defaults
 * (include/mtrace/known_frames.h) against the allocation site's frames
 * only. Here functions are named from the dynamic symbol table (dynsym.c);
 * the reporter also reads DWARF, so it can match static functions too.
 * Runs at the very end of exit, after the snapshot: reads files with
 * open/read into mapped memory, prints with write (mt_log).
 * ------------------------------------------------------------------------- */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "mtrace/format.h"
#include "mtrace/known_frames.h"
#include "mtrace/template_match.h"

#define MAX_PATTERNS 1024
#define MAX_REPORTED 20

struct frame_names {
    const char *function, *file, *module;
    uintptr_t fn_off, mod_off;           /* native: offsets into function and module */
};

struct user_supp {
    char *text;                          /* the file, patterns NUL-terminated in place */
    size_t text_bytes;
    const char *pat[MAX_PATTERNS];
    int n;
};

static const char *base_name(const char *p)
{
    const char *b = p ? strrchr(p, '/') : NULL;
    return b ? b + 1 : p;
}

static bool glob_any(const char *const *pats, size_t n, const char *s)
{
    if (!s)
        return false;
    for (size_t i = 0; i < n; i++)
        if (fnmatch(pats[i], s, 0) == 0)
            return true;
    return false;
}

static void names_of(uintptr_t w, struct frame_names *f)
{
    memset(f, 0, sizeof *f);
    if (mt_is_pyframe(w)) {
        mt_python_names(w, &f->file, &f->function);
        return;
    }
    struct mt_symbol sym;
    if (mt_dynsym_lookup(w - 1, &sym)) { /* return addresses: the call is before */
        f->function = sym.function;
        f->module = sym.module;
        f->fn_off = sym.function ? w - sym.function_addr : 0;
        f->mod_off = w - sym.module_base;
    }
}

static bool is_wrapper(const struct frame_names *f)
{
    return glob_any(mt_wrapper_modules, MT_COUNT(mt_wrapper_modules), base_name(f->module)) ||
           glob_any(mt_wrapper_functions, MT_COUNT(mt_wrapper_functions), f->function);
}

/* The built-in rules: each names a module or a function pattern, matched
 * against the frames from the allocation call out to the site. */
static bool default_suppressed(const uintptr_t *frames, int n)
{
    for (int i = 0; i < n; i++) {
        if (mt_is_pyframe(frames[i]))
            continue;
        struct frame_names f;
        names_of(frames[i], &f);
        bool wrapper = is_wrapper(&f);
        for (size_t k = 0; k < MT_COUNT(mt_default_suppressions); k++) {
            const struct mt_default_suppression *d = &mt_default_suppressions[k];
            if (d->site_only && wrapper)
                continue;
            if ((d->module && f.module && fnmatch(d->module, base_name(f.module), 0) == 0) ||
                (d->function && f.function && fnmatch(d->function, f.function, 0) == 0))
                return true;
        }
        if (!wrapper)
            return false;                /* the site: frames further out do not count */
    }
    return false;
}

static bool user_suppressed(const struct user_supp *u, const uintptr_t *frames, int n)
{
    for (int i = 0; i < n && u->n; i++) {
        struct frame_names f;
        names_of(frames[i], &f);
        for (int k = 0; k < u->n; k++)
            if (mt_template_match(u->pat[k], f.function) ||
                mt_template_match(u->pat[k], f.file) ||
                mt_template_match(u->pat[k], f.module))
                return true;
    }
    return false;
}

/* LeakSanitizer's format: "leak:PATTERN" lines, '#' comments. */
static void load_user(struct user_supp *u, const char *path)
{
    memset(u, 0, sizeof *u);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        mt_log("mtrace: cannot read MTRACE_SUPPRESSIONS=%s: %s", path, strerrordesc_np(errno));
        return;
    }
    u->text_bytes = 1u << 20;
    u->text = mt_map(u->text_bytes);
    size_t len = 0;
    while (u->text && len + 1 < u->text_bytes) {
        ssize_t r = read(fd, u->text + len, u->text_bytes - 1 - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    close(fd);
    for (char *line = u->text; line && line < u->text + len;) {
        char *nl = memchr(line, '\n', (size_t)(u->text + len - line));
        char *end = nl ? nl : u->text + len;
        *end = '\0';
        while (*line == ' ' || *line == '\t')
            line++;
        for (char *t = end; t > line && (t[-1] == ' ' || t[-1] == '\t' || t[-1] == '\r');)
            *--t = '\0';
        if (strncmp(line, "leak:", 5) == 0 && line[5] && u->n < MAX_PATTERNS)
            u->pat[u->n++] = line + 5;
        line = end + 1;
    }
}

static void print_leak(uint32_t id, const struct mt_leak *l, int cls)
{
    mt_print("%s leak of %llu byte(s) in %llu object(s) allocated from:",
           cls == MT_LEAK_DEFINITE ? "Direct" : "Indirect",
           (unsigned long long)l->bytes[cls], (unsigned long long)l->count[cls]);
    const uintptr_t *frames;
    int n = mt_stacks_frames(id, &frames);
    for (int i = 0; i < n; i++) {
        struct frame_names f;
        names_of(frames[i], &f);
        if (mt_is_pyframe(frames[i]))
            mt_print("    #%d %s:%u in %s", i, f.file ? f.file : "?",
                   (unsigned)(frames[i] & 0xffffffffu), f.function ? f.function : "?");
        else if (f.function)
            mt_print("    #%d 0x%llx in %s+0x%llx (%s+0x%llx)", i,
                     (unsigned long long)frames[i], f.function, (unsigned long long)f.fn_off,
                     f.module ? f.module : "?", (unsigned long long)f.mod_off);
        else
            mt_print("    #%d 0x%llx in %s+0x%llx", i, (unsigned long long)frames[i],
                     f.module ? f.module : "?", (unsigned long long)f.mod_off);
    }
    mt_print("%s", "");
}

void mt_leak_gate(const struct mt_leak_result *r, const char *snapshot)
{
    if (r->status == MT_SCAN_NONE)
        return;                          /* nothing known: the program's status stands */
    int guard = mt_self.guard;
    mt_self.guard = 1;                        /* the symbol tables were read before the scan */
    static struct user_supp u;           /* 8 KiB, once, at exit: not on the stack */
    memset(&u, 0, sizeof u);
    if (mt_opt.suppressions)
        load_user(&u, mt_opt.suppressions);
    unsigned long long bytes = 0, blocks = 0, sup_bytes = 0, sup_blocks = 0;
    int reported = 0;
    for (uint32_t id = 0; id < r->nstacks; id++) {
        const struct mt_leak *l = &r->per_stack[id];
        uint64_t c = l->count[MT_LEAK_DEFINITE] + l->count[MT_LEAK_INDIRECT];
        uint64_t b = l->bytes[MT_LEAK_DEFINITE] + l->bytes[MT_LEAK_INDIRECT];
        if (!c)
            continue;
        const uintptr_t *frames;
        int n = mt_stacks_frames(id, &frames);
        if ((mt_opt.default_suppressions && default_suppressed(frames, n)) ||
            user_suppressed(&u, frames, n)) {
            sup_bytes += b;
            sup_blocks += c;
            continue;
        }
        if (!blocks)
            mt_print("=================================================================\n"
                   "==%d==ERROR: mtrace: detected memory leaks\n", (int)mt_pid());
        for (int cls = MT_LEAK_DEFINITE; cls <= MT_LEAK_INDIRECT; cls++)
            if (l->count[cls] && reported++ < MAX_REPORTED)
                print_leak(id, l, cls);
        bytes += b;
        blocks += c;
    }
    mt_unmap(u.text, u.text_bytes);
    if (!blocks) {
        mt_self.guard = guard;
        return;
    }
    if (reported > MAX_REPORTED)
        mt_print("... %d more leak reports (mtrace-report leaks shows them all)",
               reported - MAX_REPORTED);
    if (sup_blocks)
        mt_print("Suppressed: %llu byte(s) in %llu allocation(s).", sup_bytes, sup_blocks);
    if (snapshot && *snapshot)
        mt_print("Source lines: mtrace-report check %s", snapshot);
    mt_print("SUMMARY: %llu byte(s) leaked in %llu allocation(s).", bytes, blocks);
    /* _exit skips stdio's flush at exit. fcloseall is glibc's _IO_cleanup,
     * which flushes without taking stream locks: other threads are parked
     * for good by the scan, maybe holding one. */
    fcloseall();
    _exit(mt_opt.leak_exitcode);
}
