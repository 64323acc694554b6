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
#include "peers.h"
#include "pool.h"
#include "protocol.h"
#include "zip3mf.h"

#define LATENCY_SAMPLES 1024
#define TICK_MS 50

/* One client request waiting for a render (the one that started it, or one
 * that joined it: same key, same render). */
typedef struct waiter {
    uint64_t token;
    zframe_t *identity;
    char id[SCL_PROTOCOL_MAX_ID + 1];
    char format[16];
    char model[128];      /* the model's file name, for messages */
    char title[256];      /* the model's name without extension (3MF object name) */
    scl_key key;
    uint64_t flight;      /* job id of the render it waits for */
    int64_t received;     /* zclock_mono ms */
    double t_received;    /* tracing: CLOCK_MONOTONIC ms, sub-millisecond */
    int64_t probed;       /* last progress message */
    int64_t deadline;     /* zclock_mono ms; 0 = none */
    uint64_t deadline_ms; /* as asked (or the bridge's default), for messages */
    struct waiter *next;
} waiter;

/* One render in the pool, shared by every waiter with its key. Its job id is
 * the token of the waiter that started it; it runs while any waiter wants it,
 * until the latest of their deadlines. */
typedef struct flight {
    uint64_t job_id;
    scl_key key;
    int pool_index;
    int64_t deadline; /* the latest of its waiters' deadlines; 0 = one has none */
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
    scl_peers *peers;
    zlist_t *gone; /* identities of clients a reply found disconnected */
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
    int64_t last_slow_tick;
    FILE *trace;             /* cfg->trace_file, open for appending, or NULL */
    double t_request;        /* tracing: when the request being handled was read */
} bridge;

static double mono_ms(void) { return (double)zclock_usecs() / 1e3; }

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

/* Replies never block (peers.h). A client found disconnected, or over its
 * byte cap, has its requests cancelled from the event loop's next turn
 * (process_cancellations), not from inside the reply that noticed it:
 * replies are sent from the middle of list walks and pool callbacks. */
static void send_msg(bridge *d, zmsg_t *m)
{
    if (!m) {
        zsys_error("scadlive bridge: out of memory: a reply could not be built");
        return;
    }
    zframe_t *identity = zmsg_first(m);
    zframe_t *copy = identity ? zframe_dup(identity) : NULL;
    if (scl_peers_send(d->peers, &m) == SCL_SEND_GONE && copy && zlist_append(d->gone, copy) == 0)
        copy = NULL;
    zframe_destroy(&copy);
}

static void reply_error(bridge *d, zframe_t *identity, const char *id, const char *code,
                        const char *message, const char *file, long line, const char *field)
{
    d->errors++;
    send_msg(d, scl_protocol_reply(identity, scl_protocol_error(id, code, message, file, line, field)));
}

/* ---------------------------------------------------------- results */

static json_t *result_meta(const scl_pool_result *r, const scl_mesh_stats *s)
{
    json_t *meta = json_pack("{s:I,s:{s:[f,f,f],s:[f,f,f]},s:f,s:f,s:s,s:b}", "triangles",
                             (json_int_t)s->triangles, "bbox", "min", s->min[0], s->min[1], s->min[2], "max",
                             s->max[0], s->max[1], s->max[2], "volume", s->volume, "render_ms", r->render_ms,
                             "log", r->log ? r->log : "", "watertight", s->watertight);
    if (meta && json_object_set_new(meta, "messages", scl_oslog_lines(r->log, 0)) != 0) {
        json_decref(meta);
        meta = NULL;
    }
    return meta;
}

/* The error reply of a failed render: the classified cause (code, reason,
 * message, file, line) with OpenSCAD's log and its message lines. A 2D/3D
 * mismatch is worded for the `format` this waiter asked for (the render may
 * have been made as OFF for a 3MF request, or for another waiter's format). */
