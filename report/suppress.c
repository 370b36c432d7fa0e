/* Suppressions (see suppress.h): parsing LSan's file format, and which
 * suppression a stack falls under. Pattern matching and the built-in table
 * come from the headers the shim's MTRACE_LEAK_CHECK uses too
 * (mtrace/template_match.h, mtrace/known_frames.h), and the built-ins are
 * walked over the frames as preload/leakgate.c walks them, so `check` and
 * the shim's gate judge a stack alike. */
#include "suppress.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fnmatch.h>

#include "mtrace/known_frames.h"
#include "mtrace/template_match.h"
#include "textutil.h"

#define SUPP_MAX_FILE (16u << 20) /* a suppression file is text: refuse more */

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (!d)
        report_oom();
    return d;
}

bool supp_template_match(const char *templ, const char *s)
{
    return mt_template_match(templ, s);
}

/* Whether TEMPL has something to match between its anchors. */
static bool template_empty(const char *templ)
{
    if (*templ == '^')
        templ++;
    return !*templ || strcmp(templ, "$") == 0;
}

const char *supp_type_name(enum supp_kind k)
{
    switch (k) {
    case SUPP_LEAK: return "leak";
    case SUPP_CALLED_FROM_LIB: return "called_from_lib";
    case SUPP_BUILTIN: return "builtin";
    }
    return "?";
}

static struct supp *add(struct supp_set *set, enum supp_kind kind, const char *pattern,
                        const char *file, unsigned line)
{
    struct supp *v = realloc(set->v, (set->n + 1) * sizeof *v);
    if (!v)
        report_oom();
    set->v = v;
    struct supp *s = &v[set->n++];
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->pattern = xstrdup(pattern);
    s->file = file;
    s->line = line;
    return s;
}

static void push_name(char ***list, size_t *n, const char *name)
{
    char **l = realloc(*list, (*n + 1) * sizeof *l);
    if (!l)
        report_oom();
    l[*n] = xstrdup(name);
    *list = l;
    (*n)++;
}

/* Warn once per unknown type (a file shared with TSan or ASan). */
static void warn_type(struct supp_set *set, const char *name, unsigned line, const char *type)
{
    for (size_t i = 0; i < set->nwarned; i++)
        if (strcmp(set->warned[i], type) == 0)
            return;
    push_name(&set->warned, &set->nwarned, type);
    struct sbuf b = {0};
    sb_add_clean(&b, name);
    fprintf(stderr, "mtrace-report: warning: %s:%u: '%s:' suppressions are not about "
            "leaks; ignored (check reads leak: and called_from_lib:)\n", sb_str(&b), line,
            type);
    sb_free(&b);
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* One line, [P, E): 0, or -1 with ERR set. */
static int parse_line(struct supp_set *set, const char *name, const char *fname,
                      unsigned lineno, const char *p, const char *e, char *err, size_t errlen)
{
    struct sbuf clean = {0};
    int rc = -1;
    if (memchr(p, '\0', (size_t)(e - p))) {
        set_err(err, errlen, "%s:%u: NUL byte in the line", name, lineno);
        return -1;
    }
    while (p < e && is_space(*p))
        p++;
    while (e > p && is_space(e[-1]))
        e--;
    if (p == e || *p == '#')
        return 0;
    const char *colon = memchr(p, ':', (size_t)(e - p));
    if (!colon) {
        sb_addn(&clean, p, (size_t)(e - p) > 60 ? 60 : (size_t)(e - p));
        struct sbuf c2 = {0};
        sb_add_clean(&c2, sb_str(&clean));
        set_err(err, errlen, "%s:%u: expected TYPE:PATTERN such as leak:my_function, got '%s'",
                name, lineno, sb_str(&c2));
        sb_free(&c2);
        goto out;
    }
    size_t tlen = (size_t)(colon - p);
    bool type_ok = tlen > 0 && tlen < 32;
    for (const char *q = p; type_ok && q < colon; q++)
        type_ok = (*q >= 'a' && *q <= 'z') || *q == '_';
    if (!type_ok) {
        sb_addn(&clean, p, tlen > 40 ? 40 : tlen);
        struct sbuf c2 = {0};
        sb_add_clean(&c2, sb_str(&clean));
        set_err(err, errlen, "%s:%u: invalid suppression type '%s' (expected leak: or "
                "called_from_lib:)", name, lineno, sb_str(&c2));
        sb_free(&c2);
        goto out;
    }
    char type[32];
    memcpy(type, p, tlen);
    type[tlen] = '\0';
    sb_addn(&clean, colon + 1, (size_t)(e - colon - 1));
    const char *pattern = sb_str(&clean);
    enum supp_kind kind;
    if (strcmp(type, "leak") == 0) {
        kind = SUPP_LEAK;
    } else if (strcmp(type, "called_from_lib") == 0) {
        kind = SUPP_CALLED_FROM_LIB;
    } else {
        warn_type(set, name, lineno, type);
        rc = 0;
        goto out;
    }
    if (template_empty(pattern)) {
        set_err(err, errlen, "%s:%u: empty pattern after '%s:'", name, lineno, type);
        goto out;
    }
    add(set, kind, pattern, fname, lineno);
    rc = 0;
out:
    sb_free(&clean);
    return rc;
}

int supp_parse(struct supp_set *set, const char *name, const char *text, size_t len,
               char *err, size_t errlen)
{
    push_name(&set->files, &set->nfiles, name);
    const char *fname = set->files[set->nfiles - 1];
    struct sbuf cname = {0};
    sb_add_clean(&cname, name); /* file names in messages stay terminal-safe */
    const char *p = text, *end = text + len;
    unsigned lineno = 0;
    int rc = 0;
    while (p < end && rc == 0) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        rc = parse_line(set, sb_str(&cname), fname, ++lineno, p, e, err, errlen);
        p = nl ? nl + 1 : end;
    }
    sb_free(&cname);
    return rc;
}

