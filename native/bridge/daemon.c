/* daemon.c - see daemon.h. */
#define _GNU_SOURCE
#include "daemon.h"

#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base64.h"
#include "cache.h"
#include "endpoint.h"
#include "hash.h"
#include "mesh.h"
#include "oslog.h"
#include "overrides.h"
#include "params.h"
#include "pool.h"
#include "protocol.h"
#include "zip3mf.h"

#define LATENCY_SAMPLES 1024
#define PREVIEW_FN "$fn=24"

/* One client request waiting for a render (owner or joined). */
typedef struct waiter {
    uint64_t token;
    zframe_t *identity;
    char id[SCL_PROTOCOL_MAX_ID + 1];
    char format[16];
    char title[256]; /* the model's name without extension (3MF object name) */
    scl_key key;
    uint64_t flight;  /* the flight it belongs to */
    int64_t received; /* zclock_mono ms */
    int64_t probed;   /* last progress message */
    struct waiter *next;
} waiter;

/* One render in the pool, shared by every request with its key. */
typedef struct flight {
    uint64_t job_id;
    scl_key key;
    int pool_index;
    struct flight *next;
} flight;

typedef struct pool_slot {
    char backend[16];
    scl_pool *pool;
    struct bridge *d;
    int index;
} pool_slot;

typedef struct latency {
    double v[LATENCY_SAMPLES];
    size_t n, next;
} latency;

typedef struct bridge {
    const scl_daemon_config *cfg;
    zsock_t *router;
    zloop_t *loop;
    scl_cache *cache;
    pool_slot pools[2];
    int npools;
    waiter *waiters;
    flight *flights;
    uint64_t next_token;
    size_t active; /* waiters, for back-pressure */
    size_t queue_limit;
    uint64_t requests, errors, busy_refusals;
    latency render_ms, queue_ms;
    scl_endpoint *endpoint; /* where we listen, who may connect (endpoint.h) */
    char renderers[32];      /* the backends clients may ask for: "wasm", "wasm,openscad" */
    char default_backend[16];
    char conn_file[512];
    int parent_pid;
} bridge;

/* ---------------------------------------------------------- small things */

