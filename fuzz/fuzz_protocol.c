/* libFuzzer target: the bridge's request parser on arbitrary frames.
 * Input layout: bytes split into frames at each 0xFF byte (fuzz_frames.h);
 * a request that parses must have a non-empty id and a known type. */
#include <czmq.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_frames.h"
#include "protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    zmsg_t *m = scl_fuzz_frames(data, size);
    scl_request req;
    scl_error err;
    scl_error_clear(&err);
    if (scl_protocol_parse(m, &req, &err) == SCL_OK) {
        if (!req.id[0])
            abort();
        if (req.type == SCL_REQ_RENDER && (!req.source || !req.format || !req.files))
            abort();
    } else if (err.code == SCL_OK) {
        abort(); /* a refusal must say why */
    }
    scl_request_clear(&req);
    zmsg_destroy(&m);
    return 0;
}
