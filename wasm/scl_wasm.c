/*
 * scl_wasm.c - the C core's entry points for JavaScript (Emscripten build).
 *
 * Conventions, so the JS wrapper (sclcore.mjs) stays small:
 *  - functions that can fail return a malloc'd JSON envelope
 *      {"ok":true,"value":...}  or
 *      {"ok":false,"error":{"code","message","line","column","offset","field"}}
 *    which JS parses and frees with sclw_free;
 *  - times, sizes and 64-bit tokens cross as doubles (exact below 2^53);
 *  - objects (meshes, caches, memory managers, debouncers) are opaque
 *    pointers owned by JS, freed with their _destroy function.
 * Nothing here keeps global state.
 */
#include <emscripten/emscripten.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "debounce.h"
#include "duration.h"
#include "hash.h"
#include "memory.h"
#include "mesh.h"
#include "overrides.h"
#include "oslog.h"
#include "params.h"
#include "scadrefs.h"
#include "threemf.h"

#define EXPORT EMSCRIPTEN_KEEPALIVE

static char *envelope_ok(json_t *value)
{
    json_t *env = json_pack("{s:b,s:o}", "ok", 1, "value", value ? value : json_null());
    char *s = json_dumps(env, JSON_COMPACT | JSON_ALLOW_NUL | JSON_REAL_PRECISION(17));
    json_decref(env);
    return s;
}

static char *envelope_err(const scl_error *err)
{
    json_t *e = json_pack("{s:s,s:s,s:I,s:I,s:I,s:s}", "code", scl_status_name(err->code),
                          "message", err->message, "line", (json_int_t)err->line, "column",
                          (json_int_t)err->column, "offset", (json_int_t)err->offset, "field",
                          err->field);
    json_t *env = json_pack("{s:b,s:o}", "ok", 0, "error", e);
    char *s = json_dumps(env, JSON_COMPACT);
    json_decref(env);
    return s;
}

EXPORT void *sclw_malloc(size_t n) { return malloc(n ? n : 1); }
EXPORT void sclw_free(void *p) { free(p); }

/* ---------------------------------------------------------------- params */

EXPORT char *sclw_params(const char *src, size_t len, const char *title)
{
    scl_error err;
    json_t *out = NULL;
    if (scl_params_parse(src, len, title, &out, &err) != SCL_OK)
        return envelope_err(&err);
    return envelope_ok(out);
}

/* -------------------------------------------------------------- scadrefs */

static int refs_append(void *user, const char *ref) { return json_array_append_new(user, json_string(ref)) != 0; }

/* The files `text` names (include/use/import/surface), in order: ["a.scad", ...]. */
EXPORT char *sclw_scad_refs(const char *text)
{
    json_t *refs = json_array();
    if (!refs || scl_scadrefs_scan(text, refs_append, refs) != 0) {
        json_decref(refs);
        scl_error err;
        scl_error_set(&err, SCL_ENOMEM, "out of memory");
        return envelope_err(&err);
    }
    return envelope_ok(refs);
}

/* The names a Hidden group declares (params.h): a JSON array. */
EXPORT char *sclw_params_hidden(const char *src, size_t len)
{
    scl_error err;
    json_t *schema = NULL, *hidden = NULL;
    if (scl_params_parse_with_hidden(src, len, "model", &schema, &hidden, &err) != SCL_OK)
        return envelope_err(&err);
    json_decref(schema);
    return envelope_ok(hidden);
}

/* ------------------------------------------------------------- overrides */

EXPORT char *sclw_overrides(const char *schema_json, const char *values_json)
{
    scl_error err;
    char *arr = NULL;
    if (scl_overrides_json(schema_json, values_json, &arr, &err) != SCL_OK)
        return envelope_err(&err);
    json_t *v = json_loads(arr, 0, NULL);
    free(arr);
    return envelope_ok(v);
}

/* ------------------------------------------------------------------ hash */

EXPORT char *sclw_render_key(const char *inputs_json)
{
    scl_error err;
    scl_key key;
    if (scl_render_key_json(inputs_json, &key, &err) != SCL_OK)
        return envelope_err(&err);
    char hex[33];
    scl_key_to_hex(&key, hex);
    return envelope_ok(json_string(hex));
}

