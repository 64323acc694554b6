/* libFuzzer target: the -D literal parser and the literal serializer.
 * Whatever parses must serialize to a literal that parses back to the same
 * value, so a value can never change (or escape) on its way to OpenSCAD. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "overrides.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *define = malloc(size + 3);
    memcpy(define, "x=", 2);
    memcpy(define + 2, data, size);
    define[size + 2] = 0;
    char *name = NULL;
    json_t *value = NULL;
    scl_error err;
    if (scl_overrides_parse_define(define, &name, &value, &err) == SCL_OK) {
        char *lit = NULL;
        if (scl_literal_from_json(value, &lit, &err) != SCL_OK)
            abort(); /* everything the parser yields must serialize */
        size_t n = strlen(lit);
        char *again = malloc(n + 3);
        memcpy(again, "x=", 2);
        memcpy(again + 2, lit, n + 1);
        char *name2 = NULL;
        json_t *value2 = NULL;
        if (scl_overrides_parse_define(again, &name2, &value2, &err) != SCL_OK ||
            !json_equal(value, value2))
            abort(); /* round trip must be exact */
        json_decref(value2);
        free(name2);
        free(again);
        free(lit);
        json_decref(value);
        free(name);
    }
    free(define);
    return 0;
}
