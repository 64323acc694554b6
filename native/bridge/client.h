/*
 * client.h - a blocking bridge client for the CLI (render, stats).
 *
 * Finds the bridge through its connection file, sends one request and
 * waits for the reply with the same id, up to a timeout; checks that the
 * bridge process is alive while waiting (every 200 ms), so a dead bridge is
 * an error, not a hang. A request over the protocol's size limit is refused
 * here (SCL_ETOOBIG) without being sent.
 */
#ifndef SCL_CLIENT_H
#define SCL_CLIENT_H

#include <czmq.h>
#include <jansson.h>

#include "error.h"

typedef struct scl_client scl_client;

/* Connect using the connection file at `path`. SCL_ENOTFOUND if there is
 * no file or its bridge is not running. */
SCL_MUST_CHECK scl_status scl_client_connect(const char *path, scl_client **out, scl_error *err);
void scl_client_destroy(scl_client *c);

/* Send header (consumed; an "id" is added) and wait up to timeout_ms for
 * the terminal reply. *reply gets the message (frames: magic, header,
 * payload...) and *reply_header the parsed header (both owned by caller). */
SCL_MUST_CHECK scl_status scl_client_request(scl_client *c, json_t *header, int timeout_ms, zmsg_t **reply,
                              json_t **reply_header, scl_error *err);

int scl_client_bridge_pid(const scl_client *c);

/* The bridge is a child of this process (a private bridge): watch it with
 * waitpid, which reaps it when it dies, so a crash is noticed at once. */
void scl_client_watch_child(scl_client *c);
/* 1 if that child has exited (and was reaped); its wait status in *status. */
int scl_client_child_exited(const scl_client *c, int *status);

#endif
