/* C++ name demangling (Itanium ABI) through libstdc++'s __cxa_demangle. */
#ifndef MTRACE_REPORT_DEMANGLE_H
#define MTRACE_REPORT_DEMANGLE_H

/* Returns a malloc'd string: the demangled NAME, or a copy of NAME when it is
 * not a mangled C++ name. NULL only when out of memory. */
char *demangle(const char *name);

#endif
