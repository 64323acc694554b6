/* fuzz_frames.c - see fuzz_frames.h. */
#include "fuzz_frames.h"

#include <stdlib.h>

zmsg_t *scl_fuzz_frames(const uint8_t *data, size_t size)
{
    zmsg_t *m = zmsg_new();
    if (!m)
        abort();
    size_t start = 0;
    for (size_t i = 0; i <= size; i++)
        if (i == size || data[i] == 0xFF) {
            if (zmsg_addmem(m, data + start, i - start) != 0)
                abort();
            start = i + 1;
        }
    return m;
}
