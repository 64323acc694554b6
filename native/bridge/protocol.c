/* protocol.c - see protocol.h. */
#include "protocol.h"

#include <math.h>
#include <string.h>

#include "base64.h"
#include "overrides.h"
#include "params.h"

void scl_request_clear(scl_request *req)
{
    json_decref(req->header);
    json_decref(req->files);
    memset(req, 0, sizeof *req);
}

static scl_status field_error(scl_error *err, const char *field, const char *fmt, const char *what)
{
    scl_error_set(err, SCL_EPARSE, fmt, field, what);
    scl_error_field(err, field);
    return SCL_EPARSE;
}

static const char *get_string(json_t *h, const char *key, int required, scl_error *err, scl_status *st)
{
    json_t *v = json_object_get(h, key);
    if (!v) {
        if (required)
            *st = field_error(err, key, "field \"%s\" is missing%s", "");
        return NULL;
    }
    if (!json_is_string(v)) {
        *st = field_error(err, key, "field \"%s\" must be a string%s", "");
        return NULL;
    }
    return json_string_value(v);
}

static int one_of(const char *v, const char *const *allowed)
{
    for (; *allowed; allowed++)
        if (!strcmp(v, *allowed))
            return 1;
    return 0;
}

/* Skip one JSON string starting at p[i] == '"'; returns the index after its
 * closing quote, or 0 when it does not end. */
static size_t skip_string(const char *p, size_t i, size_t n)
{
    for (i++; i < n; i++) {
        if (p[i] == '\\')
            i++;
        else if (p[i] == '"')
            return i + 1;
    }
    return 0;
}

/* The "id" of a header too large to parse: a scan of its top level that
 * builds nothing (nested values are skipped by counting brackets outside
 * strings), so a huge request still gets an error reply its client can
 * match. Only a plain id (no escapes) is taken. */
static void peek_id(const char *p, size_t n, char *out, size_t cap)
{
    out[0] = 0;
    size_t i = 0;
    int depth = 0;
    while (i < n) {
        char c = p[i];
        if (c == '"') {
            size_t end = skip_string(p, i, n);
            if (!end)
                return;
            if (depth == 1 && end - i == 4 && !memcmp(p + i, "\"id\"", 4)) {
                size_t j = end;
                while (j < n && (p[j] == ' ' || p[j] == '\t' || p[j] == '\n' || p[j] == '\r' || p[j] == ':'))
                    j++;
                if (j < n && p[j] == '"') {
                    size_t close = skip_string(p, j, n);
                    size_t len = close ? close - j - 2 : 0;
                    if (close && len < cap && !memchr(p + j + 1, '\\', len)) {
                        memcpy(out, p + j + 1, len);
                        out[len] = 0;
                    }
                    return;
                }
            }
            i = end;
            continue;
        }
        if (c == '{' || c == '[')
            depth++;
        else if (c == '}' || c == ']')
            depth--;
        i++;
    }
}

