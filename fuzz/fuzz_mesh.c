/* libFuzzer target: the STL/OFF parsers must never crash, overread or leak,
 * and any mesh they accept must be internally consistent. */
#include <stdint.h>
#include <stdlib.h>

#include "mesh.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    scl_mesh_limits limits = {1 << 20, 100000};
    for (int fmt = SCL_MESH_AUTO; fmt <= SCL_MESH_OFF; fmt++) {
        scl_mesh *m = NULL;
        scl_error err;
        if (scl_mesh_parse(data, size, (scl_mesh_format)fmt, &limits, &m, &err) != SCL_OK) {
            if (m)
                abort(); /* contract: no mesh on error */
            continue;
        }
        size_t nv = scl_mesh_vertex_count(m), nt = scl_mesh_triangle_count(m);
        const uint32_t *idx = scl_mesh_indices(m);
        for (size_t i = 0; i < 3 * nt; i++)
            if (idx[i] >= nv)
                abort();
        scl_mesh_stats s;
        scl_mesh_get_stats(m, &s);
        uint8_t *stl;
        size_t len;
        if (scl_mesh_write_binstl(m, &stl, &len, &err) == SCL_OK) {
            scl_mesh *back = NULL;
            if (scl_mesh_parse(stl, len, SCL_MESH_BINSTL, NULL, &back, &err) != SCL_OK ||
                scl_mesh_triangle_count(back) != nt)
                abort(); /* what we write we must read back */
            scl_mesh_destroy(back);
            free(stl);
        }
        scl_mesh_destroy(m);
    }
    return 0;
}
