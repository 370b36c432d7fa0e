/* Terminal properties for the table format (see term.h). Colour follows
 * no-color.org: NO_COLOR set and non-empty turns automatic colour off;
 * an explicit --color=always still wins, as the convention allows. */
#include "term.h"

#include <langinfo.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "textutil.h"

static FILE *color_out;   /* the one stream that gets colour, or NULL */

int term_color_from_name(const char *name)
{
    static const struct { const char *name; enum term_color_mode m; } names[] = {
        {"auto", TERM_COLOR_AUTO}, {"tty", TERM_COLOR_AUTO}, {"if-tty", TERM_COLOR_AUTO},
        {"always", TERM_COLOR_ALWAYS}, {"yes", TERM_COLOR_ALWAYS},
        {"force", TERM_COLOR_ALWAYS}, {"never", TERM_COLOR_NEVER},
        {"no", TERM_COLOR_NEVER}, {"none", TERM_COLOR_NEVER},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i].name) == 0)
            return (int)names[i].m;
    return -1;
}

void term_init(FILE *out, enum term_color_mode mode)
{
    bool on = mode == TERM_COLOR_ALWAYS;
    if (mode == TERM_COLOR_AUTO) {
        const char *no = getenv("NO_COLOR"), *term = getenv("TERM");
        on = isatty(fileno(out)) && !(no && *no) && !(term && strcmp(term, "dumb") == 0);
    }
    color_out = on ? out : NULL;
    bool utf8 = false;    /* an unknown locale leaves the C locale: ASCII */
    if (setlocale(LC_CTYPE, "")) {
        const char *cs = nl_langinfo(CODESET);
        utf8 = cs && (strcasecmp(cs, "UTF-8") == 0 || strcasecmp(cs, "utf8") == 0);
    }
    text_set_utf8(utf8);
}

bool term_color(FILE *out)
{
    return out && out == color_out;
}

const char *term_on(FILE *out, enum term_style s)
{
    static const char *const sgr[] = {
        [TS_TITLE] = "\033[1m", [TS_BYTES] = "\033[36m", [TS_PYTHON] = "\033[33m",
        [TS_NODEBUG] = "\033[2m", [TS_GROW] = "\033[31m", [TS_SHRINK] = "\033[32m",
    };
    return term_color(out) ? sgr[s] : "";
}

const char *term_off(FILE *out)
{
    return term_color(out) ? "\033[0m" : "";
}

size_t term_width(int fd)
{
    struct winsize ws;
    const char *env = getenv("COLUMNS");
    if (env && *env) {
        char *end;
        unsigned long v = strtoul(env, &end, 10);
        if (!*end && v > 0 && v < 100000)
            return v < 40 ? 40 : v;
    }
    if (isatty(fd) && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col < 40 ? 40 : ws.ws_col;
    return 120;
}

void term_sparkline(struct sbuf *b, const uint64_t *v, size_t n)
{
    static const char *const bars[8] = {
        "\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83", "\xe2\x96\x84",
        "\xe2\x96\x85", "\xe2\x96\x86", "\xe2\x96\x87", "\xe2\x96\x88",
    };
    static const char ascii[8] = {'_', '.', '-', '=', '+', '*', '#', '@'};
    uint64_t max = 0;
    for (size_t i = 0; i < n; i++)
        if (v[i] > max)
            max = v[i];
    for (size_t i = 0; i < n; i++) {
        /* v * 7 could overflow 64 bits; a double is plenty for 8 levels. */
        unsigned k = max ? (unsigned)((double)v[i] * 7 / (double)max + 0.5) : 0;
        if (k > 7)
            k = 7;
        if (text_utf8())
            sb_add(b, bars[k]);
        else
            sb_addn(b, &ascii[k], 1);
    }
}
