/*
 * oslog.h - OpenSCAD's log: its message lines, and why a render failed.
 *
 * OpenSCAD prints ECHO, WARNING, DEPRECATED, ERROR and TRACE lines, most
 * ending in " in file NAME, line N" (2021.01: `in file part.scad, line 3`;
 * 2025: `in file "/work/part.scad", line 3`). scl_oslog_lines turns a log
 * into JSON objects {"level", "text", "file", "line"} with the location
 * taken out of "text" and the renderers' private directories (`/work/`,
 * `/tmp/scl-render-XXXXXX/`) taken out of "file", so the file is the model's
 * own path relative to its folder. Other lines (cache statistics, timings)
 * are left out.
 *
 * scl_oslog_classify says why a render that produced no output failed, in
 * words a user can act on, with no location text in the message (the
 * caller prints file and line from the fields, once): syntax errors,
 * missing include/use files (named, with the including line), a 2D model
 * asked for a 3D format or the reverse, recursion too deep / stack
 * exhausted, out of memory, an empty top level (with OpenSCAD's warnings),
 * assertions and other errors. Pure string work: used by the bridge and by
 * the page (WASM) alike.
 */
#ifndef SCL_OSLOG_H
#define SCL_OSLOG_H

#include <jansson.h>

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The message lines of `log` (may be NULL) as a new JSON array (never NULL
 * unless out of memory). At most `max_lines` lines are kept (0: 1000); a
 * final {"level":"INFO","text":"... more lines not shown"} says how many
 * were dropped. */
json_t *scl_oslog_lines(const char *log, size_t max_lines);

typedef struct scl_oslog_failure {
    const char *code;   /* protocol code: "SYNTAX" or "RENDER" */
    const char *reason; /* "syntax", "missing_file", "not_3d", "not_2d", "recursion",
                           "out_of_memory", "empty", "assertion", "error", "no_output" */
    char file[256];     /* model-relative file, "" when unknown */
    long line;          /* 1-based, 0 when unknown */
    char message[SCL_ERROR_MSG_MAX]; /* no file/line text in it */
} scl_oslog_failure;

/* Why a render failed. `main_name` is the model's file name (the file when
 * OpenSCAD names none), `main_source` its text (to find the line of a
 * missing include when OpenSCAD does not give it; may be NULL), `format`
 * the requested output format ("binstl", "svg", ...; may be NULL). */
void scl_oslog_classify(const char *log, const char *main_name, const char *main_source, const char *format,
                        scl_oslog_failure *out);

/* A "not_3d"/"not_2d" failure's message worded for `format`, the format the
 * client asked for, when that differs from the one OpenSCAD wrote (the
 * bridge renders a 3MF request as OFF, and one render serves every waiter of
 * the same model and parameters). Any other failure is left as it is. */
void scl_oslog_reword_for_format(scl_oslog_failure *f, const char *format);

#ifdef __cplusplus
}
#endif
#endif /* SCL_OSLOG_H */
