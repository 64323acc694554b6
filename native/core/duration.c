/* duration.c - see duration.h. */
#include "duration.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

scl_status scl_duration_parse(const char *text, uint64_t *ms, scl_error *err)
{
    if (!text || !ms)
        return scl_error_set(err, SCL_EINVAL, "scl_duration_parse: NULL argument");
    while (*text == ' ')
        text++;
    if (!strcmp(text, "off") || !strcmp(text, "none")) {
        *ms = 0;
        return SCL_OK;
    }
    const char *p = text;
    while ((*p >= '0' && *p <= '9') || *p == '.')
        p++;
    size_t numlen = (size_t)(p - text);
    char num[32];
    if (numlen == 0 || numlen >= sizeof num)
        goto bad;
    memcpy(num, text, numlen);
    num[numlen] = 0;
    char *end;
    double v = strtod(num, &end);
    if (*end || !isfinite(v) || v < 0)
        goto bad;
    double scale;
    if (!strcmp(p, "") || !strcmp(p, "s"))
        scale = 1000;
    else if (!strcmp(p, "ms"))
        scale = 1;
    else if (!strcmp(p, "m"))
        scale = 60e3;
    else if (!strcmp(p, "h"))
        scale = 3600e3;
    else if (!strcmp(p, "d"))
        scale = 86400e3;
    else
        goto bad;
    double total = v * scale;
    if (total >= 1.8e19)
        return scl_error_set(err, SCL_EPARSE, "duration \"%.40s\" is too long", text);
    *ms = (uint64_t)(total + 0.5);
    return SCL_OK;
bad:
    return scl_error_set(err, SCL_EPARSE,
                         "bad duration \"%.40s\": use seconds (3600) or a number with ms, s, m, h "
                         "or d (500ms, 90s, 15m, 1h, 2d), or off",
                         text);
}