int supp_load_file(struct supp_set *set, const char *path, char *err, size_t errlen)
{
    struct sbuf cpath = {0};
    sb_add_clean(&cpath, path);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    struct stat st;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = -1;
    if (fd < 0 || fstat(fd, &st) != 0) {
        set_err(err, errlen, "%s: %s", sb_str(&cpath), strerror(errno));
        goto out;
    }
    if (S_ISDIR(st.st_mode)) {
        set_err(err, errlen, "%s: %s", sb_str(&cpath), strerror(EISDIR));
        goto out;
    }
    /* A pipe (--suppressions <(...)) is read to its end like a file. */
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 4096;
            char *b = realloc(buf, cap);
            if (!b)
                report_oom();
            buf = b;
        }
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            set_err(err, errlen, "%s: read error: %s", sb_str(&cpath), strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len > SUPP_MAX_FILE) {
            set_err(err, errlen, "%s: file too large for a suppression file (over %u MiB)",
                    sb_str(&cpath), SUPP_MAX_FILE >> 20);
            goto out;
        }
    }
    rc = supp_parse(set, path, buf ? buf : "", len, err, errlen);
out:
    if (fd >= 0)
        close(fd);
    free(buf);
    sb_free(&cpath);
    return rc;
}

size_t supp_ndefaults(void)
{
    return MT_COUNT(mt_default_suppressions);
}

/* "module:python3*", "function:_dl_*", " (site frame)" when site_only. */
static void builtin_rule(struct sbuf *b, const struct mt_default_suppression *d)
{
    if (d->module)
        sb_printf(b, "module:%s", d->module);
    if (d->function)
        sb_printf(b, "%sfunction:%s", d->module ? " or " : "", d->function);
    if (d->site_only)
        sb_add(b, " (site frame)");
}

void supp_add_defaults(struct supp_set *set)
{
    struct sbuf rule = {0};
    for (size_t i = 0; i < MT_COUNT(mt_default_suppressions); i++) {
        const struct mt_default_suppression *d = &mt_default_suppressions[i];
        sb_reset(&rule);
        builtin_rule(&rule, d);
        struct supp *s = add(set, SUPP_BUILTIN, sb_str(&rule), NULL, 0);
        s->builtin = d;
        s->reason = d->why;
    }
    sb_free(&rule);
}

size_t supp_site_end(const struct rframe *frames, size_t n, const struct site_opts *so)
{
    for (size_t i = 0; i < n; i++)
        if (!frames[i].python && !site_is_wrapper(&frames[i], so))
            return i + 1;
    return n;
}