/* Hex content hash of bytes, written into out (33 bytes). */
EXPORT void sclw_content_hash(const uint8_t *data, size_t len, char *out)
{
    scl_key key;
    scl_content_hash(data, len, &key);
    scl_key_to_hex(&key, out);
}

EXPORT char *sclw_duration(const char *text)
{
    scl_error err;
    uint64_t ms;
    if (scl_duration_parse(text, &ms, &err) != SCL_OK)
        return envelope_err(&err);
    return envelope_ok(json_real((double)ms));
}

/* ------------------------------------------------------------------ mesh */

/* Parse into a mesh; on failure returns NULL and *err_json gets an envelope. */
EXPORT scl_mesh *sclw_mesh_parse(const uint8_t *data, size_t len, int format, double max_triangles,
                                 char **err_json)
{
    scl_error err;
    scl_mesh *m = NULL;
    scl_mesh_limits lim = {0, max_triangles > 0 ? (size_t)max_triangles : 0};
    *err_json = NULL;
    if (scl_mesh_parse(data, len, (scl_mesh_format)format, &lim, &m, &err) != SCL_OK) {
        *err_json = envelope_err(&err);
        return NULL;
    }
    return m;
}

EXPORT char *sclw_mesh_stats(const scl_mesh *m)
{
    scl_mesh_stats s;
    scl_mesh_get_stats(m, &s);
    json_t *v = json_pack("{s:I,s:I,s:{s:[f,f,f],s:[f,f,f]},s:f,s:f,s:b,s:b}", "vertices",
                          (json_int_t)s.vertices, "triangles", (json_int_t)s.triangles, "bbox", "min",
                          s.min[0], s.min[1], s.min[2], "max", s.max[0], s.max[1], s.max[2], "area",
                          s.area, "volume", s.volume, "watertight", s.watertight, "colors",
                          s.has_colors);
    return envelope_ok(v);
}

EXPORT size_t sclw_mesh_vertex_count(const scl_mesh *m) { return scl_mesh_vertex_count(m); }
EXPORT size_t sclw_mesh_triangle_count(const scl_mesh *m) { return scl_mesh_triangle_count(m); }
EXPORT const float *sclw_mesh_positions(const scl_mesh *m) { return scl_mesh_positions(m); }
EXPORT const uint32_t *sclw_mesh_indices(const scl_mesh *m) { return scl_mesh_indices(m); }
EXPORT const float *sclw_mesh_face_colors(const scl_mesh *m) { return scl_mesh_face_colors(m); }
EXPORT double sclw_mesh_bytes(const scl_mesh *m) { return (double)scl_mesh_bytes(m); }
EXPORT void sclw_mesh_destroy(scl_mesh *m) { scl_mesh_destroy(m); }

/* Binary STL of the mesh: returns the buffer, its length in *len. */
EXPORT uint8_t *sclw_mesh_write_binstl(const scl_mesh *m, size_t *len)
{
    uint8_t *out = NULL;
    if (scl_mesh_write_binstl(m, &out, len, NULL) != SCL_OK)
        return NULL;
    return out;
}

/* Binary STL from indexed arrays (as sclcore.mjs's parseMesh returns them). */
EXPORT uint8_t *sclw_binstl_from_arrays(const float *positions, size_t vertex_count,
                                        const uint32_t *indices, size_t triangle_count, size_t *len)
{
    scl_mesh *m = NULL;
    if (scl_mesh_from_arrays(positions, vertex_count, indices, triangle_count, NULL, &m, NULL) != SCL_OK)
        return NULL;
    uint8_t *out = NULL;
    scl_status st = scl_mesh_write_binstl(m, &out, len, NULL);
    scl_mesh_destroy(m);
    return st == SCL_OK ? out : NULL;
}

/* The XML parts of a 3MF package (threemf.h) from indexed arrays with
 * optional face colours: {"ok":true,"value":[{"name","text"}, ...]}. The page
 * zips them (the zip itself is not part of the core). */
