/* hash.c - see hash.h. */
#include "hash.h"

#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL /* header-only use: the same code natively and in WASM */
#include <xxhash.h>

static const char DOMAIN_TAG[] = "scadlive-render-key-v1";

static void put_u32(XXH3_state_t *st, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    XXH3_128bits_update(st, b, 4);
}

static void put_u64(XXH3_state_t *st, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    XXH3_128bits_update(st, b, 8);
}

static void put_bytes(XXH3_state_t *st, const void *data, size_t len)
{
    put_u64(st, (uint64_t)len);
    if (len)
        XXH3_128bits_update(st, data, len);
}

static void put_field(XXH3_state_t *st, const char *name, const void *value, size_t len)
{
    put_u32(st, (uint32_t)strlen(name));
    XXH3_128bits_update(st, name, strlen(name));
    put_bytes(st, value, len);
}

static json_t *canonical_numbers(const json_t *v)
{
    if (json_is_integer(v))
        return json_real((double)json_integer_value(v));
    if (json_is_array(v)) {
        json_t *a = json_array();
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) json_array_append_new(a, canonical_numbers(e));
        return a;
    }
    if (json_is_object(v)) {
        json_t *o = json_object();
        const char *k;
        json_t *e;
        json_object_foreach((json_t *)v, k, e) json_object_set_new(o, k, canonical_numbers(e));
        return o;
    }
    return json_incref((json_t *)v);
}

char *scl_params_canonical(const json_t *params)
{
    json_t *empty = NULL;
    if (!params)
        params = empty = json_object();
    json_t *c = canonical_numbers(params);
    char *s = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(17) |
                                JSON_ENCODE_ANY | JSON_ALLOW_NUL);
    json_decref(c);
    json_decref(empty);
    return s;
}

static int cmp_file(const void *a, const void *b)
{
    const scl_file_ref *x = *(const scl_file_ref *const *)a, *y = *(const scl_file_ref *const *)b;
    return strcmp(x->path, y->path);
}

static const char *or_empty(const char *s) { return s ? s : ""; }

scl_status scl_render_key(const scl_render_inputs *in, scl_key *out, scl_error *err)
{
    if (!in || !out || (!in->source && in->source_len) || (in->file_count && !in->files))
        return scl_error_set(err, SCL_EINVAL, "scl_render_key: NULL argument");
    if (in->params && !json_is_object(in->params))
        return scl_error_set(err, SCL_ETYPE, "params must be a JSON object");
    const scl_file_ref **sorted = malloc((in->file_count ? in->file_count : 1) * sizeof *sorted);
    char *params = scl_params_canonical(in->params);
    XXH3_state_t *st = XXH3_createState();
    if (!sorted || !params || !st) {
        free(sorted);
        free(params);
        XXH3_freeState(st);
        return scl_error_set(err, SCL_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < in->file_count; i++) {
        if (!in->files[i].path || (!in->files[i].content && in->files[i].content_len)) {
            free(sorted);
            free(params);
            XXH3_freeState(st);
            return scl_error_set(err, SCL_EINVAL, "file %zu has no path or content", i);
        }
        sorted[i] = &in->files[i];
    }
    qsort(sorted, in->file_count, sizeof *sorted, cmp_file);

    XXH3_128bits_reset(st);
    XXH3_128bits_update(st, DOMAIN_TAG, sizeof DOMAIN_TAG - 1);
    put_field(st, "source", in->source ? in->source : "", in->source_len);
    put_u32(st, 5);
    XXH3_128bits_update(st, "files", 5);
    put_u64(st, (uint64_t)in->file_count);
    for (size_t i = 0; i < in->file_count; i++) {
        put_bytes(st, sorted[i]->path, strlen(sorted[i]->path));
        put_bytes(st, sorted[i]->content, sorted[i]->content_len);
    }
    put_field(st, "params", params, strlen(params));
    put_field(st, "renderer", or_empty(in->renderer), strlen(or_empty(in->renderer)));
    put_field(st, "renderer_version", or_empty(in->renderer_version), strlen(or_empty(in->renderer_version)));
    put_field(st, "format", or_empty(in->format), strlen(or_empty(in->format)));
    put_field(st, "quality", or_empty(in->quality), strlen(or_empty(in->quality)));
    XXH128_hash_t h = XXH3_128bits_digest(st);
    XXH128_canonical_t canon;
    XXH128_canonicalFromHash(&canon, h);
    memcpy(out->bytes, canon.digest, 16);
    XXH3_freeState(st);
    free(sorted);
    free(params);
    return SCL_OK;
}

scl_status scl_render_key_json(const char *inputs_json, scl_key *out, scl_error *err)
{
    if (!inputs_json || !out)
        return scl_error_set(err, SCL_EINVAL, "scl_render_key_json: NULL argument");
    json_error_t jerr;
    json_t *in = json_loads(inputs_json, JSON_ALLOW_NUL, &jerr);
    if (!in)
        return scl_error_at(err, SCL_EPARSE, jerr.line, jerr.column, "render inputs JSON: %s", jerr.text);
    scl_status st = SCL_OK;
    json_t *files = json_object_get(in, "files");
    size_t n = json_object_size(files), k = 0;
    scl_file_ref *refs = calloc(n ? n : 1, sizeof *refs);
    if (!refs) {
        json_decref(in);
        return scl_error_set(err, SCL_ENOMEM, "out of memory");
    }
    const char *path;
    json_t *content;
    json_object_foreach(files, path, content) {
        if (!json_is_string(content)) {
            st = scl_error_set(err, SCL_ETYPE, "files[\"%s\"] must be a string", path);
            scl_error_field(err, "files");
            break;
        }
        refs[k].path = path;
        refs[k].content = json_string_value(content);
        refs[k].content_len = json_string_length(content);
        k++;
    }
    json_t *source = json_object_get(in, "source");
    if (st == SCL_OK && !json_is_string(source)) {
        st = scl_error_set(err, SCL_ETYPE, "\"source\" must be a string");
        scl_error_field(err, "source");
    }
    if (st == SCL_OK) {
        scl_render_inputs ri = {
            json_string_value(source), json_string_length(source), refs, k,
            json_object_get(in, "params"),
            json_string_value(json_object_get(in, "renderer")),
            json_string_value(json_object_get(in, "rendererVersion")),
            json_string_value(json_object_get(in, "format")),
            json_string_value(json_object_get(in, "quality")),
        };
        st = scl_render_key(&ri, out, err);
    }
    free(refs);
    json_decref(in);
    return st;
}

void scl_content_hash(const void *data, size_t len, scl_key *out)
{
    XXH128_hash_t h = XXH3_128bits(len ? data : "", len);
    XXH128_canonical_t canon;
    XXH128_canonicalFromHash(&canon, h);
    memcpy(out->bytes, canon.digest, 16);
}

void scl_key_to_hex(const scl_key *key, char out[33])
{
    static const char HEX[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        out[2 * i] = HEX[key->bytes[i] >> 4];
        out[2 * i + 1] = HEX[key->bytes[i] & 15];
    }
    out[32] = 0;
}
