/* Stack filters (see filter.h). File and module patterns that contain a '/'
 * are matched against the whole path, the others against its base name, so
 * "util.c" and "libssl.so*" work without a directory. A frame without a file
 * (or function, or module) matches no pattern of that kind. */
#include "filter.h"

#include <stdlib.h>
#include <string.h>

#include "fastmatch.h"
#include "textutil.h"

static const char *const kind_names[FILTER_NKINDS] = {
    [FILTER_FILE] = "file", [FILTER_FUNCTION] = "function", [FILTER_MODULE] = "module",
};

const char *filter_kind_name(enum filter_kind k)
{
    return kind_names[k];
}

void filter_add(struct filter_set *f, bool exclude, enum filter_kind k, const char *pattern)
{
    size_t n = f->npats[exclude][k];
    const char **p = realloc(f->pats[exclude][k], (n + 1) * sizeof *p);
    if (!p)
        report_oom();
    p[n] = pattern;
    f->pats[exclude][k] = p;
    f->npats[exclude][k] = n + 1;
}

bool filter_active(const struct filter_set *f)
{
    for (int x = 0; x < 2; x++)
        for (int k = 0; k < FILTER_NKINDS; k++)
            if (f->npats[x][k])
                return true;
    return false;
}

static bool path_match(const char *pat, const char *path)
{
    if (!strchr(pat, '/')) {
        const char *b = strrchr(path, '/');
        path = b ? b + 1 : path;
    }
    return fast_fnmatch(pat, path);
}

/* Does any pattern of list (X, K) match frame FR? */
static bool frame_match(const struct filter_set *f, int x, enum filter_kind k,
                        const struct rframe *fr)
{
    const char *s = k == FILTER_FILE       ? fr->file
                    : k == FILTER_FUNCTION ? fr->function
                                           : fr->module;
    if (!s)
        return false;
    for (size_t i = 0; i < f->npats[x][k]; i++) {
        const char *pat = f->pats[x][k][i];
        if (k == FILTER_FUNCTION ? fast_fnmatch(pat, s) : path_match(pat, s))
            return true;
    }
    return false;
}

/* Does list (X, K) match the frames looked at (the site, or all)? */
static bool stack_match(const struct filter_set *f, int x, enum filter_kind k,
                        const struct rframe *frames, size_t n, size_t site)
{
    if (!f->any_frame)
        return site < n && frame_match(f, x, k, &frames[site]);
    for (size_t i = 0; i < n; i++)
        if (frame_match(f, x, k, &frames[i]))
            return true;
    return false;
}

bool filter_keep(const struct filter_set *f, const struct rframe *frames, size_t n,
                 size_t site)
{
    for (int k = 0; k < FILTER_NKINDS; k++) {
        if (f->npats[0][k] && !stack_match(f, 0, (enum filter_kind)k, frames, n, site))
            return false;
        if (f->npats[1][k] && stack_match(f, 1, (enum filter_kind)k, frames, n, site))
            return false;
    }
    return true;
}

void filter_free(struct filter_set *f)
{
    for (int x = 0; x < 2; x++)
        for (int k = 0; k < FILTER_NKINDS; k++)
            free(f->pats[x][k]);
    memset(f, 0, sizeof *f);
}
