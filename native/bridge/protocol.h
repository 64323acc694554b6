/*
 * protocol.h - the bridge's wire format (docs/protocol.md).
 *
 * A message is a ZeroMQ multipart: frame 0 is the magic "SCL1" (protocol
 * version 1), frame 1 a compact JSON header, further frames binary payload.
 * scl_protocol_parse validates a request completely before the daemon acts
 * on it: the type is known, every field it needs is present with the right
 * JSON type and within its limits. Errors name the field.
 */
#ifndef SCL_PROTOCOL_H
#define SCL_PROTOCOL_H

#include <czmq.h>
#include <jansson.h>

#include "error.h"

#define SCL_PROTOCOL_MAGIC "SCL1"
#define SCL_PROTOCOL_VERSION 1
#define SCL_PROTOCOL_MAX_REQUEST ((size_t)64 << 20)
#define SCL_PROTOCOL_MAX_ID 128

typedef enum scl_request_type {
    SCL_REQ_PING,
    SCL_REQ_PARAMS,
    SCL_REQ_RENDER,
    SCL_REQ_CANCEL,
    SCL_REQ_STATS,
    SCL_REQ_BYE
} scl_request_type;

typedef struct scl_request {
    scl_request_type type;
    char id[SCL_PROTOCOL_MAX_ID + 1];
    json_t *header; /* the whole header (owned) */
    /* render */
    const char *source;
    const char *name;     /* model file name or path, for messages ("model.scad") */
    json_t *files;        /* {path: base64} built from the request (owned) */
    json_t *params;       /* object or NULL (borrowed from header) */
    const char *format;   /* binstl | asciistl | off | 3mf | svg | dxf | mesh */
    const char *quality;  /* full | preview */
    const char *renderer; /* NULL = the bridge's default */
    uint64_t deadline_ms;
    /* params */
    const char *title;
    /* cancel */
    const char *target;
} scl_request;

/* Parse frames (ownership stays with the caller). On failure returns
 * SCL_EPARSE / SCL_ETOOBIG and fills err; if an id could be read it is in
 * out->id so the error reply can carry it. */
scl_status scl_protocol_parse(zmsg_t *msg, scl_request *out, scl_error *err);
void scl_request_clear(scl_request *req);

/* Build a reply: [identity] "SCL1" header [payload frames...]. The header
 * is consumed (decref'd). */
zmsg_t *scl_protocol_reply(zframe_t *identity, json_t *header);

/* Error reply header {"type":"error","id","code","message"[,"file","line","field"]}. */
json_t *scl_protocol_error(const char *id, const char *code, const char *message, const char *file,
                           long line, const char *field);

#endif
