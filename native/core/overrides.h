/*
 * overrides.h - parameter values to safe OpenSCAD `-D name=value` arguments.
 *
 * A parameter set (a JSON object name -> value) becomes a list of strings
 * "name=literal", each to be passed to OpenSCAD after "-D". Safety is the
 * point: names must be identifiers (optionally starting with `$`, never a
 * keyword), and values are serialized as OpenSCAD literals with every
 * string escaped, so no value can end the literal and inject code:
 *   number   shortest form that reads back to the same double ("10", "0.1")
 *   boolean  true / false
 *   string   "..." with \" \\ \n \r \t and \xNN for other control bytes
 *   vector   [a,b,...] of the above, nested to at most 64 levels
 * Non-finite numbers, null and objects are refused.
 *
 * With a customizer schema (the JSON of params.h), values are checked
 * against it: an unknown name is SCL_ENOTFOUND (the message names the
 * closest parameter: "did you mean \"width\"?"), a wrong type SCL_ETYPE, a
 * dropdown value not among its options SCL_EINVAL; err->field names the
 * parameter. Special variables ($fn, $fa, $fs, $t, $preview, ...) are
 * accepted without being in the schema.
 *
 * Also: parsing one command-line define ("w=10", "s=\"x\"") into a JSON
 * value, and OpenSCAD parameter-set files
 * ({"parameterSets":{"set":{"p":"10"}},"fileFormatVersion":"1"}), whose
 * values OpenSCAD writes as strings, typed here with the schema.
 */
#ifndef SCL_OVERRIDES_H
#define SCL_OVERRIDES_H

#include <stddef.h>

#include <jansson.h>

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct scl_overrides scl_overrides;

/* Build the -D arguments for `values` (a JSON object), checked against
 * `schema` (params.h JSON, or NULL to skip checks). Arguments come out in
 * the order of `values`' keys, sorted, so equal inputs give equal output. */
SCL_MUST_CHECK scl_status scl_overrides_build(const json_t *schema, const json_t *values, scl_overrides **out,
                               scl_error *err);
size_t scl_overrides_count(const scl_overrides *o);
const char *scl_overrides_arg(const scl_overrides *o, size_t i); /* "name=literal" */
void scl_overrides_destroy(scl_overrides *o);

/* JSON text in, JSON array of "name=literal" strings out (malloc'd), for
 * callers without jansson (the WASM build). schema_json may be NULL. */
SCL_MUST_CHECK scl_status scl_overrides_json(const char *schema_json, const char *values_json, char **out,
                              scl_error *err);

/* One value as an OpenSCAD literal (malloc'd string). */
SCL_MUST_CHECK scl_status scl_literal_from_json(const json_t *value, char **out, scl_error *err);

/* Is `name` usable as a -D name (identifier or $special, not a keyword)? */
int scl_overrides_valid_name(const char *name);

/* Parse "name=literal" (a command-line define) into a name and a JSON value.
 * The literal may be a number, true/false, a "string" with escapes, or a
 * vector of these. */
SCL_MUST_CHECK scl_status scl_overrides_parse_define(const char *define, char **name, json_t **value,
                                      scl_error *err);

/* Parse an OpenSCAD parameter-set file and return the named set as a JSON
 * object of typed values (using `schema` for the types; NULL: guess from the
 * text). SCL_ENOTFOUND if the set is missing (the message lists the sets). */
SCL_MUST_CHECK scl_status scl_paramset_load(const char *text, size_t len, const char *set_name,
                             const json_t *schema, json_t **values, scl_error *err);

#ifdef __cplusplus
}
#endif
#endif /* SCL_OVERRIDES_H */
