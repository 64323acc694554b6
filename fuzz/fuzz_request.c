/* libFuzzer target: whole request messages, as the bridge handles them
 * before anything reaches a renderer: the frames (magic, JSON header,
 * payload frames) parsed and validated, then for a render the model's
 * customizer schema, the checked -D values (params and defines) and the
 * render key; every refusal becomes the error reply the bridge would send.
 * Input layout: bytes split into frames at each 0xFF byte (fuzz_frames.h).
 * Invariants: an accepted request has an id and a known type, a refusal
 * says why, an accepted render yields one "name=literal" per value. */
#include <czmq.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "overrides.h"
#include "fuzz_frames.h"
#include "protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    zmsg_t *m = scl_fuzz_frames(data, size);
    scl_request req;
    scl_error err;
    scl_error_clear(&err);
    const char *code = NULL;
    if (scl_protocol_parse(m, &req, &err) != SCL_OK) {
        if (err.code == SCL_OK)
            abort(); /* a refusal must say why */
        code = err.code == SCL_ETOOBIG ? "TOO_LARGE" : "PROTOCOL";
    } else {
        if (!req.id[0])
            abort();
        if (req.type == SCL_REQ_RENDER) {
            if (!req.source || !req.format || !req.quality || !req.files)
                abort();
            json_t *values = NULL;
            scl_overrides *ov = NULL;
            int syntax = 0;
            scl_error_clear(&err);
            if (scl_request_render_values(&req, &values, &ov, &syntax, &err) != SCL_OK) {
                if (err.code == SCL_OK || !err.message[0])
                    abort();
                code = syntax ? "SYNTAX" : "PROTOCOL";
            } else {
                if (scl_overrides_count(ov) != json_object_size(values))
                    abort();
                for (size_t i = 0; i < scl_overrides_count(ov); i++)
                    if (!strchr(scl_overrides_arg(ov, i), '='))
                        abort();
                scl_render_inputs in = {req.source, strlen(req.source), NULL, 0, values, "wasm", "fuzz",
                                        req.format, req.quality};
                scl_key key;
                if (scl_render_key(&in, &key, NULL) != SCL_OK)
                    abort();
            }
            json_decref(values);
            scl_overrides_destroy(ov);
        }
    }
    if (code) {
        zframe_t *identity = zframe_new("peer", 4);
        zmsg_t *reply = scl_protocol_reply(identity, scl_protocol_error(req.id, code, err.message, NULL, err.line,
                                                                        err.field));
        if (!reply || zmsg_size(reply) != 3)
            abort();
        zmsg_destroy(&reply);
        zframe_destroy(&identity);
    }
    scl_request_clear(&req);
    zmsg_destroy(&m);
    return 0;
}