static void reply_render_error(bridge *d, zframe_t *identity, const char *id, const char *format,
                               const scl_pool_result *r)
{
    d->errors++;
    scl_oslog_failure f = {.reason = r->reason};
    const char *message = r->message;
    if (r->reason && format) {
        scl_oslog_reword_for_format(&f, format);
        if (f.message[0])
            message = f.message;
    }
    json_t *h = scl_protocol_error(id, r->code, message, r->file, r->line, NULL);
    int rc = 0;
    if (r->reason)
        rc |= json_object_set_new(h, "reason", json_string(r->reason));
    rc |= json_object_set_new(h, "log", json_string(r->log ? r->log : ""));
    rc |= json_object_set_new(h, "messages", scl_oslog_lines(r->log, 0));
    if (r->render_ms > 0)
        rc |= json_object_set_new(h, "render_ms", json_real(r->render_ms));
    if (rc != 0) { /* out of memory: the short error rather than one missing its log */
        json_decref(h);
        h = scl_protocol_error(id, r->code, "out of memory building the error reply", NULL, 0, NULL);
    }
    send_msg(d, scl_protocol_reply(identity, h));
}

/* Reply with a cached/just-made payload in the waiter's format. */
static void reply_result(bridge *d, waiter *w, const uint8_t *data, size_t len, const char *meta_text,
                         const char *cache_state)
{
    if (scl_peers_over_cap(d->peers, w->identity)) {
        scl_peers_count_dropped(d->peers); /* its replies are being dropped (peers.h): do not build it */
        return;
    }
    json_t *meta = json_loads(meta_text ? meta_text : "{}", 0, NULL);
    if (!meta)
        meta = json_object();
    json_t *extra = json_pack("{s:s,s:s,s:s,s:s,s:f}", "type", "result", "id", w->id, "cache", cache_state,
                              "format", w->format, "total_ms", (double)(zclock_mono() - w->received));
    if (!meta || !extra || json_object_update(meta, extra) != 0) {
        json_decref(meta);
        json_decref(extra);
        reply_error(d, w->identity, w->id, "RENDER", "out of memory building the reply", NULL, 0, NULL);
        return;
    }
    json_decref(extra);
    zmsg_t *m;
    int ok = 1;
    if (!strcmp(w->format, "mesh")) {
        scl_mesh *mesh = NULL;
        scl_error err;
        if (scl_mesh_parse(data, len, SCL_MESH_AUTO, NULL, &mesh, &err) != SCL_OK) {
            json_decref(meta);
            reply_error(d, w->identity, w->id, "RENDER", err.message, NULL, 0, NULL);
            return;
        }
        const float *colors = scl_mesh_face_colors(mesh);
        ok &= json_object_set_new(meta, "vertices", json_integer((json_int_t)scl_mesh_vertex_count(mesh))) == 0;
        ok &= json_object_set_new(meta, "frames", json_pack("[s,s,s]", "positions:float32le", "indices:uint32le",
                                                            colors ? "face_colors:float32le" : "none")) == 0;
        m = scl_protocol_reply(w->identity, meta);
        ok &= m && zmsg_addmem(m, scl_mesh_positions(mesh), scl_mesh_vertex_count(mesh) * 3 * sizeof(float)) == 0;
        ok &= m && zmsg_addmem(m, scl_mesh_indices(mesh), scl_mesh_triangle_count(mesh) * 3 * sizeof(uint32_t)) == 0;
        if (colors)
            ok &= m && zmsg_addmem(m, colors, scl_mesh_triangle_count(mesh) * 4 * sizeof(float)) == 0;
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
        ok &= json_object_set_new(meta, "bytes", json_integer((json_int_t)zlen)) == 0;
        m = scl_protocol_reply(w->identity, meta);
        ok &= m && zmsg_addmem(m, zip, zlen) == 0;
        free(zip);
    } else {
        ok &= json_object_set_new(meta, "bytes", json_integer((json_int_t)len)) == 0;
        m = scl_protocol_reply(w->identity, meta);
        ok &= m && zmsg_addmem(m, data, len) == 0;
    }
    if (!ok) {
        zmsg_destroy(&m);
        reply_error(d, w->identity, w->id, "RENDER", "out of memory building the reply", NULL, 0, NULL);
        return;
    }
    send_msg(d, m);
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

/* Take out the next waiter of a flight, or NULL when none is left. */
static waiter *take_waiter_of(bridge *d, uint64_t job_id)
{
    for (waiter *w = d->waiters; w; w = w->next)
        if (w->flight == job_id)
            return take_waiter(d, w->token);
    return NULL;
}

static int flight_has_waiters(const bridge *d, uint64_t job_id)
{
    for (const waiter *w = d->waiters; w; w = w->next)
        if (w->flight == job_id)
            return 1;
    return 0;
}

static void waiter_free(waiter *w)
{
    if (w)
        zframe_destroy(&w->identity);
    free(w);
}

static flight *find_flight(bridge *d, uint64_t job_id)
{
    for (flight *f = d->flights; f; f = f->next)
        if (f->job_id == job_id)
            return f;
    return NULL;
}

static flight *find_flight_by_key(bridge *d, const scl_key *key)
{
    for (flight *f = d->flights; f; f = f->next)
        if (!memcmp(f->key.bytes, key->bytes, sizeof key->bytes))
            return f;
    return NULL;
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

/* A render finished (or failed, timed out, was cancelled): answer every
 * waiter still attached to it. */
static void on_pool_done(const scl_pool_result *r, void *user)
{
    pool_slot *slot = user;
    bridge *d = slot->d;
    flight *f = take_flight(d, r->id);
    if (!f)
        return; /* nobody waits for it any more */
    uint64_t *tokens = NULL; /* the cache's list of joined waiters: ours is the flight's */
    size_t ntokens = 0;
    waiter *w;
    char *meta_text = NULL;
    double t_start = d->trace ? mono_ms() : 0, t_parsed = 0, t_cached = 0;
    const waiter *first = NULL; /* tracing: the request that started the render */
    for (const waiter *o = d->trace ? d->waiters : NULL; o; o = o->next)
        if (o->token == f->job_id)
            first = o;
    double t_received = first ? first->t_received : 0;
    char trace_id[SCL_PROTOCOL_MAX_ID + 1] = "";
    if (first)
        snprintf(trace_id, sizeof trace_id, "%s", first->id);
    if (r->ok) {
        scl_mesh *mesh = NULL;
        scl_error err;
        scl_mesh_stats s = {0};
        if (scl_mesh_parse(r->payload, r->payload_len, SCL_MESH_AUTO, NULL, &mesh, &err) == SCL_OK) {
            scl_mesh_get_stats(mesh, &s);
            scl_mesh_destroy(mesh);
        }
        json_t *meta = result_meta(r, &s);
        meta_text = meta ? json_dumps(meta, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
        json_decref(meta);
        t_parsed = d->trace ? mono_ms() : 0;
    }
    if (meta_text) {
        scl_error err;
        if (scl_cache_complete(d->cache, f->key.bytes, 16, (uint64_t)zclock_mono(), r->payload, r->payload_len,
                               meta_text, &tokens, &ntokens, &err) != SCL_OK)
            zsys_warning("scadlive bridge: cache: %s", err.message);
        record(&d->render_ms, r->render_ms);
        record(&d->queue_ms, r->queue_ms);
        t_cached = d->trace ? mono_ms() : 0;
        while ((w = take_waiter_of(d, f->job_id))) {
            reply_result(d, w, r->payload, r->payload_len, meta_text, w->token == f->job_id ? "miss" : "joined");
            waiter_free(w);
        }
        free(meta_text);
    } else { /* failed, or out of memory describing the result: neither cached nor sent without its metadata */
        if (scl_cache_fail(d->cache, f->key.bytes, 16, &tokens, &ntokens, NULL) != SCL_OK)
            tokens = NULL;
        while ((w = take_waiter_of(d, f->job_id))) {
            if (r->ok)
                reply_error(d, w->identity, w->id, "RENDER", "out of memory building the reply", NULL, 0, NULL);
            else
                reply_render_error(d, w->identity, w->id, w->format, r);
            waiter_free(w);
        }
    }
    if (d->trace && r->trace && first) {
        /* one line per render: every stage's CLOCK_MONOTONIC ms (docs/benchmarks.md) */
        double t_replied = mono_ms();
        json_t *t = json_deep_copy(r->trace);
        json_object_set_new(t, "received", json_real(t_received));
        json_object_set_new(t, "done", json_real(t_start));
        json_object_set_new(t, "parsed", json_real(t_parsed));
        json_object_set_new(t, "cached", json_real(t_cached));
        json_object_set_new(t, "replied", json_real(t_replied));
        json_object_set_new(t, "id", json_string(trace_id));
        json_object_set_new(t, "render_ms", json_real(r->render_ms));
        if (json_dumpf(t, d->trace, JSON_COMPACT) == 0)
            fputc('\n', d->trace);
        fflush(d->trace);
        json_decref(t);
    }
    free(tokens);
    free(f);
}

/* One waiter leaves with a terminal reply (CANCELLED, TIMEOUT). Its render
 * goes on for the other waiters of its flight; when none is left, it is
 * stopped and its cache slot dropped. */
static void detach_waiter(bridge *d, waiter *w, const char *code, const char *message)
{
    w = take_waiter(d, w->token);
    if (!w)
        return;
    scl_cache_cancel_waiter(d->cache, w->key.bytes, 16, w->token); /* 0 for the one that started it */
    flight *f = w->flight ? find_flight(d, w->flight) : NULL;
    reply_error(d, w->identity, w->id, code, message, NULL, 0, NULL);
    if (f && !flight_has_waiters(d, f->job_id)) {
        f = take_flight(d, f->job_id);
        uint64_t promoted;
        while (scl_cache_abandon(d->cache, f->key.bytes, 16, &promoted))
            ; /* every waiter the cache knew was one of ours, and is gone */
        scl_pool_cancel(d->pools[f->pool_index].pool, f->job_id); /* its result finds no flight */
        free(f);
    }
    waiter_free(w);
}

static void cancel_client(bridge *d, const zframe_t *identity, const char *why)
{
    for (;;) {
        waiter *w = d->waiters;
        while (w && !zframe_eq(w->identity, (zframe_t *)identity))
            w = w->next;
        if (!w)
            return;
        detach_waiter(d, w, "CANCELLED", why); /* changes the list: look again */
    }
}

/* Requests of clients that went away or stopped reading (see send_msg). */
static void process_cancellations(bridge *d)
{
    zframe_t *id;
    while ((id = scl_peers_take_overflowed(d->peers))) {
        cancel_client(d, id, "the client stopped reading its replies");
        zframe_destroy(&id);
    }
    while ((id = zlist_pop(d->gone))) {
        cancel_client(d, id, "the client went away");
        zframe_destroy(&id);
    }
}

/* Waiters past their own deadline get TIMEOUT; their render stops only if
 * nobody else waits for it. */
static void expire_waiters(bridge *d)
{
    int64_t now = zclock_mono();
    for (;;) {
        waiter *w = d->waiters;
        while (w && !(w->deadline && now >= w->deadline))
            w = w->next;
        if (!w)
            return;
        int shared = 0;
        for (waiter *o = d->waiters; o; o = o->next)
            shared |= o != w && o->flight == w->flight;
        char msg[400];
        snprintf(msg, sizeof msg, "%s: no result within the deadline of %llu ms; %s", w->model,
                 (unsigned long long)w->deadline_ms,
                 shared ? "the render goes on for other requests" : "the render was stopped");
        detach_waiter(d, w, "TIMEOUT", msg);
    }
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
    scl_pool_config pc = {.workers = d->cfg->workers, .backend = backend, .self_exe = d->cfg->self_exe,
                          .source_dir = d->cfg->source_dir, .trace = d->trace != NULL,
                          .start_timeout_ms = d->cfg->renderer_start_timeout_ms};
    s->pool = scl_pool_new(&pc, d->loop, on_pool_done, s, err);
    if (!s->pool)
        return NULL;
    d->npools++;
    return s;
}

static void handle_render(bridge *d, zframe_t *identity, scl_request *req)
{
    scl_error err;
    scl_error_clear(&err);
    const char *base = strrchr(req->name, '/');
    base = base ? base + 1 : req->name;
    json_t *values = NULL;
    scl_overrides *ov = NULL;
    int syntax;
    scl_status st = scl_request_render_values(req, &values, &ov, &syntax, &err);
    if (syntax) {
        /* the customizer parser found a syntax error, as OpenSCAD would */
        reply_error(d, identity, req->id, "SYNTAX", err.message, base, err.line, NULL);
        return;
    }
    if (st != SCL_OK) {
        reply_error(d, identity, req->id, st == SCL_ENOMEM ? "RENDER" : "PROTOCOL", err.message, NULL, 0,
                    err.field[0] ? err.field : "params");
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
    const char **defines = calloc(scl_overrides_count(ov) + 1, sizeof *defines);
    waiter *w = calloc(1, sizeof *w);
    flight *f = calloc(1, sizeof *f); /* freed below if the request joins or is answered at once */
    if (w)
        w->identity = zframe_dup(identity);
    scl_key key;
    st = refs && defines && w && w->identity && f ? SCL_OK : scl_error_set(&err, SCL_ENOMEM, "out of memory");
    if (st == SCL_OK) {
        const char *path;
        json_t *content;
        json_object_foreach(req->files, path, content) {
            refs[k].path = path;
            refs[k].content = json_string_value(content);
            refs[k].content_len = json_string_length(content);
            k++;
        }
        scl_render_inputs in = {req->source, strlen(req->source), refs, k, values, slot->backend,
                                scl_pool_renderer(slot->pool), out_format, req->quality};
        st = scl_render_key(&in, &key, &err);
    }
    free(refs);
    json_decref(values);
    if (st != SCL_OK) {
        free(defines);
        free(f);
        waiter_free(w);
        scl_overrides_destroy(ov);
        reply_error(d, identity, req->id, "RENDER", err.message, NULL, 0, NULL);
        return;
    }
    w->token = ++d->next_token;
    snprintf(w->id, sizeof w->id, "%s", req->id);
    snprintf(w->format, sizeof w->format, "%s", req->format);
    snprintf(w->model, sizeof w->model, "%s", base);
    scl_params_title_from_path(req->name, w->title, sizeof w->title);
    w->key = key;
    w->received = zclock_mono();
    w->t_received = d->t_request;
    w->deadline_ms = req->deadline_ms ? req->deadline_ms : d->cfg->default_deadline_ms;
    w->deadline = w->deadline_ms ? w->received + (int64_t)w->deadline_ms : 0;
    scl_cache_outcome outcome = SCL_CACHE_MISS;
    scl_cache_value v;
    if (scl_cache_acquire(d->cache, key.bytes, 16, (uint64_t)zclock_mono(), w->token, &outcome, &v, &err) != SCL_OK)
        st = err.code;
    if (st == SCL_OK && outcome == SCL_CACHE_HIT) {
        /* a finished result costs no renderer: served even when the queue is full */
        reply_result(d, w, v.data, v.len, v.meta, "hit");
        st = SCL_EBUSY; /* done: fall through to the clean-up */
    } else if (st == SCL_OK && d->active >= d->queue_limit) {
        uint64_t promoted;
        if (outcome == SCL_CACHE_JOINED)
            scl_cache_cancel_waiter(d->cache, key.bytes, 16, w->token);
        else
            while (scl_cache_abandon(d->cache, key.bytes, 16, &promoted))
                ;
        d->busy_refusals++;
        char msg[128];
        snprintf(msg, sizeof msg, "the bridge has %zu requests in progress, its limit; retry later", d->active);
        reply_error(d, identity, req->id, "BUSY", msg, NULL, 0, NULL);
        st = SCL_EBUSY;
    } else if (st != SCL_OK) {
        reply_error(d, identity, req->id, "RENDER", err.message, NULL, 0, NULL);
    }
    if (st != SCL_OK) {
        free(defines);
        free(f);
        waiter_free(w);
        scl_overrides_destroy(ov);
        return;
    }
    w->next = d->waiters;
    d->waiters = w;
    d->active++;
    flight *joined = outcome == SCL_CACHE_JOINED ? find_flight_by_key(d, &key) : NULL;
    if (joined) {
        /* the render runs until the latest deadline of its waiters */
        w->flight = joined->job_id;
        if (joined->deadline && (!w->deadline || w->deadline > joined->deadline)) {
            joined->deadline = w->deadline;
            scl_pool_set_deadline(d->pools[joined->pool_index].pool, joined->job_id, joined->deadline);
        }
        free(f);
        free(defines);
        scl_overrides_destroy(ov);
        return;
    }
    if (outcome == SCL_CACHE_JOINED) /* a pending slot with no flight: cannot be; render anyway */
        scl_cache_cancel_waiter(d->cache, key.bytes, 16, w->token);
    /* this request starts the render */
    f->job_id = w->token;
    f->key = key;
    f->pool_index = slot->index;
    f->deadline = w->deadline;
    f->next = d->flights;
    d->flights = f;
    w->flight = f->job_id;
    for (size_t i = 0; i < scl_overrides_count(ov); i++)
        defines[i] = scl_overrides_arg(ov, i);
    scl_pool_job job = {w->token, base, req->source, req->files, defines, scl_overrides_count(ov), out_format,
                        w->deadline_ms};
    if (scl_pool_submit(slot->pool, &job, &err) != SCL_OK) {
        scl_pool_result r = {w->token, 0, "RENDER", err.message, "", 0, "", 0, 0, NULL, 0, NULL, NULL};
        on_pool_done(&r, slot);
    }
    free(defines);
    scl_overrides_destroy(ov);
}

static json_t *stats_json(bridge *d)
{
    scl_cache_stats cs;
    scl_cache_get_stats(d->cache, &cs);
    json_t *workers = json_object();
    int workers_ok = workers != NULL;
    int busy = 0, idle = 0, ready = 0, starting = 0;
    uint64_t restarted = 0;
    size_t queued = 0;
    for (int i = 0; i < d->npools; i++) {
        scl_pool_stats ps;
        scl_pool_get_stats(d->pools[i].pool, &ps);
        busy += ps.busy;
        idle += ps.idle;
        ready += ps.ready;
        starting += ps.starting;
        restarted += ps.restarted;
        queued += ps.queued;
        workers_ok &= json_object_set_new(workers, d->pools[i].backend,
                            json_pack("{s:i,s:i,s:i,s:i,s:I,s:s}", "busy", ps.busy, "idle", ps.idle, "ready",
                                      ps.ready, "starting", ps.starting, "restarted", (json_int_t)ps.restarted, "renderer",
                                      scl_pool_renderer(d->pools[i].pool))) == 0;
    }
    if (!workers_ok) { /* NULL makes the json_pack below fail: no statistics, not partial ones */
        json_decref(workers);
        workers = NULL;
    }
    uint64_t lookups = cs.hits + cs.misses + cs.joins;
    json_t *h = json_pack("{s:I,s:I,s:I,s:f,s:{s:I,s:I,s:I,s:I,s:I,s:I},s:{s:f,s:f},s:{s:f,s:f},s:I,s:I,s:{s:i,s:i,s:i,s:i,s:I,s:o}}",
                     "requests", (json_int_t)d->requests, "errors", (json_int_t)d->errors, "busy_refusals",
                     (json_int_t)d->busy_refusals, "hit_rate", lookups ? (double)cs.hits / (double)lookups : 0.0,
                     "cache", "hits", (json_int_t)cs.hits, "misses", (json_int_t)cs.misses, "joins",
                     (json_int_t)cs.joins, "bytes", (json_int_t)cs.bytes, "entries", (json_int_t)cs.entries,
                     "evictions", (json_int_t)(cs.evictions_lru + cs.evictions_ttl + cs.evictions_pressure),
                     "render_ms", "p50", percentile(&d->render_ms, 0.5), "p95", percentile(&d->render_ms, 0.95),
                     "queue_ms", "p50", percentile(&d->queue_ms, 0.5), "p95", percentile(&d->queue_ms, 0.95),
                     "in_progress", (json_int_t)d->active, "queue_depth", (json_int_t)queued, "workers", "busy",
                     busy, "idle", idle, "ready", ready, "starting", starting, "restarted", (json_int_t)restarted, "by_backend",
                     workers);
    if (h && json_object_set_new(h, "clients", json_pack("{s:I,s:I,s:I}", "pending_bytes",
                                                         (json_int_t)scl_peers_pending_total(d->peers), "cap_bytes",
                                                         (json_int_t)scl_peers_cap(d->peers), "dropped_replies",
                                                         (json_int_t)scl_peers_dropped(d->peers))) != 0) {
        json_decref(h);
        h = NULL;
    }
    return h;
}


static int handle_router(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void)loop;
    bridge *d = arg;
    zmsg_t *msg = zmsg_recv(sock);
    if (!msg)
        return 0;
    if (d->trace)
        d->t_request = mono_ms();
    zframe_t *identity = zmsg_pop(msg);
    if (!identity) {
        zmsg_destroy(&msg);
        return 0;
    }
    d->requests++;
    scl_request req;
    scl_error err;
    scl_error_clear(&err);
    scl_status st = scl_protocol_parse(msg, &req, &err);
    zmsg_destroy(&msg); /* the request points into its own header copy */
    if (st != SCL_OK) {
        reply_error(d, identity, req.id, st == SCL_ETOOBIG ? "TOO_LARGE" : "PROTOCOL", err.message, NULL, 0, err.field);
    } else {
        switch (req.type) {
        case SCL_REQ_PING: {
            json_t *renderers = json_array();
            int renderers_ok = renderers != NULL;
            for (const char *p = d->renderers; *p; p += strcspn(p, ","), p += *p == ',')
                renderers_ok &= json_array_append_new(renderers, json_stringn(p, strcspn(p, ","))) == 0;
            if (!renderers_ok) { /* out of memory: json_pack fails on NULL, no reply rather than a partial list */
                json_decref(renderers);
                renderers = NULL;
            }
            json_t *h = json_pack("{s:s,s:s,s:b,s:s,s:i,s:i,s:o}", "type", "result", "id", req.id, "pong", 1,
                                  "version", SCL_VERSION, "protocol", SCL_PROTOCOL_VERSION, "pid", (int)getpid(),
                                  "renderers", renderers);
            send_msg(d, scl_protocol_reply(identity, h));
            break;
        }
        case SCL_REQ_PARAMS: {
            /* the schema, and the names a Hidden group declares: clients send those in "defines" */
            json_t *schema = NULL, *hidden = NULL;
            if (scl_params_parse_with_hidden(req.source, strlen(req.source), req.title, &schema, &hidden, &err) !=
                SCL_OK)
                reply_error(d, identity, req.id, "SYNTAX", err.message, NULL, err.line, NULL);
            else
                send_msg(d, scl_protocol_reply(identity, json_pack("{s:s,s:s,s:o,s:o}", "type", "result", "id",
                                                                   req.id, "schema", schema, "hidden", hidden)));
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
                detach_waiter(d, target, "CANCELLED", "the render was cancelled");
            send_msg(d, scl_protocol_reply(identity, h));
            break;
        }
        case SCL_REQ_STATS: {
            json_t *h = stats_json(d), *tag = json_pack("{s:s,s:s}", "type", "result", "id", req.id);
            if (h && tag && json_object_update(h, tag) == 0) {
                send_msg(d, scl_protocol_reply(identity, h));
            } else {
                json_decref(h);
                reply_error(d, identity, req.id, "RENDER", "out of memory building the statistics", NULL, 0, NULL);
            }
            json_decref(tag);
            break;
        }
        case SCL_REQ_BYE:
            cancel_client(d, identity, "the client said bye");
            break;
        }
    }
    scl_request_clear(&req);
    zframe_destroy(&identity);
    process_cancellations(d);
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
    for (waiter *w = d->waiters; w; w = w->next) {
        if (now - w->received < 1000 || now - w->probed < 1000)
            continue;
        w->probed = now;
        send_msg(d, scl_protocol_reply(w->identity, json_pack("{s:s,s:s,s:f}", "type", "progress", "id", w->id,
                                                              "elapsed_ms", (double)(now - w->received))));
    }
}

/* Every TICK_MS: deadlines, clients gone or over their cap; every second:
 * progress, forgetting idle peers, the parent process. */
static int on_tick(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    bridge *d = arg;
    int64_t now = zclock_mono();
    expire_waiters(d);
    if (now - d->last_slow_tick >= 1000) {
        d->last_slow_tick = now;
        probe_waiters(d);
        scl_peers_sweep(d->peers);
    }
    process_cancellations(d);
    /* EPERM: a parent of another user (a bridge started under su/setuid) is alive */
    if (d->parent_pid > 0 && ((kill(d->parent_pid, 0) != 0 && errno == ESRCH) || getppid() != d->parent_pid)) {
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
    /* a reply to a peer that is gone fails at once (EHOSTUNREACH); replies
     * are bounded in bytes per peer by peers.c, not by a message count (a
     * full pipe would make a send block or fail for a reply we must keep) */
    zsock_set_router_mandatory(d->router, 1);
    zsock_set_sndhwm(d->router, 0);
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
    if (st == SCL_OK && cfg->trace_file && *cfg->trace_file && !(d.trace = fopen(cfg->trace_file, "ae")))
        st = scl_error_set(err, SCL_EIO, "cannot open the trace file %s: %s", cfg->trace_file, strerror(errno));
    if (st == SCL_OK)
        st = bind_router(&d, err);
    scl_cache_config cc = {cfg->cache_bytes, cfg->cache_ttl_ms};
    d.cache = scl_cache_new(&cc, NULL);
    d.loop = zloop_new();
    d.gone = zlist_new();
    d.peers = d.router ? scl_peers_new(d.router, cfg->client_buffer_bytes) : NULL;
    if (st == SCL_OK && (!d.cache || !d.loop || !d.gone || !d.peers))
        st = scl_error_set(err, SCL_ENOMEM, "out of memory starting the bridge");
    if (st == SCL_OK) {
        snprintf(d.pools[0].backend, sizeof d.pools[0].backend, "%s", d.default_backend);
        d.pools[0].d = &d;
        scl_pool_config pc = {.workers = cfg->workers, .backend = d.pools[0].backend, .self_exe = cfg->self_exe,
                              .source_dir = cfg->source_dir, .trace = d.trace != NULL,
                              .start_timeout_ms = cfg->renderer_start_timeout_ms};
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
    if (st == SCL_OK && (zloop_reader(d.loop, d.router, handle_router, &d) != 0 ||
                         zloop_timer(d.loop, TICK_MS, 0, on_tick, &d) < 0))
        st = scl_error_set(err, SCL_ENOMEM, "cannot set up the event loop");
    if (st == SCL_OK) {
        zsys_info("scadlive bridge %s listening on %s (%s; connection file %s); deadline %llu ms unless a "
                  "request sets one, at most %zu bytes of unread replies per client",
                  SCL_VERSION, scl_endpoint_address(d.endpoint),
                  scl_endpoint_uses_curve(d.endpoint) ? "CURVE: clients need the keys in the connection file"
                                                      : "private ipc: this user only",
                  d.conn_file, (unsigned long long)cfg->default_deadline_ms, scl_peers_cap(d.peers));
        zloop_start(d.loop); /* returns on a stop signal or when on_tick says so */
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
    scl_peers_destroy(&d.peers); /* frames ZeroMQ still holds keep their peer alive */
    for (zframe_t *id = d.gone ? zlist_pop(d.gone) : NULL; id; id = zlist_pop(d.gone))
        zframe_destroy(&id);
    zlist_destroy(&d.gone);
    scl_cache_destroy(d.cache);
    if (d.trace)
        fclose(d.trace);
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
