/* ---------------------------------------------------------------------------
 * log.c: the shim's messages to stderr. Formatted into a stack buffer and
 * written with one write(2), so a message never interleaves with itself and
 * never reaches the traced heap (the caller holds the guard anyway, should
 * vsnprintf allocate for an exotic format).
 * ------------------------------------------------------------------------- */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "internal.h"

static void vlog(const char *fmt, va_list ap)
{
    char buf[1024];
    int guard = mt_self.guard;
    mt_self.guard = 1;
    int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
    mt_self.guard = guard;
    if (n < 0)
        return;
    if ((size_t)n > sizeof buf - 2)
        n = sizeof buf - 2;
    buf[n++] = '\n';
    ssize_t w = write(STDERR_FILENO, buf, (size_t)n);
    (void)w;
}

void mt_log(const char *fmt, ...)
{
    if (mt_opt.quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    vlog(fmt, ap);
    va_end(ap);
}

/* Output the user asked for (the leak gate's report): MTRACE_QUIET does
 * not silence it. */
void mt_print(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(fmt, ap);
    va_end(ap);
}
