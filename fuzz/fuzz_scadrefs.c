/* libFuzzer target: the scan for include/use/import/surface names
 * (scadrefs.h, used by the bridge's dependency gathering and, through the
 * WASM build, by scadlive under Pyodide) must never crash, hang or read
 * past the text on any input; every name it reports is nonempty and
 * shorter than SCL_SCADREFS_MAX. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scadrefs.h"

static int check(void *user, const char *ref)
{
    size_t len = strlen(ref);
    if (len == 0 || len >= SCL_SCADREFS_MAX)
        abort();
    ++*(size_t *)user;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1); /* the scan takes a NUL-terminated text */
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = 0;
    size_t n = 0;
    if (scl_scadrefs_scan(text, check, &n) != 0)
        abort(); /* the callback never stops it */
    free(text);
    return 0;
}
