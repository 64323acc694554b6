/* error.c - see error.h. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void scl_error_clear(scl_error *err)
{
    if (!err)
        return;
    memset(err, 0, sizeof *err);
    err->offset = -1;
}

static void set_message(scl_error *err, const char *fmt, va_list ap)
{
    vsnprintf(err->message, sizeof err->message, fmt, ap);
}

scl_status scl_error_set(scl_error *err, scl_status code, const char *fmt, ...)
{
    if (!err)
        return code;
    scl_error_clear(err);
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    set_message(err, fmt, ap);
    va_end(ap);
    return code;
}

scl_status scl_error_at(scl_error *err, scl_status code, long line, long column,
                        const char *fmt, ...)
{
    if (!err)
        return code;
    scl_error_clear(err);
    err->code = code;
    err->line = line;
    err->column = column;
    va_list ap;
    va_start(ap, fmt);
    set_message(err, fmt, ap);
    va_end(ap);
    return code;
}

void scl_error_field(scl_error *err, const char *field)
{
    if (!err || !field)
        return;
    snprintf(err->field, sizeof err->field, "%s", field);
}

const char *scl_status_name(scl_status code)
{
    switch (code) {
    case SCL_OK: return "OK";
    case SCL_EINVAL: return "INVALID_ARGUMENT";
    case SCL_ENOMEM: return "OUT_OF_MEMORY";
    case SCL_EPARSE: return "PARSE";
    case SCL_ETOOBIG: return "TOO_LARGE";
    case SCL_ETYPE: return "TYPE";
    case SCL_ENOTFOUND: return "NOT_FOUND";
    case SCL_EBUDGET: return "BUDGET";
    case SCL_EIO: return "IO";
    case SCL_EBUSY: return "BUSY";
    case SCL_ESTATE: return "STATE";
    }
    return "UNKNOWN";
}