EXPORT char *sclw_3mf_parts_from_arrays(const float *positions, size_t vertex_count, const uint32_t *indices,
                                        size_t triangle_count, const float *face_colors, const char *title)
{
    scl_error err;
    scl_mesh *m = NULL;
    if (scl_mesh_from_arrays(positions, vertex_count, indices, triangle_count, face_colors, &m, &err) != SCL_OK)
        return envelope_err(&err);
    scl_3mf_package pkg;
    scl_status st = scl_3mf_build(m, title, &pkg, &err);
    scl_mesh_destroy(m);
    if (st != SCL_OK)
        return envelope_err(&err);
    json_t *parts = json_array();
    for (int i = 0; i < SCL_3MF_PARTS; i++)
        json_array_append_new(parts, json_pack("{s:s,s:s%}", "name", pkg.name[i], "text", pkg.text[i], pkg.len[i]));
    scl_3mf_package_free(&pkg);
    return envelope_ok(parts);
}

/* OpenSCAD's log (oslog.h): its message lines, and why a render failed. */
EXPORT char *sclw_log_lines(const char *log) { return envelope_ok(scl_oslog_lines(log, 0)); }

EXPORT char *sclw_log_classify(const char *log, const char *main_name, const char *main_source, const char *format)
{
    scl_oslog_failure f;
    scl_oslog_classify(log, main_name, main_source, format, &f);
    json_t *v = json_pack("{s:s,s:s,s:s,s:I}", "code", f.code, "reason", f.reason, "message", f.message, "line",
                          (json_int_t)f.line);
    if (v && f.file[0])
        json_object_set_new(v, "file", json_string(f.file));
    return envelope_ok(v);
}

/* --------------------------------------------------------------- memory */

EXPORT scl_memory *sclw_memory_new(double budget, double threshold)
{
    return scl_memory_new((size_t)budget, threshold);
}
EXPORT void sclw_memory_destroy(scl_memory *mm) { scl_memory_destroy(mm); }

EXPORT char *sclw_memory_reserve(scl_memory *mm, double bytes, const char *what)
{
    scl_error err;
    if (scl_memory_reserve(mm, (size_t)bytes, what, &err) != SCL_OK)
        return envelope_err(&err);
    return envelope_ok(json_true());
}

EXPORT void sclw_memory_release(scl_memory *mm, double bytes) { scl_memory_release(mm, (size_t)bytes); }

EXPORT char *sclw_memory_stats(const scl_memory *mm)
{
    scl_memory_stats s;
    scl_memory_get_stats(mm, &s);
    return envelope_ok(json_pack("{s:f,s:f,s:f,s:f,s:f,s:f,s:f}", "budget", (double)s.budget, "used",
                                 (double)s.used, "peak", (double)s.peak, "reservations",
                                 (double)s.reservations, "refused", (double)s.refused,
                                 "evictionsRequested", (double)s.evictions_requested,
                                 "evictedBytes", (double)s.evicted_bytes));
}

/* ---------------------------------------------------------------- cache */

EXPORT scl_cache *sclw_cache_new(double budget, double ttl_ms, scl_memory *mm)
{
    scl_cache_config cfg = {(size_t)budget, (uint64_t)ttl_ms};
    return scl_cache_new(&cfg, mm);
}
EXPORT void sclw_cache_destroy(scl_cache *c) { scl_cache_destroy(c); }

/* Returns the outcome (0 hit, 1 miss, 2 joined, -1 error); for a hit,
 * out[0] = data pointer, out[1] = length, out[2] = meta pointer. */
EXPORT int sclw_cache_acquire(scl_cache *c, const uint8_t *key, size_t keylen, double now,
                              double waiter, uint32_t out[3])
{
    scl_cache_outcome o;
    scl_cache_value v = {0};
    if (scl_cache_acquire(c, key, keylen, (uint64_t)now, (uint64_t)waiter, &o, &v, NULL) != SCL_OK)
        return -1;
    out[0] = (uint32_t)(uintptr_t)v.data;
    out[1] = (uint32_t)v.len;
    out[2] = (uint32_t)(uintptr_t)v.meta;
    return (int)o;
}

static char *waiters_envelope(scl_status st, const scl_error *err, uint64_t *w, size_t n)
{
    if (st != SCL_OK)
        return envelope_err(err);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_real((double)w[i]));
    free(w);
    return envelope_ok(arr);
}

EXPORT char *sclw_cache_complete(scl_cache *c, const uint8_t *key, size_t keylen, double now,
                                 const uint8_t *data, size_t len, const char *meta)
{
    uint64_t *w = NULL;
    size_t n = 0;
    scl_error err;
    scl_status st = scl_cache_complete(c, key, keylen, (uint64_t)now, data, len, meta, &w, &n, &err);
    return waiters_envelope(st, &err, w, n);
}