static void record(latency *l, double v)
{
    l->v[l->next] = v;
    l->next = (l->next + 1) % LATENCY_SAMPLES;
    if (l->n < LATENCY_SAMPLES)
        l->n++;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double percentile(const latency *l, double p)
{
    if (!l->n)
        return 0;
    double tmp[LATENCY_SAMPLES];
    memcpy(tmp, l->v, l->n * sizeof *tmp);
    qsort(tmp, l->n, sizeof *tmp, cmp_double);
    size_t i = (size_t)(p * (double)(l->n - 1) + 0.5);
    return tmp[i];
}

static void send_msg(bridge *d, zmsg_t *m, const zframe_t *identity);

static void reply_error(bridge *d, zframe_t *identity, const char *id, const char *code,
                        const char *message, const char *file, long line, const char *field)
{
    d->errors++;
    zmsg_t *m = scl_protocol_reply(identity, scl_protocol_error(id, code, message, file, line, field));
    send_msg(d, m, identity);
}

static void cancel_client(bridge *d, const zframe_t *identity);

/* A reply to a client that went away is dropped (ROUTER_MANDATORY makes the
 * send fail at once instead of queueing); its other requests are found and
 * cancelled by probe_waiters. */
static void send_msg(bridge *d, zmsg_t *m, const zframe_t *identity)
{
    (void)identity;
    if (zmsg_send(&m, d->router) != 0)
        zmsg_destroy(&m);
}

static pool_slot *pool_for(bridge *d, const char *backend, scl_error *err);

/* ---------------------------------------------------------- results */

static json_t *result_meta(const scl_pool_result *r, const scl_mesh_stats *s)
{
    json_t *meta = json_pack("{s:I,s:{s:[f,f,f],s:[f,f,f]},s:f,s:f,s:s,s:b}", "triangles",
                             (json_int_t)s->triangles, "bbox", "min", s->min[0], s->min[1], s->min[2], "max",
                             s->max[0], s->max[1], s->max[2], "volume", s->volume, "render_ms", r->render_ms,
                             "log", r->log ? r->log : "", "watertight", s->watertight);
    if (meta)
        json_object_set_new(meta, "messages", scl_oslog_lines(r->log, 0));
    return meta;
}

/* The error reply of a failed render: the classified cause (code, reason,
 * message, file, line) with OpenSCAD's log and its message lines. */
static void reply_render_error(bridge *d, zframe_t *identity, const char *id, const scl_pool_result *r)
{
    d->errors++;
    json_t *h = scl_protocol_error(id, r->code, r->message, r->file, r->line, NULL);
    if (r->reason)
        json_object_set_new(h, "reason", json_string(r->reason));
    json_object_set_new(h, "log", json_string(r->log ? r->log : ""));
    json_object_set_new(h, "messages", scl_oslog_lines(r->log, 0));
    send_msg(d, scl_protocol_reply(identity, h), identity);
}

/* Reply with a cached/just-made payload in the waiter's format. */
static void reply_result(bridge *d, waiter *w, const uint8_t *data, size_t len, const char *meta_text,
                         const char *cache_state)
{
    json_t *meta = json_loads(meta_text ? meta_text : "{}", 0, NULL);
    if (!meta)
        meta = json_object();
    json_object_set_new(meta, "type", json_string("result"));
    json_object_set_new(meta, "id", json_string(w->id));
    json_object_set_new(meta, "cache", json_string(cache_state));
    json_object_set_new(meta, "format", json_string(w->format));
    double waited = (double)(zclock_mono() - w->received);
    json_object_set_new(meta, "total_ms", json_real(waited));
    zmsg_t *m;
    if (!strcmp(w->format, "mesh")) {
        scl_mesh *mesh = NULL;
        scl_error err;
        if (scl_mesh_parse(data, len, SCL_MESH_AUTO, NULL, &mesh, &err) != SCL_OK) {
            json_decref(meta);
            reply_error(d, w->identity, w->id, "RENDER", err.message, NULL, 0, NULL);
            return;
        }
        json_object_set_new(meta, "vertices", json_integer((json_int_t)scl_mesh_vertex_count(mesh)));
        json_object_set_new(meta, "frames", json_pack("[s,s,s]", "positions:float32le", "indices:uint32le",
                                                      scl_mesh_face_colors(mesh) ? "face_colors:float32le" : "none"));
        m = scl_protocol_reply(w->identity, meta);
        zmsg_addmem(m, scl_mesh_positions(mesh), scl_mesh_vertex_count(mesh) * 3 * sizeof(float));
        zmsg_addmem(m, scl_mesh_indices(mesh), scl_mesh_triangle_count(mesh) * 3 * sizeof(uint32_t));
        if (scl_mesh_face_colors(mesh))
            zmsg_addmem(m, scl_mesh_face_colors(mesh), scl_mesh_triangle_count(mesh) * 4 * sizeof(float));
        scl_mesh_destroy(mesh);
    } else if (!strcmp(w->format, "3mf")) {
        uint8_t *zip = NULL;
        size_t zlen = 0;
        scl_error err;
        if (scl_3mf_from_mesh_bytes(data, len, w->title, &zip, &zlen, &err) != SCL_OK) {
            json_decref(meta);
            reply_error(d, w->identity, w->id, "RENDER", err.message, NULL, 0, NULL);
            return;
        }
        json_object_set_new(meta, "bytes", json_integer((json_int_t)zlen));
        m = scl_protocol_reply(w->identity, meta);
        zmsg_addmem(m, zip, zlen);
        free(zip);
    } else {
        json_object_set_new(meta, "bytes", json_integer((json_int_t)len));
        m = scl_protocol_reply(w->identity, meta);
        zmsg_addmem(m, data, len);
    }
    send_msg(d, m, w->identity);
}

static waiter *take_waiter(bridge *d, uint64_t token)
{
    for (waiter **pp = &d->waiters; *pp; pp = &(*pp)->next)
        if ((*pp)->token == token) {
            waiter *w = *pp;
            *pp = w->next;
            d->active--;
            return w;
        }
    return NULL;
}

static void waiter_free(waiter *w)
{
    if (w)
        zframe_destroy(&w->identity);
    free(w);
}

static flight *take_flight(bridge *d, uint64_t job_id)
{
    for (flight **pp = &d->flights; *pp; pp = &(*pp)->next)
        if ((*pp)->job_id == job_id) {
            flight *f = *pp;
            *pp = f->next;
            return f;
        }
    return NULL;
}

static void on_pool_done(const scl_pool_result *r, void *user)
{
    pool_slot *slot = user;
    bridge *d = slot->d;
    flight *f = take_flight(d, r->id);
    if (!f)
        return;
    uint64_t *tokens = NULL;
    size_t ntokens = 0;
    /* the owner is the waiter whose token is the flight's job id */
    waiter *owner = take_waiter(d, r->id);
    if (r->ok) {
        scl_mesh *mesh = NULL;
        scl_error err;
        scl_mesh_stats s = {0};
        if (scl_mesh_parse(r->payload, r->payload_len, SCL_MESH_AUTO, NULL, &mesh, &err) == SCL_OK) {
            scl_mesh_get_stats(mesh, &s);
            scl_mesh_destroy(mesh);
        }
        json_t *meta = result_meta(r, &s);
        char *meta_text = json_dumps(meta, JSON_COMPACT | JSON_REAL_PRECISION(17));
        json_decref(meta);
        scl_cache_complete(d->cache, f->key.bytes, 16, (uint64_t)zclock_mono(), r->payload, r->payload_len,
                           meta_text, &tokens, &ntokens, NULL);
        record(&d->render_ms, r->render_ms);
        record(&d->queue_ms, r->queue_ms);
        if (owner)
            reply_result(d, owner, r->payload, r->payload_len, meta_text, "miss");
        for (size_t i = 0; i < ntokens; i++) {
            waiter *w = take_waiter(d, tokens[i]);
            if (w)
                reply_result(d, w, r->payload, r->payload_len, meta_text, "joined");
            waiter_free(w);
        }
        free(meta_text);
    } else {
        scl_cache_fail(d->cache, f->key.bytes, 16, &tokens, &ntokens, NULL);
        if (owner)
            reply_render_error(d, owner->identity, owner->id, r);
        for (size_t i = 0; i < ntokens; i++) {
            waiter *w = take_waiter(d, tokens[i]);
            if (w)
                reply_render_error(d, w->identity, w->id, r);
            waiter_free(w);
        }
    }
    free(tokens);
    waiter_free(owner);
    free(f);
}

/* ---------------------------------------------------------- requests */

static int renderer_allowed(const bridge *d, const char *backend)
{
    size_t n = strlen(backend);
    for (const char *p = d->renderers; *p; p += strcspn(p, ","), p += *p == ',')
        if (!strncmp(p, backend, n) && (p[n] == ',' || !p[n]))
            return 1;
    return 0;
}

/* The backends clients may ask for are the bridge's choice (--renderers),
 * by default only its own backend: the native one reads files from disk
 * (confined: docs/bridge.md), so a client alone must not switch to it. */
static scl_status choose_renderers(bridge *d, scl_error *err)
{
    const char *list = d->cfg->renderers && *d->cfg->renderers ? d->cfg->renderers : NULL;
    const char *backend = d->cfg->backend && *d->cfg->backend ? d->cfg->backend : NULL;
    if (!list) {
        snprintf(d->renderers, sizeof d->renderers, "%s", backend ? backend : "wasm");
    } else {
        d->renderers[0] = 0;
        for (const char *p = list; *p; p += strcspn(p, ","), p += *p == ',') {
            size_t n = strcspn(p, ",");
            if (!((n == 4 && !strncmp(p, "wasm", 4)) || (n == 8 && !strncmp(p, "openscad", 8))))
                return scl_error_set(err, SCL_EINVAL, "--renderers: unknown renderer \"%.*s\" (use wasm, openscad)",
                                     (int)n, p);
            if (renderer_allowed(d, n == 4 ? "wasm" : "openscad"))
                continue;
            size_t used = strlen(d->renderers);
            snprintf(d->renderers + used, sizeof d->renderers - used, "%s%.*s", used ? "," : "", (int)n, p);
        }
        if (!d->renderers[0])
            return scl_error_set(err, SCL_EINVAL, "--renderers names no renderer");
    }
    if (!backend) /* the first one listed serves requests that name none */
        snprintf(d->default_backend, sizeof d->default_backend, "%.*s", (int)strcspn(d->renderers, ","), d->renderers);
    else
        snprintf(d->default_backend, sizeof d->default_backend, "%s", backend);
    if (!renderer_allowed(d, d->default_backend))
        return scl_error_set(err, SCL_EINVAL, "--backend %s is not among --renderers %s", d->default_backend,
                             d->renderers);
    return SCL_OK;
}

static pool_slot *pool_for(bridge *d, const char *backend, scl_error *err)
{
    if (!backend)
        return &d->pools[0];
    if (!renderer_allowed(d, backend)) {
        scl_error_set(err, SCL_EINVAL,
                      "renderer \"%s\" is not enabled on this bridge (it allows: %s); its owner can allow it "
                      "with scadlive bridge --renderers %s,%s",
                      backend, d->renderers, d->renderers, backend);
        scl_error_field(err, "renderer");
        return NULL;
    }
    for (int i = 0; i < d->npools; i++)
        if (!strcmp(d->pools[i].backend, backend))
            return &d->pools[i];
    if (d->npools == 2) {
        scl_error_set(err, SCL_EINVAL, "renderer %s is not available", backend);
        return NULL;
    }
    /* start the other backend on first use */
    pool_slot *s = &d->pools[d->npools];
    snprintf(s->backend, sizeof s->backend, "%s", backend);
    s->d = d;
    s->index = d->npools;
    scl_pool_config pc = {d->cfg->workers, backend, d->cfg->self_exe, d->cfg->source_dir};
    s->pool = scl_pool_new(&pc, d->loop, on_pool_done, s, err);
    if (!s->pool)
        return NULL;
    d->npools++;
    return s;
}

static void handle_render(bridge *d, zframe_t *identity, scl_request *req)
{
    scl_error err;
    /* the customizer schema validates the parameters (and finds syntax errors early) */
    json_t *schema = NULL;
    char title[256];
    scl_params_title_from_path(req->name, title, sizeof title);
    if (scl_params_parse(req->source, strlen(req->source), title, &schema, &err) != SCL_OK) {
        const char *base = strrchr(req->name, '/');
        reply_error(d, identity, req->id, "SYNTAX", err.message, base ? base + 1 : req->name, err.line, NULL);
        return;
    }
    json_t *values = req->params ? json_deep_copy(req->params) : json_object();
    if (!strcmp(req->quality, "preview")) {
        if (!json_object_get(values, "$fn"))
            json_object_set_new(values, "$fn", json_integer(24));
    }
    scl_overrides *ov = NULL;
    /* only named customizer parameters are type-checked; other top-level
     * variables the schema does not list are still allowed as -D */
    json_t *check_schema = json_array_size(json_object_get(schema, "parameters")) ? schema : NULL;
    scl_status st = scl_overrides_build(check_schema, values, &ov, &err);
    if (st == SCL_ENOTFOUND)
        st = scl_overrides_build(NULL, values, &ov, &err); /* a variable without annotation */
    json_decref(schema);
    if (st != SCL_OK) {
        json_decref(values);
        reply_error(d, identity, req->id, "PROTOCOL", err.message, NULL, 0, err.field[0] ? err.field : "params");
        return;
    }
    pool_slot *slot = pool_for(d, req->renderer, &err);
    if (!slot) {
        json_decref(values);
        scl_overrides_destroy(ov);
        /* not allowed: the request's fault (PROTOCOL); allowed but not starting: the renderer's */
        reply_error(d, identity, req->id, err.field[0] ? "PROTOCOL" : "RENDERER_LOST", err.message, NULL, 0,
                    "renderer");
        return;
    }
    /* what the renderer makes: the mesh frames come from binary STL, 3MF
     * from OFF (it carries the face colours; the bridge zips it, both
     * backends alike); the rest is OpenSCAD's own export */
    const char *out_format = !strcmp(req->format, "mesh") ? "binstl" : !strcmp(req->format, "3mf") ? "off" : req->format;
    /* the key: everything that decides the output */
    size_t nfiles = json_object_size(req->files), k = 0;
    scl_file_ref *refs = calloc(nfiles ? nfiles : 1, sizeof *refs);
    const char *path;
    json_t *content;
    json_object_foreach(req->files, path, content) {
        refs[k].path = path;
        refs[k].content = json_string_value(content);
        refs[k].content_len = json_string_length(content);
        k++;
    }
    char renderer[300];
    snprintf(renderer, sizeof renderer, "%s", slot->backend);
    scl_render_inputs in = {req->source, strlen(req->source), refs, k, values, renderer,
                            scl_pool_renderer(slot->pool), out_format, req->quality};
    scl_key key;
    scl_render_key(&in, &key, NULL);
    free(refs);
    json_decref(values);

    if (d->active >= d->queue_limit) {
        scl_overrides_destroy(ov);
        d->busy_refusals++;
        char msg[128];
        snprintf(msg, sizeof msg, "the bridge has %zu requests in progress, its limit; retry later", d->active);
        reply_error(d, identity, req->id, "BUSY", msg, NULL, 0, NULL);
        return;
    }
    waiter *w = calloc(1, sizeof *w);
    w->token = ++d->next_token;
    w->identity = zframe_dup(identity);
    snprintf(w->id, sizeof w->id, "%s", req->id);
    snprintf(w->format, sizeof w->format, "%s", req->format);
    snprintf(w->title, sizeof w->title, "%s", title);
    w->key = key;
    w->received = zclock_mono();
    scl_cache_outcome outcome;
    scl_cache_value v;
    scl_cache_acquire(d->cache, key.bytes, 16, (uint64_t)zclock_mono(), w->token, &outcome, &v, NULL);
    if (outcome == SCL_CACHE_HIT) {
        reply_result(d, w, v.data, v.len, v.meta, "hit");
        waiter_free(w);
        scl_overrides_destroy(ov);
        return;
    }
    w->next = d->waiters;
    d->waiters = w;
    d->active++;
    if (outcome == SCL_CACHE_JOINED) {
        scl_overrides_destroy(ov);
        return;
    }
    /* MISS: this request owns the render */
    flight *f = calloc(1, sizeof *f);
    f->job_id = w->token;
    f->key = key;
    f->pool_index = slot->index;
    f->next = d->flights;
    d->flights = f;
    w->flight = f->job_id;
    const char **defines = calloc(scl_overrides_count(ov) + 1, sizeof *defines);
    for (size_t i = 0; i < scl_overrides_count(ov); i++)
        defines[i] = scl_overrides_arg(ov, i);
    const char *base = strrchr(req->name, '/');
    scl_pool_job job = {w->token, base ? base + 1 : req->name, req->source, req->files, defines,
                        scl_overrides_count(ov), out_format, req->deadline_ms};
    if (scl_pool_submit(slot->pool, &job, &err) != SCL_OK) {
        scl_pool_result r = {w->token, 0, "RENDER", err.message, "", 0, "", 0, 0, NULL, 0, NULL};
        on_pool_done(&r, slot);
    }
    free(defines);
    scl_overrides_destroy(ov);
}

/* Cancel one waiter: reply CANCELLED to it; if it owned a render nobody else
 * waits for, stop the render. */
static void cancel_waiter(bridge *d, waiter *w)
{
    flight *f = NULL;
    for (flight *it = d->flights; it; it = it->next)
        if (it->job_id == w->token)
            f = it;
    if (f) {
        uint64_t new_owner;
        if (scl_cache_abandon(d->cache, f->key.bytes, 16, &new_owner)) {
            /* someone else waits for this key: the render goes on for them;
             * re-key the flight and its job id stays - map the promoted waiter */
            waiter *nw = NULL;
            for (waiter *it = d->waiters; it; it = it->next)
                if (it->token == new_owner)
                    nw = it;
            if (nw) {
                /* swap tokens so the pool's job id now belongs to the new owner */
                nw->token = w->token;
                w->token = new_owner;
            }
        } else {
            scl_pool_cancel(d->pools[f->pool_index].pool, f->job_id); /* delivers CANCELLED */
            return;
        }
    } else {
        scl_cache_cancel_waiter(d->cache, w->key.bytes, 16, w->token);
    }
    waiter *mine = take_waiter(d, w->token);
    if (mine) {
        reply_error(d, mine->identity, mine->id, "CANCELLED", "the render was cancelled", NULL, 0, NULL);
        waiter_free(mine);
    }
}

static void cancel_client(bridge *d, const zframe_t *identity)
{
    int again = 1;
    while (again) {
        again = 0;
        for (waiter *w = d->waiters; w; w = w->next)
            if (zframe_eq(w->identity, (zframe_t *)identity)) {
                cancel_waiter(d, w);
                again = 1;
                break;
            }
    }
}

static json_t *stats_json(bridge *d)
{
    scl_cache_stats cs;
    scl_cache_get_stats(d->cache, &cs);
    json_t *workers = json_object();
    int busy = 0, idle = 0, starting = 0;
    uint64_t restarted = 0;
    size_t queued = 0;
    for (int i = 0; i < d->npools; i++) {
        scl_pool_stats ps;
        scl_pool_get_stats(d->pools[i].pool, &ps);
        busy += ps.busy;
        idle += ps.idle;
        starting += ps.starting;
        restarted += ps.restarted;
        queued += ps.queued;
        json_object_set_new(workers, d->pools[i].backend,
                            json_pack("{s:i,s:i,s:i,s:I,s:s}", "busy", ps.busy, "idle", ps.idle, "starting",
                                      ps.starting, "restarted", (json_int_t)ps.restarted, "renderer",
                                      scl_pool_renderer(d->pools[i].pool)));
    }
    uint64_t lookups = cs.hits + cs.misses + cs.joins;
    return json_pack("{s:I,s:I,s:I,s:f,s:{s:I,s:I,s:I,s:I,s:I,s:I},s:{s:f,s:f},s:{s:f,s:f},s:I,s:I,s:{s:i,s:i,s:i,s:I,s:o}}",
                     "requests", (json_int_t)d->requests, "errors", (json_int_t)d->errors, "busy_refusals",
                     (json_int_t)d->busy_refusals, "hit_rate", lookups ? (double)cs.hits / (double)lookups : 0.0,
                     "cache", "hits", (json_int_t)cs.hits, "misses", (json_int_t)cs.misses, "joins",
                     (json_int_t)cs.joins, "bytes", (json_int_t)cs.bytes, "entries", (json_int_t)cs.entries,
                     "evictions", (json_int_t)(cs.evictions_lru + cs.evictions_ttl + cs.evictions_pressure),
                     "render_ms", "p50", percentile(&d->render_ms, 0.5), "p95", percentile(&d->render_ms, 0.95),
                     "queue_ms", "p50", percentile(&d->queue_ms, 0.5), "p95", percentile(&d->queue_ms, 0.95),
                     "in_progress", (json_int_t)d->active, "queue_depth", (json_int_t)queued, "workers", "busy",
                     busy, "idle", idle, "starting", starting, "restarted", (json_int_t)restarted, "by_backend",
                     workers);
}

static int handle_router(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void)loop;
    bridge *d = arg;
    zmsg_t *msg = zmsg_recv(sock);
    if (!msg)
        return 0;
    zframe_t *identity = zmsg_pop(msg);
    d->requests++;
    scl_request req;
    scl_error err;
    scl_error_clear(&err);
    scl_status st = scl_protocol_parse(msg, &req, &err);
    if (st != SCL_OK) {
        reply_error(d, identity, req.id, st == SCL_ETOOBIG ? "TOO_LARGE" : "PROTOCOL", err.message, NULL, 0, err.field);
    } else {
        switch (req.type) {
        case SCL_REQ_PING: {
            json_t *renderers = json_array();
            for (const char *p = d->renderers; *p; p += strcspn(p, ","), p += *p == ',')
                json_array_append_new(renderers, json_stringn(p, strcspn(p, ",")));
            json_t *h = json_pack("{s:s,s:s,s:b,s:s,s:i,s:i,s:o}", "type", "result", "id", req.id, "pong", 1,
                                  "version", SCL_VERSION, "protocol", SCL_PROTOCOL_VERSION, "pid", (int)getpid(),
                                  "renderers", renderers);
            send_msg(d, scl_protocol_reply(identity, h), identity);
            break;
        }
        case SCL_REQ_PARAMS: {
            json_t *schema = NULL;
            if (scl_params_parse(req.source, strlen(req.source), req.title, &schema, &err) != SCL_OK) {
                reply_error(d, identity, req.id, "SYNTAX", err.message, NULL, err.line, NULL);
            } else {
                json_t *h = json_pack("{s:s,s:s,s:o}", "type", "result", "id", req.id, "schema", schema);
                send_msg(d, scl_protocol_reply(identity, h), identity);
            }
            break;
        }
        case SCL_REQ_RENDER:
            handle_render(d, identity, &req);
            break;
        case SCL_REQ_CANCEL: {
            waiter *target = NULL;
            for (waiter *w = d->waiters; w; w = w->next)
                if (zframe_eq(w->identity, identity) && !strcmp(w->id, req.target))
                    target = w;
            json_t *h = json_pack("{s:s,s:s,s:b}", "type", "result", "id", req.id, "cancelled", target != NULL);
            if (target)
                cancel_waiter(d, target);
            send_msg(d, scl_protocol_reply(identity, h), identity);
            break;
        }
        case SCL_REQ_STATS: {
            json_t *h = stats_json(d);
            json_object_set_new(h, "type", json_string("result"));
            json_object_set_new(h, "id", json_string(req.id));
            send_msg(d, scl_protocol_reply(identity, h), identity);
            break;
        }
        case SCL_REQ_BYE:
            cancel_client(d, identity);
            break;
        }
    }
    scl_request_clear(&req);
    zframe_destroy(&identity);
    zmsg_destroy(&msg);
    return 0;
}

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* Every second, each waiting request gets a `progress` message. Besides
 * telling the client the render goes on, this finds clients that went away:
 * with ROUTER_MANDATORY the send fails, and their requests are cancelled
 * (which frees a renderer nobody waits for). */
