/* bench_mesh - parse+index throughput of a 100k-triangle binary STL.
 *
 * The mesh is synthesized deterministically (a UV sphere with shared
 * vertices, like OpenSCAD's output), written with our binary STL writer,
 * then parsed repeatedly. Baseline measured in the same run: a plain memcpy
 * of the same bytes, so the ratio says what indexing costs over touching
 * the bytes once. Output: one table, times are the median of the runs. */
#define _DEFAULT_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mesh.h"
#include "zip3mf.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2];
}

/* UV sphere: rings x segments quads -> 2 triangles each. */
static scl_mesh *make_sphere(int rings, int segments)
{
    size_t nv = (size_t)(rings + 1) * segments;
    float *pos = malloc(nv * 3 * sizeof *pos);
    uint32_t *idx = malloc((size_t)rings * segments * 6 * sizeof *idx);
    for (int r = 0; r <= rings; r++)
        for (int s = 0; s < segments; s++) {
            double th = M_PI * r / rings, ph = 2 * M_PI * s / segments;
            float *p = pos + 3 * ((size_t)r * segments + s);
            p[0] = (float)(50 * sin(th) * cos(ph));
            p[1] = (float)(50 * sin(th) * sin(ph));
            p[2] = (float)(50 * cos(th));
        }
    size_t t = 0;
    for (int r = 0; r < rings; r++)
        for (int s = 0; s < segments; s++) {
            uint32_t a = (uint32_t)(r * segments + s), b = (uint32_t)(r * segments + (s + 1) % segments);
            uint32_t c = a + (uint32_t)segments, d = b + (uint32_t)segments;
            idx[t++] = a; idx[t++] = c; idx[t++] = b;
            idx[t++] = b; idx[t++] = c; idx[t++] = d;
        }
    scl_mesh *m = NULL;
    if (scl_mesh_from_arrays(pos, nv, idx, t / 3, NULL, &m, NULL) != SCL_OK)
        m = NULL; /* the caller reports it */
    free(pos);
    free(idx);
    return m;
}

int main(int argc, char **argv)
{
    enum { RUNS = 21 };
    scl_mesh *sphere = make_sphere(250, 200); /* 100,000 triangles */
    uint8_t *stl;
    size_t len;
    scl_error err;
    if (!sphere || scl_mesh_write_binstl(sphere, &stl, &len, &err) != SCL_OK) {
        fprintf(stderr, "bench_mesh: could not build the input\n");
        return 1;
    }
    size_t tris = scl_mesh_triangle_count(sphere);
    /* --write PATH: also save the input, so the WASM benchmark parses the same bytes */
    if (argc == 3 && !strcmp(argv[1], "--write")) {
        FILE *f = fopen(argv[2], "wb");
        if (!f || fwrite(stl, 1, len, f) != len) {
            fprintf(stderr, "bench_mesh: cannot write %s\n", argv[2]);
            return 1;
        }
        fclose(f);
    }
    uint8_t *copy = malloc(len);
    double parse_ms[RUNS], copy_ms[RUNS];
    size_t verts = 0;
    for (int i = 0; i < RUNS; i++) {
        double t0 = now_ms();
        memcpy(copy, stl, len);
        copy_ms[i] = now_ms() - t0;
        __asm__ volatile("" ::"r"(copy) : "memory");
        scl_mesh *m = NULL;
        t0 = now_ms();
        if (scl_mesh_parse(stl, len, SCL_MESH_AUTO, NULL, &m, &err) != SCL_OK) {
            fprintf(stderr, "bench_mesh: parse failed: %s\n", err.message);
            return 1;
        }
        parse_ms[i] = now_ms() - t0;
        verts = scl_mesh_vertex_count(m);
        scl_mesh_destroy(m);
    }
    double p = median(parse_ms, RUNS), c = median(copy_ms, RUNS);
    printf("mesh: parse+index binary STL, %zu triangles -> %zu vertices (%zu bytes), median of %d\n",
           tris, verts, len, RUNS);
    printf("  %-34s %10.3f ms  %8.1f Mtri/s\n", "scl_mesh_parse (native)", p, tris / p / 1e3);
    printf("  %-34s %10.3f ms\n", "baseline: memcpy of the same bytes", c);
    printf("  %-34s %10.1f x\n", "ratio parse / memcpy", p / (c > 0 ? c : 1e-6));
    printf("  target: parse+index 100k triangles < 10 ms: %s\n", p < 10.0 ? "met" : "NOT met");
    printf("RESULT native_parse_ms=%.4f memcpy_ms=%.4f triangles=%zu\n", p, c, tris);
    /* 3MF (the core's XML + libzip's deflate) against the binary STL writer,
     * both from the same indexed mesh: what `format: "3mf"` adds to a render */
    double tmf_ms[RUNS], stl_ms[RUNS];
    size_t tmf_len = 0;
    for (int i = 0; i < RUNS; i++) {
        uint8_t *out;
        size_t n;
        double t0 = now_ms();
        if (scl_3mf_write(sphere, "sphere", &out, &n, &err) != SCL_OK) {
            fprintf(stderr, "bench_mesh: 3MF failed: %s\n", err.message);
            return 1;
        }
        tmf_ms[i] = now_ms() - t0;
        tmf_len = n;
        free(out);
        t0 = now_ms();
        if (scl_mesh_write_binstl(sphere, &out, &n, &err) != SCL_OK)
            return 1;
        stl_ms[i] = now_ms() - t0;
        free(out);
    }
    double w3 = median(tmf_ms, RUNS), ws = median(stl_ms, RUNS);
    printf("mesh: write %zu triangles as 3MF (%zu bytes, deflated) vs binary STL, median of %d\n", tris, tmf_len,
           RUNS);
    printf("  %-34s %10.3f ms\n", "scl_3mf_write", w3);
    printf("  %-34s %10.3f ms\n", "baseline: scl_mesh_write_binstl", ws);
    printf("  %-34s %10.1f x\n", "ratio 3MF / binary STL", w3 / (ws > 0 ? ws : 1e-6));
    printf("RESULT native_3mf_write_ms=%.4f binstl_write_ms=%.4f 3mf_bytes=%zu\n", w3, ws, tmf_len);
    free(copy);
    free(stl);
    scl_mesh_destroy(sphere);
    return 0;
}