EXPORT char *sclw_cache_fail(scl_cache *c, const uint8_t *key, size_t keylen)
{
    uint64_t *w = NULL;
    size_t n = 0;
    scl_error err;
    scl_status st = scl_cache_fail(c, key, keylen, &w, &n, &err);
    return waiters_envelope(st, &err, w, n);
}

EXPORT int sclw_cache_cancel_waiter(scl_cache *c, const uint8_t *key, size_t keylen, double waiter)
{
    return scl_cache_cancel_waiter(c, key, keylen, (uint64_t)waiter);
}

/* Returns the promoted waiter, or -1 when the slot was dropped. */
EXPORT double sclw_cache_abandon(scl_cache *c, const uint8_t *key, size_t keylen)
{
    uint64_t owner;
    return scl_cache_abandon(c, key, keylen, &owner) ? (double)owner : -1;
}

EXPORT double sclw_cache_expire(scl_cache *c, double now) { return (double)scl_cache_expire(c, (uint64_t)now); }

EXPORT char *sclw_cache_stats(const scl_cache *c)
{
    scl_cache_stats s;
    scl_cache_get_stats(c, &s);
    return envelope_ok(json_pack("{s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f}", "hits",
                                 (double)s.hits, "misses", (double)s.misses, "joins",
                                 (double)s.joins, "stores", (double)s.stores, "oversize",
                                 (double)s.oversize, "evictionsLru", (double)s.evictions_lru,
                                 "evictionsTtl", (double)s.evictions_ttl, "evictionsPressure",
                                 (double)s.evictions_pressure, "bytes", (double)s.bytes, "entries",
                                 (double)s.entries, "pending", (double)s.pending, "budget",
                                 (double)s.budget));
}

/* ------------------------------------------------------------- debounce */

EXPORT scl_debounce *sclw_debounce_new(double window_ms, double stale_after_ms, double slow_preview_ms,
                                       double hold_after_ms)
{
    scl_debounce_config cfg = {(uint64_t)window_ms, (uint64_t)stale_after_ms, (uint64_t)slow_preview_ms,
                               (uint64_t)hold_after_ms};
    return scl_debounce_new(&cfg);
}
EXPORT void sclw_debounce_destroy(scl_debounce *d) { scl_debounce_destroy(d); }
EXPORT void sclw_debounce_update(scl_debounce *d, double now, int kind, double generation)
{
    scl_debounce_update(d, (uint64_t)now, (scl_update_kind)kind, (uint64_t)generation);
}
/* out[0] = action kind, out[1] = generation, out[2] = quality */
EXPORT void sclw_debounce_poll(scl_debounce *d, double now, double out[3])
{
    scl_debounce_action a = scl_debounce_poll(d, (uint64_t)now);
    out[0] = a.kind;
    out[1] = (double)a.generation;
    out[2] = a.quality;
}
EXPORT int sclw_debounce_render_done(scl_debounce *d, double generation, double now)
{
    return scl_debounce_render_done(d, (uint64_t)generation, (uint64_t)now);
}
EXPORT double sclw_debounce_next_deadline(const scl_debounce *d)
{
    uint64_t t = scl_debounce_next_deadline(d);
    return t == UINT64_MAX ? -1 : (double)t;
}
EXPORT void sclw_debounce_observe(scl_debounce *d, int quality, double cost_ms)
{
    scl_debounce_observe(d, (scl_quality)quality, cost_ms > 0 ? (uint64_t)cost_ms : 0);
}
EXPORT double sclw_debounce_estimate(const scl_debounce *d, int quality)
{
    uint64_t t = scl_debounce_estimate(d, (scl_quality)quality);
    return t == UINT64_MAX ? -1 : (double)t;
}
EXPORT int sclw_debounce_drag_plan(const scl_debounce *d) { return scl_debounce_drag_plan(d); }
/* the cancelled running generation, or -1 when none ran */
EXPORT double sclw_debounce_cancel_all(scl_debounce *d)
{
    uint64_t gen = 0;
    return scl_debounce_cancel_all(d, &gen) ? (double)gen : -1;
}
