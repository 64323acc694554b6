/* scadrefs.c - see scadrefs.h. */
#include "scadrefs.h"

#include <stdio.h>
#include <string.h>

static int emit(scl_scadrefs_fn fn, void *user, const char *from, size_t len)
{
    char ref[SCL_SCADREFS_MAX];
    if (len >= sizeof ref)
        len = sizeof ref - 1;
    memcpy(ref, from, len);
    ref[len] = 0;
    return fn(user, ref);
}

int scl_scadrefs_scan(const char *t, scl_scadrefs_fn fn, void *user)
{
    int stop = 0;
    for (size_t i = 0; t[i] && !stop; i++) {
        if (t[i] == '/' && t[i + 1] == '/') {
            while (t[i] && t[i] != '\n')
                i++;
            if (!t[i])
                break;
        } else if (t[i] == '/' && t[i + 1] == '*') {
            const char *end = strstr(t + i + 2, "*/");
            if (!end)
                break;
            i = (size_t)(end - t) + 1;
        } else if ((!strncmp(t + i, "include", 7) || !strncmp(t + i, "use", 3)) &&
                   (i == 0 || !(t[i - 1] == '_' || (t[i - 1] >= 'a' && t[i - 1] <= 'z')))) {
            size_t j = i + (t[i] == 'i' ? 7 : 3);
            while (t[j] == ' ' || t[j] == '\t' || t[j] == '\r' || t[j] == '\n')
                j++;
            if (t[j] != '<')
                continue;
            size_t k = j + 1;
            while (t[k] && t[k] != '>' && t[k] != '\n')
                k++;
            if (t[k] != '>')
                continue;
            if (k > j + 1)
                stop = emit(fn, user, t + j + 1, k - j - 1);
            i = k;
        } else if (!strncmp(t + i, "import", 6) || !strncmp(t + i, "surface", 7)) {
            size_t j = i + (t[i] == 'i' ? 6 : 7);
            while (t[j] == ' ')
                j++;
            if (t[j] != '(')
                continue;
            const char *q = strchr(t + j, '"');
            const char *close = strchr(t + j, ')');
            if (!q || (close && close < q))
                continue;
            const char *qe = strchr(q + 1, '"');
            if (!qe)
                continue;
            if (qe > q + 1)
                stop = emit(fn, user, q + 1, (size_t)(qe - q - 1));
            i = (size_t)(qe - t);
        } else if (t[i] == '"') {
            i++;
            while (t[i] && t[i] != '"') {
                if (t[i] == '\\' && t[i + 1])
                    i++;
                i++;
            }
            if (!t[i])
                break;
        }
    }
    return stop;
}
