/* Tests for the 3MF writer: the core's XML parts (threemf.h) and the zip
 * (zip3mf.h), read back with libzip. The package read by an independent 3MF
 * reader (lib3mf) is tested in tests/python/test_formats.py. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zip.h>

#include "fileio.h"
#include "mesh.h"
#include "threemf.h"
#include "zip3mf.h"

static scl_mesh *fixture(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/fixtures/mesh/%s", SCL_SOURCE_DIR, name);
    uint8_t *buf = NULL;
    size_t len;
    scl_error err;
    cr_assert_eq(scl_file_read(path, (size_t)1 << 28, &buf, &len, &err), SCL_OK, "%s", err.message);
    scl_mesh *m = NULL;
    cr_assert_eq(scl_mesh_parse(buf, len, SCL_MESH_AUTO, NULL, &m, &err), SCL_OK, "%s", err.message);
    free(buf);
    return m;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

Test(threemf, colored_off_keeps_every_triangle_and_colour)
{
    scl_mesh *m = fixture("colored.off");
    scl_3mf_package pkg;
    scl_error err;
    cr_assert_eq(scl_3mf_build(m, "parts & <pieces>", &pkg, &err), SCL_OK, "%s", err.message);
    const char *model = pkg.text[2];
    cr_assert_str_eq(pkg.name[2], "3D/3dmodel.model");
    cr_assert(strstr(model, "unit=\"millimeter\""));
    cr_assert_eq(count(model, "<vertex "), scl_mesh_vertex_count(m));
    cr_assert_eq(count(model, "<triangle "), scl_mesh_triangle_count(m));
    cr_assert_eq(count(model, "<object "), 1);
    cr_assert(strstr(model, "name=\"parts &amp; &lt;pieces&gt;\""), "the title is escaped");
    /* every distinct face colour is one base material */
    const float *fc = scl_mesh_face_colors(m);
    cr_assert_not_null(fc);
    size_t distinct = 0;
    for (size_t t = 0; t < scl_mesh_triangle_count(m); t++) {
        int seen = 0;
        for (size_t u = 0; u < t && !seen; u++)
            seen = !memcmp(fc + 4 * t, fc + 4 * u, 4 * sizeof(float));
        distinct += !seen;
    }
    cr_assert_gt(distinct, 1, "the fixture has several colours");
    cr_assert_eq(count(model, "<base "), distinct);
    scl_3mf_package_free(&pkg);
    scl_mesh_destroy(m);
}

Test(threemf, stl_has_no_materials)
{
    scl_mesh *m = fixture("cube10_ascii.stl");
    scl_3mf_package pkg;
    cr_assert_eq(scl_3mf_build(m, NULL, &pkg, NULL), SCL_OK);
    cr_assert_null(strstr(pkg.text[2], "basematerials"));
    cr_assert_eq(count(pkg.text[2], "<triangle "), 12);
    scl_3mf_package_free(&pkg);
    scl_mesh_destroy(m);
}

Test(threemf, empty_mesh_is_refused)
{
    scl_mesh *m = NULL;
    cr_assert_eq(scl_mesh_from_arrays(NULL, 0, NULL, 0, NULL, &m, NULL), SCL_OK);
    scl_3mf_package pkg;
    scl_error err;
    cr_assert_eq(scl_3mf_build(m, "x", &pkg, &err), SCL_EINVAL);
    cr_assert(strstr(err.message, "empty"), "%s", err.message);
    scl_mesh_destroy(m);
}

Test(threemf, zip_holds_the_three_parts_and_is_reproducible)
{
    scl_mesh *m = fixture("colored.off");
    uint8_t *a = NULL, *b = NULL;
    size_t al, bl;
    scl_error err;
    cr_assert_eq(scl_3mf_write(m, "model", &a, &al, &err), SCL_OK, "%s", err.message);
    cr_assert_eq(scl_3mf_write(m, "model", &b, &bl, &err), SCL_OK, "%s", err.message);
    cr_assert_eq(al, bl);
    cr_assert_eq(memcmp(a, b, al), 0, "same mesh, same bytes");
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(a, al, 0, &ze);
    zip_t *za = zip_open_from_source(src, ZIP_RDONLY, &ze);
    cr_assert_not_null(za);
    cr_assert_eq(zip_get_num_entries(za, 0), 3);
    scl_3mf_package pkg;
    cr_assert_eq(scl_3mf_build(m, "model", &pkg, NULL), SCL_OK);
    for (int i = 0; i < SCL_3MF_PARTS; i++) {
        zip_stat_t st;
        cr_assert_eq(zip_stat(za, pkg.name[i], 0, &st), 0, "%s", pkg.name[i]);
        cr_assert_eq(st.size, pkg.len[i]);
        zip_file_t *f = zip_fopen(za, pkg.name[i], 0);
        char *text = malloc(st.size);
        cr_assert_eq(zip_fread(f, text, st.size), (zip_int64_t)st.size);
        cr_assert_eq(memcmp(text, pkg.text[i], st.size), 0);
        free(text);
        zip_fclose(f);
    }
    scl_3mf_package_free(&pkg);
    zip_close(za);
    free(a);
    free(b);
    scl_mesh_destroy(m);
}

