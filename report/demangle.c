/* C++ demangling. Kept in its own file because it is the one place that
 * depends on libstdc++ (__cxa_demangle, linked with -lstdc++); everything
 * else in the reporter is plain C. Only names starting with "_Z" are tried,
 * so C names such as "_Zebra" that fail to demangle come back unchanged. */
#include "demangle.h"

#include <stdlib.h>
#include <string.h>

char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

char *demangle(const char *name)
{
    if (name[0] == '_' && name[1] == 'Z') {
        int status = -1;
        char *d = __cxa_demangle(name, NULL, NULL, &status);
        if (d && status == 0)
            return d;
        free(d);
    }
    return strdup(name);
}
