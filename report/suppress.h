/* Leak suppressions for `check`, in LeakSanitizer's file format: lines
 * `leak:PATTERN` (and `called_from_lib:PATTERN`), `#` comments, blank lines.
 * PATTERN follows LSan's TemplateMatch (include/mtrace/template_match.h,
 * shared with the shim's MTRACE_LEAK_CHECK): `*` matches any run of
 * characters, a leading `^` anchors at the start and a trailing `$` at the
 * end, otherwise the pattern matches anywhere in the string. A `leak:`
 * pattern suppresses a stack when it matches the function name, source file
 * or module path of any of its frames (Python frames: function and file);
 * `called_from_lib:` matches the module path of the allocation site frame.
 *
 * The built-in defaults are the shared table of include/mtrace/known_frames.h
 * (fnmatch globs on a module's file name or a function name), judged as the
 * shim judges them: against the native frames from the innermost out to the
 * allocation site (the first that is not an allocator wrapper), Python
 * frames skipped; a site_only rule against the site frame alone. Nearly
 * every Python stack holds Py_RunMain further out, so a default allowed to
 * look at every frame would hide real leaks.
 *
 * Each suppression counts what it suppressed (the first one matching a
 * stack takes it: user files in order, frame by frame from the innermost,
 * then the defaults), like LSan's "Suppressions used:". */
#ifndef MTRACE_REPORT_SUPPRESS_H
#define MTRACE_REPORT_SUPPRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "frame.h"
#include "site.h"
#include "textutil.h"

struct mt_default_suppression;

enum supp_kind {
    SUPP_LEAK,            /* leak:PATTERN, any frame's function, file or module path */
    SUPP_CALLED_FROM_LIB, /* called_from_lib:PATTERN, the site frame's module path */
    SUPP_BUILTIN,         /* an entry of the built-in table */
};

struct supp {
    enum supp_kind kind;
    char *pattern;        /* as written, or the built-in rule ("module:python3*") (owned) */
    const char *file;     /* NULL for a built-in one (owned by the set) */
    unsigned line;
    const struct mt_default_suppression *builtin; /* SUPP_BUILTIN: its entry */
    const char *reason;   /* built-in: why */
    uint64_t stacks, blocks, bytes; /* what it suppressed (see supp_note) */
};

struct supp_set {
    struct supp *v;
    size_t n;
    char **files;         /* names of the files parsed */
    size_t nfiles;
    char **warned;        /* unknown types already warned about */
    size_t nwarned;
};

/* LSan's TemplateMatch of TEMPL on S; a NULL or empty S never matches. */
bool supp_template_match(const char *templ, const char *s);

/* Parse TEXT (LEN bytes, a file named NAME) into SET. On a syntax error
 * returns -1 with "NAME:LINE: what" in ERR. Unknown suppression types (a
 * file shared with other sanitizers: race:, thread:...) are ignored with
 * one warning per type on stderr. */
int supp_parse(struct supp_set *set, const char *name, const char *text, size_t len,
               char *err, size_t errlen);

/* Read and parse PATH (regular file or pipe). -1 with "PATH: why" or
 * "PATH:LINE: what" in ERR. */
int supp_load_file(struct supp_set *set, const char *path, char *err, size_t errlen);

/* Append the built-in table; how many entries it has. */
void supp_add_defaults(struct supp_set *set);
size_t supp_ndefaults(void);

/* How many of FRAMES[0..N) are the site frames (see above): the index one
 * past the first native non-wrapper frame, or N if there is none. */
size_t supp_site_end(const struct rframe *frames, size_t n, const struct site_opts *so);

/* The suppression that matches the stack FRAMES[0..N) (symbolized, every
 * frame, innermost first), or NULL. */
struct supp *supp_match(struct supp_set *set, const struct rframe *frames, size_t n,
                        const struct site_opts *so);

/* Count a stack of BLOCKS blocks and BYTES bytes against S. */
void supp_note(struct supp *s, uint64_t blocks, uint64_t bytes);
void supp_reset_usage(struct supp_set *set);

/* "leak", "called_from_lib" or "builtin". */
const char *supp_type_name(enum supp_kind k);

/* S as a line of a suppression file ("leak:PATTERN") or, built-in, its rule
 * ("module:python3*", "function:_dl_*", with " (site frame)" when it looks
 * at the site frame alone). */
void supp_describe(struct sbuf *b, const struct supp *s);

/* The built-in table for --help: "INDENT RULE  REASON" lines. */
void supp_print_defaults(FILE *out, const char *indent);

void supp_free(struct supp_set *set);

#endif