static void probe_waiters(bridge *d)
{
    int64_t now = zclock_mono();
    int again = 1;
    while (again) {
        again = 0;
        for (waiter *w = d->waiters; w; w = w->next) {
            if (now - w->received < 1000 || now - w->probed < 1000)
                continue;
            w->probed = now;
            json_t *h = json_pack("{s:s,s:s,s:f}", "type", "progress", "id", w->id, "elapsed_ms",
                                  (double)(now - w->received));
            zmsg_t *m = scl_protocol_reply(w->identity, h);
            if (zmsg_send(&m, d->router) != 0) {
                zmsg_destroy(&m);
                zframe_t *gone = zframe_dup(w->identity);
                cancel_client(d, gone); /* changes the list: start over */
                zframe_destroy(&gone);
                again = 1;
                break;
            }
        }
    }
}

static int watch_parent(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    bridge *d = arg;
    probe_waiters(d);
    if (d->parent_pid > 0 && (kill(d->parent_pid, 0) != 0 || getppid() != d->parent_pid)) {
        zsys_info("scadlive bridge: parent %d is gone; stopping", d->parent_pid);
        return -1; /* ends zloop_start */
    }
    if (stop_requested)
        return -1;
    return 0;
}

/* ---------------------------------------------------------- setup */

scl_status scl_daemon_runtime_dir(char *out, size_t cap, scl_error *err)
{
    return scl_endpoint_runtime_dir(out, cap, err);
}