/* A zip stores local (DOS) time: a date given as a time_t follows the time
 * zone the bridge runs in. Each entry's local header (bytes 10-13: time,
 * date, little-endian) must say 2020-01-01 00:00:00 whatever TZ is. */
Test(threemf, entries_are_dated_2020_01_01_in_every_time_zone)
{
    scl_mesh *m = fixture("colored.off");
    const char *zones[] = {"UTC0", "EST5", "JST-9"}; /* POSIX TZ strings: no tzdata needed */
    uint8_t *first = NULL;
    size_t first_len = 0;
    const char *saved = getenv("TZ");
    char *restore = saved ? strdup(saved) : NULL;
    for (size_t z = 0; z < sizeof zones / sizeof *zones; z++) {
        setenv("TZ", zones[z], 1);
        tzset();
        uint8_t *zip = NULL;
        size_t len;
        scl_error err;
        cr_assert_eq(scl_3mf_write(m, "model", &zip, &len, &err), SCL_OK, "%s", err.message);
        size_t at = 0; /* walk the local headers: 30 bytes, the name, the extra field, the data */
        for (int entry = 0; entry < SCL_3MF_PARTS; entry++) {
            cr_assert_leq(at + 30, len);
            cr_assert_eq(memcmp(zip + at, "PK\x03\x04", 4), 0, "entry %d's local header", entry);
            cr_assert_eq(zip[at + 10] | zip[at + 11] << 8, 0, "TZ=%s: time", zones[z]);
            cr_assert_eq(zip[at + 12] | zip[at + 13] << 8, (2020 - 1980) << 9 | 1 << 5 | 1, "TZ=%s: date", zones[z]);
            size_t data = (size_t)zip[at + 18] | (size_t)zip[at + 19] << 8 | (size_t)zip[at + 20] << 16 |
                          (size_t)zip[at + 21] << 24;
            at += 30 + (size_t)(zip[at + 26] | zip[at + 27] << 8) + (size_t)(zip[at + 28] | zip[at + 29] << 8) + data;
        }
        if (!first) {
            first = zip;
            first_len = len;
        } else {
            cr_assert_eq(len, first_len);
            cr_assert_eq(memcmp(zip, first, len), 0, "TZ=%s: the same bytes as with TZ=%s", zones[z], zones[0]);
            free(zip);
        }
    }
    if (restore)
        setenv("TZ", restore, 1);
    else
        unsetenv("TZ");
    tzset();
    free(restore);
    free(first);
    scl_mesh_destroy(m);
}

Test(threemf, every_coordinate_reads_back_as_the_same_float)
{
    enum { N = 30000 };
    float *pos = malloc(N * 3 * sizeof *pos);
    uint32_t *idx = malloc(N * sizeof *idx);
    uint32_t seed = 12345;
    for (size_t i = 0; i < N * 3; i++) {
        seed = seed * 1664525u + 1013904223u;
        switch (i % 3) {
        case 0: pos[i] = (float)((int)(seed >> 8) % 200000) / 1000.0f - 100.0f; break; /* "nice" decimals */
        case 1: pos[i] = ((float)(seed >> 8) / (float)(1 << 24) - 0.5f) * 1e4f; break;  /* arbitrary */
        default: pos[i] = ((float)(seed >> 8) / (float)(1 << 24)) * 3e-5f; break;       /* tiny */
        }
    }
    for (size_t i = 0; i < N; i++)
        idx[i] = (uint32_t)i;
    scl_mesh *m = NULL;
    cr_assert_eq(scl_mesh_from_arrays(pos, N, idx, N / 3, NULL, &m, NULL), SCL_OK);
    scl_3mf_package pkg;
    cr_assert_eq(scl_3mf_build(m, "floats", &pkg, NULL), SCL_OK);
    const float *mp = scl_mesh_positions(m);
    size_t v = 0;
    for (const char *p = strstr(pkg.text[2], "<vertex "); p; p = strstr(p + 1, "<vertex "), v++) {
        const char *x = strstr(p, "x=\"") + 3, *y = strstr(p, "y=\"") + 3, *z = strstr(p, "z=\"") + 3;
        float got[3] = {strtof(x, NULL), strtof(y, NULL), strtof(z, NULL)};
        for (int k = 0; k < 3; k++)
            cr_assert_eq(memcmp(&got[k], &mp[3 * v + k], sizeof(float)), 0, "vertex %zu.%d: %.9g read back as %.9g",
                         v, k, mp[3 * v + k], got[k]);
    }
    cr_assert_eq(v, scl_mesh_vertex_count(m));
    scl_3mf_package_free(&pkg);
    scl_mesh_destroy(m);
    free(pos);
    free(idx);
}
