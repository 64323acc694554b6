/*
 * endpoint.h - where the bridge listens, and who may connect.
 *
 * The rule: no endpoint is served without protection (docs/bridge.md,
 * "Security model").
 *
 *   - ipc:// whose socket lies in a private directory (a directory owned by
 *     this user that no one else may enter: mode & 077 == 0) needs nothing
 *     more: the kernel keeps other users out. The socket itself is 0600.
 *   - Every other endpoint (tcp://, ws://, abstract ipc://@name, ipc:// in a
 *     directory others can enter) uses CURVE with client authentication: at
 *     bind time the bridge makes a fresh server key pair and a fresh client
 *     key pair (libzmq's zmq_curve_keypair) and accepts only clients that
 *     present that client key; a ZAP handler served from the bridge's loop
 *     checks it. The keys clients need go into the 0600 connection file, so
 *     whoever can read that file can connect, and no one else.
 *
 * With no endpoint asked for, the bridge binds ipc:// in the first private
 * directory that works: the runtime directory ($XDG_RUNTIME_DIR/scadlive or
 * /tmp/scadlive-UID), then /tmp/scadlive-UID, then a fresh mkdtemp directory
 * (when the others are unusable, e.g. a socket path longer than a Unix
 * socket allows: 107 bytes). It never falls back to another transport: if
 * none works, binding fails with a message that says why for each.
 *
 * Clients (the CLI, tests; python/scadlive mirrors it) connect with
 * scl_endpoint_connect, from the connection file alone.
 */
#ifndef SCL_ENDPOINT_H
#define SCL_ENDPOINT_H

#include <czmq.h>
#include <jansson.h>

#include "error.h"

typedef struct scl_endpoint scl_endpoint;

/* Bind `router` to `requested` (NULL = private ipc as above), setting up
 * CURVE first when the endpoint needs it. `requested` may use an ephemeral
 * TCP port (tcp://127.0.0.1:0 or :*); the real one is what
 * scl_endpoint_address returns. NULL on failure, with err set. */
scl_endpoint *scl_endpoint_bind(zsock_t *router, const char *requested, scl_error *err);

/* Serve ZAP (the CURVE client check) from `loop`; nothing to do for private
 * ipc. Until this is called, CURVE clients wait in their handshake. */
SCL_MUST_CHECK scl_status scl_endpoint_attach(scl_endpoint *ep, zloop_t *loop, scl_error *err);

/* The endpoint actually bound, as clients must connect to it. */
const char *scl_endpoint_address(const scl_endpoint *ep);

/* 1 if clients need the CURVE keys of the connection file. */
int scl_endpoint_uses_curve(const scl_endpoint *ep);

/* Add what a client needs to a connection file object: "endpoint",
 * "security" ("private-ipc" or "curve") and, for CURVE, "curve":
 * {"serverkey", "publickey", "secretkey"} (Z85, named after ZeroMQ's socket
 * options ZMQ_CURVE_SERVERKEY/PUBLICKEY/SECRETKEY). */
SCL_MUST_CHECK scl_status scl_endpoint_describe(const scl_endpoint *ep, json_t *conn, scl_error *err);

/* Remove the socket file and any directory made for it, close the ZAP
 * handler. Call after the router is closed (and its loop destroyed). */
void scl_endpoint_destroy(scl_endpoint **ep);

/* Client side: connect `dealer` to the bridge a connection file describes,
 * with the file's CURVE keys when it has them. */
SCL_MUST_CHECK scl_status scl_endpoint_connect(zsock_t *dealer, const json_t *conn, scl_error *err);

/* Watch `sock`'s handshakes (call before connecting): a bridge that refuses
 * our CURVE key, or wants keys the connection file did not give, is then
 * known at once instead of by a timeout. Returns the monitor socket to poll
 * beside `sock` (NULL if it cannot be watched); scl_endpoint_unwatch before
 * destroying `sock`. */
zsock_t *scl_endpoint_watch(zsock_t *sock);
void scl_endpoint_unwatch(zsock_t *sock, zsock_t **monitor);

/* Read one event from a readable monitor: SCL_OK if it does not end the
 * connection's chances, SCL_EIO with a message saying why the bridge will
 * never answer (key refused, security mechanism mismatch). */
SCL_MUST_CHECK scl_status scl_endpoint_check(zsock_t *monitor, scl_error *err);

/* Make `path` a private directory: create it (0700) if missing, check that
 * it is a directory (not a symlink) owned by this user, and remove group and
 * other permissions if it has any. */
SCL_MUST_CHECK scl_status scl_private_dir(const char *path, scl_error *err);

/* The runtime directory: $XDG_RUNTIME_DIR/scadlive, or /tmp/scadlive-UID
 * without XDG_RUNTIME_DIR; made private with scl_private_dir. */
SCL_MUST_CHECK scl_status scl_endpoint_runtime_dir(char *out, size_t cap, scl_error *err);

#endif