static const char *base_name(const char *p)
{
    const char *b = strrchr(p, '/');
    return b ? b + 1 : p;
}

/* Does user suppression S match frame F? */
static bool leak_match(const struct supp *s, const struct rframe *f)
{
    return mt_template_match(s->pattern, f->module) || mt_template_match(s->pattern, f->function) ||
           mt_template_match(s->pattern, f->file);
}

static bool glob_match(const char *glob, const char *s)
{
    return glob && s && fnmatch(glob, s, 0) == 0;
}

/* The built-in rule that covers frame F (a wrapper or not), or NULL. */
static struct supp *builtin_match(struct supp_set *set, const struct rframe *f, bool wrapper)
{
    for (size_t k = 0; k < set->n; k++) {
        const struct mt_default_suppression *d = set->v[k].builtin;
        if (set->v[k].kind != SUPP_BUILTIN || (d->site_only && wrapper))
            continue;
        if (glob_match(d->module, f->module ? base_name(f->module) : NULL) ||
            glob_match(d->function, f->function))
            return &set->v[k];
    }
    return NULL;
}

struct supp *supp_match(struct supp_set *set, const struct rframe *frames, size_t n,
                        const struct site_opts *so)
{
    /* leak: frame by frame, innermost first, each against every pattern in
     * file order, as LSan does: the first hit takes the stack. */
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < set->n; k++)
            if (set->v[k].kind == SUPP_LEAK && leak_match(&set->v[k], &frames[i]))
                return &set->v[k];
    size_t site_end = supp_site_end(frames, n, so);
    const struct rframe *site = site_end && !frames[site_end - 1].python
                                    ? &frames[site_end - 1] : NULL;
    for (size_t k = 0; k < set->n; k++)
        if (set->v[k].kind == SUPP_CALLED_FROM_LIB && site &&
            mt_template_match(set->v[k].pattern, site->module))
            return &set->v[k];
    /* Built-ins: the native frames out to the site, as leakgate.c walks them. */
    for (size_t i = 0; i < site_end; i++) {
        if (frames[i].python)
            continue;
        bool wrapper = site_is_wrapper(&frames[i], so);
        struct supp *s = builtin_match(set, &frames[i], wrapper);
        if (s)
            return s;
        if (!wrapper)
            break;
    }
    return NULL;
}

void supp_note(struct supp *s, uint64_t blocks, uint64_t bytes)
{
    s->stacks = s->stacks == UINT64_MAX ? s->stacks : s->stacks + 1;
    s->blocks = s->blocks > UINT64_MAX - blocks ? UINT64_MAX : s->blocks + blocks;
    s->bytes = s->bytes > UINT64_MAX - bytes ? UINT64_MAX : s->bytes + bytes;
}

void supp_reset_usage(struct supp_set *set)
{
    for (size_t k = 0; k < set->n; k++)
        set->v[k].stacks = set->v[k].blocks = set->v[k].bytes = 0;
}

void supp_describe(struct sbuf *b, const struct supp *s)
{
    if (s->kind != SUPP_BUILTIN)
        sb_printf(b, "%s:", supp_type_name(s->kind));
    sb_add_clean(b, s->pattern);
}

void supp_print_defaults(FILE *out, const char *indent)
{
    struct sbuf rule = {0};
    size_t w = 0;
    for (size_t i = 0; i < MT_COUNT(mt_default_suppressions); i++) {
        sb_reset(&rule);
        builtin_rule(&rule, &mt_default_suppressions[i]);
        w = rule.len > w ? rule.len : w;
    }
    for (size_t i = 0; i < MT_COUNT(mt_default_suppressions); i++) {
        sb_reset(&rule);
        builtin_rule(&rule, &mt_default_suppressions[i]);
        fprintf(out, "%s%-*s  %s\n", indent, (int)w, sb_str(&rule), mt_default_suppressions[i].why);
    }
    sb_free(&rule);
}

void supp_free(struct supp_set *set)
{
    for (size_t k = 0; k < set->n; k++)
        free(set->v[k].pattern);
    free(set->v);
    for (size_t i = 0; i < set->nfiles; i++)
        free(set->files[i]);
    free(set->files);
    for (size_t i = 0; i < set->nwarned; i++)
        free(set->warned[i]);
    free(set->warned);
    memset(set, 0, sizeof *set);
}