scl_status scl_daemon_default_connection_file(char *out, size_t cap, scl_error *err)
{
    const char *env = getenv("SCADLIVE_CONNECTION_FILE");
    if (env && *env) {
        snprintf(out, cap, "%s", env);
        return SCL_OK;
    }
    char dir[400];
    scl_status st = scl_daemon_runtime_dir(dir, sizeof dir, err);
    if (st == SCL_OK)
        snprintf(out, cap, "%s/bridge.json", dir);
    return st;
}

static scl_status bind_router(bridge *d, scl_error *err)
{
    d->router = zsock_new(ZMQ_ROUTER);
    if (!d->router)
        return scl_error_set(err, SCL_EIO, "cannot create the ZeroMQ socket");
    zsock_set_router_mandatory(d->router, 1);
    zsock_set_sndhwm(d->router, 10000);
    zsock_set_rcvhwm(d->router, 10000);
    /* larger than the request limit, so oversized requests get a TOO_LARGE reply
     * instead of a silent disconnect */
    zsock_set_maxmsgsize(d->router, (int64_t)SCL_PROTOCOL_MAX_REQUEST * 4);
    zsock_set_linger(d->router, 0);
    /* private ipc, or CURVE with the keys in the connection file: endpoint.h */
    d->endpoint = scl_endpoint_bind(d->router, d->cfg->endpoint, err);
    return d->endpoint ? SCL_OK : err->code;
}

