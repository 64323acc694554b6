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
    json_t *params;       /* object or NULL (borrowed from header): checked against the customizer */
    json_t *defines;      /* object or NULL (borrowed): any top-level variable, like OpenSCAD's -D */
    const char *format;   /* binstl | asciistl | off | 3mf | svg | dxf | mesh */
    const char *quality;  /* full | preview */
    const char *renderer; /* NULL = the bridge's default */
    uint64_t deadline_ms; /* 0 = the bridge's default; fractions rounded up */
    /* params */
    const char *title;
    /* cancel */
    const char *target;
} scl_request;

/* Parse frames (ownership stays with the caller). On failure returns
 * SCL_EPARSE / SCL_ETOOBIG and fills err; if an id could be read it is in
 * out->id so the error reply can carry it. */
SCL_MUST_CHECK scl_status scl_protocol_parse(zmsg_t *msg, scl_request *out, scl_error *err);
void scl_request_clear(scl_request *req);

struct scl_overrides;

/* The -D values of a parsed render request, checked: `params` against the
 * model's customizer schema (every name one of its parameters, or a $special
 * variable: an unknown name is an error naming the closest parameter; types
 * and dropdown options as the schema says), then `defines` on top (any
 * top-level variable, unchecked, like OpenSCAD's own -D), and $fn=24 for
 * quality "preview" unless set. *values gets the merged object (for the
 * render key), *ov the -D arguments. On failure err->field names the
 * parameter, or *syntax is 1 when the model itself does not parse. */
SCL_MUST_CHECK scl_status scl_request_render_values(const scl_request *req, json_t **values, struct scl_overrides **ov,
                                     int *syntax, scl_error *err);

/* Build a reply: [identity] "SCL1" header [payload frames...]. The header
 * is consumed (decref'd); NULL when it is NULL or memory runs out. */
zmsg_t *scl_protocol_reply(zframe_t *identity, json_t *header);

/* Error reply header {"type":"error","id","code","message"[,"file","line","field"]};
 * NULL when memory runs out (scl_protocol_reply then returns NULL too). */
json_t *scl_protocol_error(const char *id, const char *code, const char *message, const char *file,
                           long line, const char *field);

#endif