scl_status scl_protocol_parse(zmsg_t *msg, scl_request *out, scl_error *err)
{
    memset(out, 0, sizeof *out);
    zframe_t *magic = zmsg_first(msg);
    if (!magic || zframe_size(magic) != 4 || memcmp(zframe_data(magic), SCL_PROTOCOL_MAGIC, 4) != 0)
        return scl_error_set(err, SCL_EPARSE, "frame 0 must be the magic \"%s\" (protocol version %d)",
                             SCL_PROTOCOL_MAGIC, SCL_PROTOCOL_VERSION);
    zframe_t *hf = zmsg_next(msg);
    if (!hf)
        return scl_error_set(err, SCL_EPARSE, "frame 1 (the JSON header) is missing");
    /* the size first: nothing over the limit is parsed */
    size_t total = zmsg_content_size(msg);
    if (total > SCL_PROTOCOL_MAX_REQUEST) {
        peek_id((const char *)zframe_data(hf), zframe_size(hf), out->id, sizeof out->id);
        return scl_error_set(err, SCL_ETOOBIG, "request of %zu bytes exceeds the limit of %zu bytes", total,
                             SCL_PROTOCOL_MAX_REQUEST);
    }
    json_error_t jerr;
    json_t *h = json_loadb((const char *)zframe_data(hf), zframe_size(hf), 0, &jerr);
    if (!h)
        return scl_error_set(err, SCL_EPARSE, "frame 1 is not valid JSON: %s at column %d", jerr.text, jerr.column);
    out->header = h;
    if (!json_is_object(h))
        return scl_error_set(err, SCL_EPARSE, "the header must be a JSON object");
    scl_status st = SCL_OK;
    const char *id = get_string(h, "id", 1, err, &st);
    if (st != SCL_OK)
        return st;
    if (!*id || strlen(id) > SCL_PROTOCOL_MAX_ID)
        return field_error(err, "id", "field \"%s\" must be 1 to 128 characters%s", "");
    snprintf(out->id, sizeof out->id, "%s", id);
    const char *type = get_string(h, "type", 1, err, &st);
    if (st != SCL_OK)
        return st;
    static const struct {
        const char *name;
        scl_request_type type;
    } TYPES[] = {{"ping", SCL_REQ_PING}, {"params", SCL_REQ_PARAMS}, {"render", SCL_REQ_RENDER},
                 {"cancel", SCL_REQ_CANCEL}, {"stats", SCL_REQ_STATS}, {"bye", SCL_REQ_BYE}};
    size_t k = 0;
    for (; k < sizeof TYPES / sizeof TYPES[0]; k++)
        if (!strcmp(type, TYPES[k].name))
            break;
    if (k == sizeof TYPES / sizeof TYPES[0])
        return field_error(err, "type", "field \"%s\": unknown request type \"%s\"", type);
    out->type = TYPES[k].type;

    if (out->type == SCL_REQ_CANCEL) {
        out->target = get_string(h, "target", 1, err, &st);
        return st;
    }
    if (out->type == SCL_REQ_PARAMS) {
        out->source = get_string(h, "source", 1, err, &st);
        if (st == SCL_OK)
            out->title = get_string(h, "title", 0, err, &st);
        if (!out->title)
            out->title = "model";
        return st;
    }
    if (out->type != SCL_REQ_RENDER)
        return SCL_OK;

    out->source = get_string(h, "source", 1, err, &st);
    if (st == SCL_OK)
        out->name = get_string(h, "name", 0, err, &st);
    if (st == SCL_OK)
        out->format = get_string(h, "format", 0, err, &st);
    if (st == SCL_OK)
        out->quality = get_string(h, "quality", 0, err, &st);
    if (st == SCL_OK)
        out->renderer = get_string(h, "renderer", 0, err, &st);
    if (st != SCL_OK)
        return st;
    if (!out->name)
        out->name = "model.scad";
    if (!out->format)
        out->format = "binstl";
    if (!out->quality)
        out->quality = "full";
    static const char *const FORMATS[] = {"binstl", "asciistl", "off", "3mf", "svg", "dxf", "mesh", NULL};
    static const char *const QUALITIES[] = {"full", "preview", NULL};
    static const char *const RENDERERS[] = {"wasm", "openscad", NULL};
    if (!one_of(out->format, FORMATS))
        return field_error(err, "format", "field \"%s\" must be binstl, asciistl, off, 3mf, svg, dxf or mesh, not \"%s\"", out->format);
    if (!one_of(out->quality, QUALITIES))
        return field_error(err, "quality", "field \"%s\" must be full or preview, not \"%s\"", out->quality);
    if (out->renderer && !one_of(out->renderer, RENDERERS))
        return field_error(err, "renderer", "field \"%s\" must be wasm or openscad, not \"%s\"", out->renderer);
    json_t *params = json_object_get(h, "params");
    if (params && !json_is_object(params) && !json_is_null(params))
        return field_error(err, "params", "field \"%s\" must be an object%s", "");
    out->params = json_is_object(params) ? params : NULL;
    json_t *defines = json_object_get(h, "defines");
    if (defines && !json_is_object(defines) && !json_is_null(defines))
        return field_error(err, "defines", "field \"%s\" must be an object%s", "");
    out->defines = json_is_object(defines) ? defines : NULL;
    /* milliseconds; a fraction is rounded up (0.5 is 1 ms, never "none");
     * 0 or absent: the bridge's default deadline */
    json_t *deadline = json_object_get(h, "deadline_ms");
    if (deadline && !json_is_null(deadline)) {
        double ms = json_number_value(deadline);
        if (!json_is_number(deadline) || !(ms >= 0) || ms > 86400e3)
            return field_error(err, "deadline_ms", "field \"%s\" must be a number of milliseconds (0 to 86400000)%s", "");
        out->deadline_ms = (uint64_t)ceil(ms);
    }
    /* files: {path: "text"} or {path: {"base64": "..."}} -> {path: base64} */
    json_t *files = json_object_get(h, "files");
    out->files = json_object();
    if (!out->files)
        return scl_error_set(err, SCL_ENOMEM, "out of memory");
    if (files && !json_is_null(files)) {
        if (!json_is_object(files))
            return field_error(err, "files", "field \"%s\" must be an object of path: content%s", "");
        const char *path;
        json_t *v;
        json_object_foreach(files, path, v) {
            if (!*path || path[0] == '/' || strstr(path, "..")) {
                scl_error_set(err, SCL_EPARSE, "files: \"%s\" must be a relative path inside the model's directory", path);
                scl_error_field(err, "files");
                return SCL_EPARSE;
            }
            char *b64 = NULL;
            if (json_is_string(v)) {
                b64 = scl_base64_encode(json_string_value(v), json_string_length(v));
            } else if (json_is_object(v) && json_is_string(json_object_get(v, "base64"))) {
                const char *s = json_string_value(json_object_get(v, "base64"));
                uint8_t *bytes;
                size_t n;
                if (scl_base64_decode(s, strlen(s), &bytes, &n) != 0) {
                    scl_error_set(err, SCL_EPARSE, "files[\"%s\"].base64 is not valid base64", path);
                    scl_error_field(err, "files");
                    return SCL_EPARSE;
                }
                free(bytes);
                b64 = strdup(s);
            } else {
                scl_error_set(err, SCL_EPARSE, "files[\"%s\"] must be text or {\"base64\": ...}", path);
                scl_error_field(err, "files");
                return SCL_EPARSE;
            }
            int set_failed = !b64 || json_object_set_new(out->files, path, json_string(b64)) != 0;
            free(b64);
            if (set_failed)
                return scl_error_set(err, SCL_ENOMEM, "out of memory");
        }
    }
    return SCL_OK;
}

