/* libFuzzer target: OpenSCAD's log (renderer output, outside data) parsed
 * into message lines and classified must never crash, hang or leak on any
 * input; every classification has a code, a reason and a message. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oslog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* the log is NUL-terminated text; the first line doubles as the source */
    char *log = malloc(size + 1);
    if (!log)
        return 0;
    memcpy(log, data, size);
    log[size] = 0;
    json_t *lines = scl_oslog_lines(log, 16);
    if (!lines || json_array_size(lines) > 17)
        abort();
    json_decref(lines);
    scl_oslog_failure f;
    scl_oslog_classify(log, "dir/model.scad", log, size % 2 ? "svg" : "binstl", &f);
    if (!f.code || !f.reason || !f.message[0] || strlen(f.file) >= sizeof f.file)
        abort();
    free(log);
    return 0;
}
