/*
 * daemon.h - the render bridge: a ZeroMQ ROUTER that serves render,
 * params, cancel, stats and ping requests (docs/protocol.md) from a pool of
 * OpenSCAD renderers, through the core's result cache (identical requests
 * render once; finished ones come from memory).
 *
 * It binds ipc:// in a private runtime directory (mode 0700) by default;
 * any other endpoint gets CURVE keys that only the connection file holds
 * (endpoint.h). It writes the connection file (0600: endpoint, keys, pid,
 * version, protocol) and removes it and its socket when it stops: on
 * SIGTERM/SIGINT, or when its parent (--parent-pid) dies.
 */
#ifndef SCL_DAEMON_H
#define SCL_DAEMON_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef struct scl_daemon_config {
    const char *endpoint;        /* NULL = ipc in the runtime dir */
    const char *connection_file; /* NULL = default (scl_daemon_default_connection_file) */
    int workers;                 /* 0 = cores */
    const char *backend;         /* "wasm" (default) or "openscad": requests that name none */
    const char *renderers;       /* backends clients may ask for, "wasm,openscad"; NULL = backend only */
    size_t queue_limit;          /* 0 = 64 jobs waiting or running */
    size_t cache_bytes;          /* 0 = 256 MiB */
    uint64_t cache_ttl_ms;       /* 0 = no expiry */
    int parent_pid;              /* 0 = none */
    const char *self_exe;        /* this binary (renderer-openscad workers) */
    const char *source_dir;      /* where renderer/ and build/openscad/ are */
    uint64_t default_deadline_ms; /* for renders that set none; 0 = none (`scadlive bridge`: 300 s) */
    size_t client_buffer_bytes;  /* unread replies held per client; 0 = SCL_PEERS_DEFAULT_CAP (256 MiB) */
    uint64_t renderer_start_timeout_ms; /* a renderer not ready this long after starting or its last
                                           reply is replaced; 0 = SCL_POOL_START_TIMEOUT_MS (60 s) */
    const char *trace_file;      /* NULL = no tracing; else one JSON line per render appended to it:
                                    where its time went (docs/benchmarks.md) */
} scl_daemon_config;

#define SCL_DAEMON_DEFAULT_DEADLINE_MS 300000

/* Run until stopped. Returns SCL_OK on a clean stop. */
SCL_MUST_CHECK scl_status scl_daemon_run(const scl_daemon_config *config, scl_error *err);

/* $XDG_RUNTIME_DIR/scadlive or /tmp/scadlive-UID, created 0700 and checked
 * to belong to us; writes the directory path into out
 * (scl_endpoint_runtime_dir). */
SCL_MUST_CHECK scl_status scl_daemon_runtime_dir(char *out, size_t cap, scl_error *err);

/* <runtime dir>/bridge.json, or $SCADLIVE_CONNECTION_FILE. */
SCL_MUST_CHECK scl_status scl_daemon_default_connection_file(char *out, size_t cap, scl_error *err);

#endif
