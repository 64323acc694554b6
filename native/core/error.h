/*
 * error.h - the one error convention of the scadlive core.
 *
 * Every fallible core function returns an scl_status (SCL_OK == 0) and takes
 * an optional `scl_error *err` as its last argument. On failure it fills
 * err (if non-NULL) with the status, a human-readable message the caller
 * can show as is, and where known the location: a line/column for text
 * inputs (SCAD sources, JSON), a byte offset for binary inputs (STL), or a
 * field name for structured inputs (parameter sets, protocol messages).
 *
 * No function keeps global error state: the error lives in the caller's
 * struct, so the core is safe to use from several threads with separate
 * error structs.
 */
#ifndef SCL_ERROR_H
#define SCL_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum scl_status {
    SCL_OK = 0,
    SCL_EINVAL,    /* bad argument from the caller (NULL where not allowed, ...) */
    SCL_ENOMEM,    /* malloc failed */
    SCL_EPARSE,    /* malformed outside data: STL, OFF, SCAD, JSON */
    SCL_ETOOBIG,   /* input or allocation exceeds a configured limit */
    SCL_ETYPE,     /* a value has the wrong type (override, parameter set) */
    SCL_ENOTFOUND, /* unknown name / key */
    SCL_EBUDGET,   /* memory manager refused: does not fit the budget */
    SCL_EIO,       /* file system error */
    SCL_EBUSY,     /* resource in use (cache entry being filled, ...) */
    SCL_ESTATE     /* call not valid in the object's current state */
} scl_status;

/* On every function returning an scl_status the caller must look at (as
 * jansson marks its own): ignoring the result is a compiler warning. The
 * scl_error_* setters below are exempt: they return their code only for
 * `return scl_error_set(...)`. */
#if defined(__GNUC__)
#define SCL_MUST_CHECK __attribute__((warn_unused_result))
#else
#define SCL_MUST_CHECK
#endif

#define SCL_ERROR_MSG_MAX 512
#define SCL_ERROR_FIELD_MAX 128

typedef struct scl_error {
    scl_status code;
    long line;          /* 1-based line in a text input, 0 if not applicable */
    long column;        /* 1-based column, 0 if not applicable */
    long long offset;   /* byte offset in a binary input, -1 if not applicable */
    char field[SCL_ERROR_FIELD_MAX];   /* offending field/parameter name, "" if none */
    char message[SCL_ERROR_MSG_MAX];   /* complete message, ready to show */
} scl_error;

/* Reset err to "no error" (code SCL_OK, empty message, offset -1). NULL-safe. */
void scl_error_clear(scl_error *err);

/* Fill err with code and a printf-style message; returns code so callers
 * can write `return scl_error_set(err, SCL_EPARSE, "...")`. NULL-safe. */
scl_status scl_error_set(scl_error *err, scl_status code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Like scl_error_set, also recording a text location (line/column). */
scl_status scl_error_at(scl_error *err, scl_status code, long line, long column,
                        const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

/* Record the offending field name on an already-set error. NULL-safe. */
void scl_error_field(scl_error *err, const char *field);

/* Stable upper-case name of a status ("OK", "PARSE", "TOO_LARGE", ...). */
const char *scl_status_name(scl_status code);

#ifdef __cplusplus
}
#endif
#endif /* SCL_ERROR_H */