static scl_status write_connection_file(bridge *d, scl_error *err)
{
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp%d", d->conn_file, (int)getpid());
    json_t *j = json_pack("{s:i,s:s,s:i}", "pid", (int)getpid(), "version", SCL_VERSION, "protocol",
                          SCL_PROTOCOL_VERSION);
    if (!j || scl_endpoint_describe(d->endpoint, j, err) != SCL_OK) {
        json_decref(j);
        return scl_error_set(err, SCL_ENOMEM, "out of memory");
    }
    /* it may hold CURVE keys: readable by this user only, and never written
     * through a link someone else put in our way */
    remove(tmp);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    int rc = fd < 0 ? -1 : json_dumpfd(j, fd, JSON_COMPACT);
    if (fd >= 0 && close(fd) != 0)
        rc = -1;
    json_decref(j);
    if (rc != 0 || rename(tmp, d->conn_file) != 0) {
        int e = errno;
        remove(tmp);
        return scl_error_set(err, SCL_EIO, "cannot write the connection file %s: %s", d->conn_file, strerror(e));
    }
    return SCL_OK;
}

scl_status scl_daemon_run(const scl_daemon_config *cfg, scl_error *err)
{
    bridge d;
    memset(&d, 0, sizeof d);
    d.cfg = cfg;
    d.queue_limit = cfg->queue_limit ? cfg->queue_limit : 64;
    d.parent_pid = cfg->parent_pid;
    /* SIGINT/SIGTERM: stop the loop (zmq_poll returns EINTR, zloop_start
     * returns) and clean up below */
    zsys_handler_set(NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    if (cfg->parent_pid > 0)
        prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (cfg->connection_file)
        snprintf(d.conn_file, sizeof d.conn_file, "%s", cfg->connection_file);
    else if (scl_daemon_default_connection_file(d.conn_file, sizeof d.conn_file, err) != SCL_OK)
        return err->code;
    scl_status st = choose_renderers(&d, err);
    if (st == SCL_OK)
        st = bind_router(&d, err);
    scl_cache_config cc = {cfg->cache_bytes, cfg->cache_ttl_ms};
    d.cache = scl_cache_new(&cc, NULL);
    d.loop = zloop_new();
    if (st == SCL_OK) {
        snprintf(d.pools[0].backend, sizeof d.pools[0].backend, "%s", d.default_backend);
        d.pools[0].d = &d;
        scl_pool_config pc = {cfg->workers, d.pools[0].backend, cfg->self_exe, cfg->source_dir};
        d.pools[0].pool = scl_pool_new(&pc, d.loop, on_pool_done, &d.pools[0], err);
        if (!d.pools[0].pool)
            st = err->code;
        else
            d.npools = 1;
    }
    if (st == SCL_OK)
        st = scl_endpoint_attach(d.endpoint, d.loop, err);
    if (st == SCL_OK)
        st = write_connection_file(&d, err);
    if (st == SCL_OK) {
        zloop_reader(d.loop, d.router, handle_router, &d);
        zloop_timer(d.loop, 200, 0, watch_parent, &d);
        zsys_info("scadlive bridge %s listening on %s (%s; connection file %s)", SCL_VERSION,
                  scl_endpoint_address(d.endpoint),
                  scl_endpoint_uses_curve(d.endpoint) ? "CURVE: clients need the keys in the connection file"
                                                      : "private ipc: this user only",
                  d.conn_file);
        zloop_start(d.loop); /* returns on a stop signal or when watch_parent says so */
    }
    /* stop: answer nobody further, remove what we created */
    for (int i = 0; i < d.npools; i++)
        scl_pool_destroy(d.pools[i].pool);
    while (d.waiters) {
        waiter *w = d.waiters;
        d.waiters = w->next;
        waiter_free(w);
    }
    while (d.flights) {
        flight *f = d.flights;
        d.flights = f->next;
        free(f);
    }
    zloop_destroy(&d.loop);
    zsock_destroy(&d.router);
    scl_cache_destroy(d.cache);
    if (st == SCL_OK || st != SCL_EIO) {
        /* remove our connection file only if it is still ours */
        json_t *cf = json_load_file(d.conn_file, 0, NULL);
        if (cf && json_integer_value(json_object_get(cf, "pid")) == getpid())
            remove(d.conn_file);
        json_decref(cf);
    }
    scl_endpoint_destroy(&d.endpoint); /* after the router: removes its socket file */
    return st;
}
