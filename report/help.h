/* mtrace-report's help texts: the general one (--help) and one per command
 * (COMMAND --help), each with examples. check's lives with check
 * (check_help, commands.h). */
#ifndef MTRACE_REPORT_HELP_H
#define MTRACE_REPORT_HELP_H

#include <stdio.h>

void help_general(FILE *out);
/* The help of COMMAND (top, leaks, peak, diff, check, procs, timeline,
 * dump); the general
 * one for anything else. */
void help_command(FILE *out, const char *command);

#endif
