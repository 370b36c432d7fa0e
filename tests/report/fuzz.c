/* Seeded mutation fuzz test (no libFuzzer): takes a valid snapshot, flips,
 * overwrites and truncates random bytes, and checks (1) in-process that
 * snap_parse accepts or rejects without crashing, many thousand times, and
 * (2) that the mtrace-report binary exits 0 or 2 -- never a signal or a
 * sanitizer report -- for a few hundred variants across commands (diff and
 * series runs pair the mutated file with the good one; check may also exit
 * 1). Run on a snapshot with leak classes too: its LEAKS section is the
 * last one, so mutations also aim at the end of the file; and on ones with
 * a TIMELINE and LABELS (the last sections), --rss-only too.
 * Usage: report_fuzz REPORTER GOOD.snap WORKDIR [PARSE_ITERS] [RUN_ITERS] */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "snapshot_read.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Mutate BUF in place; returns the new size (<= SIZE). Biased toward the
 * header, directory and record fields, where the interesting checks live. */
static size_t mutate(uint8_t *buf, size_t size)
{
    int edits = 1 + (int)(next() % 4);
    for (int i = 0; i < edits; i++) {
        size_t pos;
        switch (next() % 3) {
        case 0: pos = next() % (size < 512 ? size : 512); break;     /* header, directory */
        case 1: pos = size - 1 - next() % (size < 640 ? size : 640); break; /* last sections */
        default: pos = next() % size; break;
        }
        switch (next() % 6) {
        case 0: buf[pos] ^= (uint8_t)(1u << (next() % 8)); break;
        case 1: buf[pos] = (uint8_t)next(); break;
        case 2: buf[pos] = 0xff; break;
        case 3: {
            uint64_t v = next() % 3 == 0 ? UINT64_MAX : next() % 4096;
            size_t p = pos & ~(size_t)7;
            if (p + 8 <= size)
                memcpy(buf + p, &v, 8);
            break;
        }
        case 4: buf[pos] = 0; break;
        case 5:
            if (next() % 8 == 0)
                size = next() % size;
            break;
        }
        if (size == 0)
            break;
    }
    return size;
}

int main(int argc, char **argv)
{
    if (argc < 4)
        return 2;
    const char *reporter = argv[1], *workdir = argv[3];
    long parse_iters = argc > 4 ? atol(argv[4]) : 20000;
    long run_iters = argc > 5 ? atol(argv[5]) : 300;
    char err[512];
    struct snap good;
    if (snap_load(argv[2], &good, err, sizeof err) != 0) {
        fprintf(stderr, "cannot load %s: %s\n", argv[2], err);
        return 1;
    }
    size_t size = good.size;
    long accepted = 0;
    for (long it = 0; it < parse_iters; it++) {
        uint8_t *b = malloc(size);
        memcpy(b, good.data, size);
        size_t n = mutate(b, size);
        struct snap s;
        if (snap_parse(b, n, &s, err, sizeof err) == 0) {
            accepted++;
            snap_free(&s); /* frees b */
        } else {
            if (!err[0] || strchr(err, '\n')) {
                fprintf(stderr, "iteration %ld: bad error text '%s'\n", it, err);
                return 1;
            }
            free(b);
        }
    }
    printf("parse: %ld iterations, %ld accepted\n", parse_iters, accepted);

    /* "@" stands for the good snapshot: diff and series runs pair it with the
     * mutated one (same pid and program unless the mutation hit them). */
    static const char *const cmds[][8] = {
        {"top", "--format", "json", NULL}, {"leaks", NULL}, {"peak", "-n", "0", NULL},
        {"dump", NULL}, {"top", "--group-by", "stack", NULL},
        {"top", "--group-by", "function", NULL},
        {"diff", "--all", "-n", "0", "@", NULL},
        {"diff", "--format", "json", "--metric", "alloc", "--force", "@", NULL},
        {"top", "--format", "json", "--include-file", "*.c", "@", NULL},
        {"leaks", "--exclude-module", "libc*", "--filter-frames", "any", "@", NULL},
        {"leaks", "--format", "json", "-n", "0", NULL},
        {"check", "-n", "0", NULL},
        {"check", "--format", "json", "--classes", "definite,possible,reachable", NULL},
        {"check", "--junit", "#junit", "--no-default-suppressions", "@", NULL},
        {"check", "--max-growth", "1K", "--force", "@", NULL},
        {"top", "--format", "folded", "@", NULL}, {"leaks", "--format", "pprof", NULL},
        {"diff", "--format", "folded", "--metric", "count", "--force", "@", NULL},
        {"timeline", NULL}, {"timeline", "--format", "json", "@", NULL},
        {"timeline", "--format", "csv", NULL}, {"timeline", "-n", "3", "@", NULL},
        {"timeline", "--format", "html", NULL}, {"top", "--format", "html", "@", NULL},
    };
    const size_t ncmds = sizeof cmds / sizeof cmds[0];
    char path[4096], errpath[4096], junit[4096];
    if (mkdir(workdir, 0700) != 0 && errno != EEXIST)
        return 1;
    snprintf(path, sizeof path, "%s/fuzz.snap", workdir);
    snprintf(junit, sizeof junit, "%s/fuzz-junit.xml", workdir);
    snprintf(errpath, sizeof errpath, "%s/fuzz.stderr", workdir);
    int exit0 = 0, exit2 = 0;
    for (long it = 0; it < run_iters; it++) {
        uint8_t *b = malloc(size);
        memcpy(b, good.data, size);
        size_t n = mutate(b, size);
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(b, 1, n, f) != n || fclose(f) != 0)
            return 1;
        free(b);
        const char *const *cmd = cmds[it % ncmds];
        char *args[12];
        size_t k = 0;
        args[k++] = (char *)reporter;
        for (size_t j = 0; cmd[j]; j++)
            args[k++] = (char *)(strcmp(cmd[j], "@") == 0       ? argv[2]
                                 : strcmp(cmd[j], "#junit") == 0 ? junit
                                                                 : cmd[j]);
        args[k++] = path;
        args[k] = NULL;
        pid_t pid = fork();
        if (pid == 0) {
            int null = open("/dev/null", O_WRONLY);
            int e = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
            dup2(null, 1);
            dup2(e, 2);
            execv(reporter, args);
            _exit(127);
        }
        int st;
        if (pid < 0 || waitpid(pid, &st, 0) != pid)
            return 1;
        int is_check = strcmp(cmd[0], "check") == 0;
        int ok = WIFEXITED(st) && (WEXITSTATUS(st) == 0 || WEXITSTATUS(st) == 2 ||
                                   (is_check && WEXITSTATUS(st) == 1));
        if (ok)
            *(WEXITSTATUS(st) == 2 ? &exit2 : &exit0) += 1;
        if (!ok) {
            char keep[4200];
            snprintf(keep, sizeof keep, "%s/fuzz-crash-%ld.snap", workdir, it);
            rename(path, keep);
            fprintf(stderr, "iteration %ld (%s): %s %d; input kept as %s; stderr:\n", it,
                    cmd[0], WIFEXITED(st) ? "exit status" : "signal",
                    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), keep);
            FILE *ef = fopen(errpath, "r");
            int c;
            while (ef && (c = fgetc(ef)) != EOF)
                fputc(c, stderr);
            if (ef)
                fclose(ef);
            snap_free(&good);
            return 1;
        }
    }
    printf("runs: %ld iterations, %d exit 0 or 1, %d exit 2\n", run_iters, exit0, exit2);
    snap_free(&good);
    return 0;
}
