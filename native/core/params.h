/*
 * params.h - OpenSCAD customizer parameters from a .scad source.
 *
 * Produces the JSON that OpenSCAD 2025 writes with `--export-format=param`:
 *
 *   {"parameters":[{"name","caption","group","type","initial",
 *                   "min","max","step","options","maxLength"}...],
 *    "title": "<file name without .scad>"}
 *
 * ("parameters" is left out when there are none, as OpenSCAD does;
 * "caption" only when the line above the assignment is a // comment.)
 *
 * The rules are OpenSCAD's, reproduced so that the same source gives the
 * same JSON (checked against OpenSCAD over its example and test corpus):
 *  - a parameter is a top-level assignment of the main file whose value is a
 *    literal: number (a negated number literal counts), string, boolean, or a
 *    vector of 1 to 4 number literals; the last assignment of a name wins,
 *    at the position of the first;
 *  - only assignments on lines before the first `{` of the file count (the
 *    first module body, block or `if`), skipping strings and comments;
 *  - the annotation is the // comment on the assignment's line: `[min:max]`,
 *    `[min:step:max]`, `[max]`, a dropdown `[a, b, c]` or `[10:Small, 20:Large]`,
 *    a number (spin box step; a string's maximum length), anything else
 *    is ignored;
 *  - the caption is the previous line when it starts with `//`;
 *  - groups come from one-line block comments `/\* [Name] *\/`; the
 *    group "Hidden" hides its parameters.
 *
 * The whole file is parsed with OpenSCAD's grammar, so a syntax error is
 * reported (SCL_EPARSE, with its line) like OpenSCAD reports it, instead
 * of giving parameters for a file OpenSCAD would refuse.
 */
#ifndef SCL_PARAMS_H
#define SCL_PARAMS_H

#include <stddef.h>

#include <jansson.h>

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest source accepted (bytes). */
#define SCL_PARAMS_MAX_SOURCE ((size_t)64 << 20)

/* Parse `len` bytes of SCAD source (no NUL needed) and build the parameter
 * JSON with the given title. On success *out is a new reference. On a
 * syntax error returns SCL_EPARSE with err->line/column set. */
SCL_MUST_CHECK scl_status scl_params_parse(const char *src, size_t len, const char *title, json_t **out,
                            scl_error *err);

/* scl_params_parse, and also the names the model declares in a "Hidden"
 * group: parameters by the rules above that the schema leaves out (the
 * customizer hides them; OpenSCAD's -D still sets them). *hidden is a new
 * JSON array of those names in source order (when hidden is not NULL). */
SCL_MUST_CHECK scl_status scl_params_parse_with_hidden(const char *src, size_t len, const char *title,
                                                       json_t **out, json_t **hidden, scl_error *err);

/* Same, returning compact JSON text (malloc'd, NUL-terminated, keys sorted)
 * for callers that do not use jansson (the WASM build). */
SCL_MUST_CHECK scl_status scl_params_json(const char *src, size_t len, const char *title, char **out,
                           scl_error *err);

/* Title OpenSCAD gives a file: its base name without the extension
 * ("/a/b/part.v2.scad" -> "part.v2"). Writes at most cap bytes. */
void scl_params_title_from_path(const char *path, char *out, size_t cap);

#ifdef __cplusplus
}
#endif
#endif /* SCL_PARAMS_H */