zmsg_t *scl_protocol_reply(zframe_t *identity, json_t *header)
{
    zmsg_t *m = zmsg_new();
    char *text = header ? json_dumps(header, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
    json_decref(header);
    zframe_t *id = identity ? zframe_dup(identity) : NULL;
    int ok = m && text && (!identity || (id && zmsg_append(m, &id) == 0)) &&
             zmsg_addmem(m, SCL_PROTOCOL_MAGIC, 4) == 0 && zmsg_addstr(m, text) == 0;
    zframe_destroy(&id);
    free(text);
    if (!ok)
        zmsg_destroy(&m); /* out of memory (or no header): NULL */
    return m;
}

json_t *scl_protocol_error(const char *id, const char *code, const char *message, const char *file,
                           long line, const char *field)
{
    json_t *h = json_pack("{s:s,s:s,s:s,s:s}", "type", "error", "id", id ? id : "", "code", code,
                          "message", message ? message : "");
    if (!h) /* message not UTF-8 */
        h = json_pack("{s:s,s:s,s:s,s:s}", "type", "error", "id", "", "code", code, "message", "(message not valid UTF-8)");
    /* A header missing its location would be sent as if whole: NULL instead
     * (json_object_set_new fails, and frees the value, on a NULL object or value). */
    int rc = 0;
    if (file && *file)
        rc |= json_object_set_new(h, "file", json_string(file));
    if (line > 0)
        rc |= json_object_set_new(h, "line", json_integer(line));
    if (field && *field)
        rc |= json_object_set_new(h, "field", json_string(field));
    if (rc != 0) {
        json_decref(h);
        return NULL;
    }
    return h;
}

/* see protocol.h */
scl_status scl_request_render_values(const scl_request *req, json_t **values_out, scl_overrides **ov_out,
                                     int *syntax, scl_error *err)
{
    *syntax = 0;
    *values_out = NULL;
    *ov_out = NULL;
    json_t *schema = NULL;
    char title[256];
    scl_params_title_from_path(req->name, title, sizeof title);
    scl_status st = scl_params_parse(req->source, strlen(req->source), title, &schema, err);
    if (st != SCL_OK) {
        *syntax = st == SCL_EPARSE;
        return st;
    }
    json_t *values = req->params ? json_deep_copy(req->params) : json_object();
    if (!values) {
        json_decref(schema);
        return scl_error_set(err, SCL_ENOMEM, "out of memory");
    }
    if (!strcmp(req->quality, "preview") && !json_object_get(values, "$fn") &&
        json_object_set_new(values, "$fn", json_integer(24)) != 0)
        st = scl_error_set(err, SCL_ENOMEM, "out of memory");
    scl_overrides *checked = NULL;
    if (st == SCL_OK)
        st = scl_overrides_build(schema, values, &checked, err);
    scl_overrides_destroy(checked);
    json_decref(schema);
    if (st == SCL_OK && req->defines && json_object_update(values, req->defines) != 0)
        st = scl_error_set(err, SCL_ENOMEM, "out of memory");
    if (st == SCL_OK)
        st = scl_overrides_build(NULL, values, ov_out, err);
    if (st != SCL_OK) {
        json_decref(values);
        return st;
    }
    *values_out = values;
    return SCL_OK;
}
