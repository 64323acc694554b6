/* libFuzzer target: the SCAD lexer/parser and the customizer rules must
 * never crash, hang or leak on any input; accepted input gives valid JSON. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

#include "params.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *json = NULL;
    scl_error err;
    if (scl_params_json((const char *)data, size, "fuzz", &json, &err) == SCL_OK) {
        json_error_t jerr;
        json_t *back = json_loads(json, JSON_ALLOW_NUL, &jerr); /* strings may hold \u0000 */
        if (!back)
            abort(); /* we must always emit parseable JSON */
        json_decref(back);
        free(json);
    } else if (err.code == SCL_OK) {
        abort(); /* a failure must say why */
    }
    return 0;
}
