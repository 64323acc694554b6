/* cmd_info.c - `scadlive info FILE`: mesh statistics of an STL or OFF file as JSON. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cliutil.h"
#include "commands.h"
#include "mesh.h"

static json_t *vec3(const double v[3])
{
    return json_pack("[f,f,f]", v[0], v[1], v[2]);
}

int scl_cmd_info(int argc, char **argv)
{
    if (argc != 2 || !strcmp(argv[1], "--help")) {
        fprintf(argc == 2 ? stdout : stderr,
                "usage: scadlive info FILE.{stl,off}\n"
                "Prints JSON: format, vertices, triangles, bbox, area, volume, watertight.\n");
        return argc == 2 ? 0 : 2;
    }
    const char *path = argv[1];
    uint8_t *data;
    size_t len;
    scl_error err;
    if (scl_file_read(path, (size_t)1 << 30, &data, &len, &err) != SCL_OK) {
        fprintf(stderr, "scadlive info: %s\n", err.message);
        return 1;
    }
    scl_mesh_format fmt = scl_mesh_detect(data, len);
    scl_mesh *mesh = NULL;
    if (scl_mesh_parse(data, len, fmt, NULL, &mesh, &err) != SCL_OK) {
        if (err.line)
            fprintf(stderr, "scadlive info: %s:%ld: %s\n", path, err.line, err.message);
        else if (err.offset >= 0)
            fprintf(stderr, "scadlive info: %s: byte %lld: %s\n", path, err.offset, err.message);
        else
            fprintf(stderr, "scadlive info: %s: %s\n", path, err.message);
        free(data);
        return 1;
    }
    free(data);
    scl_mesh_stats s;
    scl_mesh_get_stats(mesh, &s);
    scl_mesh_destroy(mesh);
    json_t *out = json_pack("{s:s,s:I,s:I,s:{s:o,s:o},s:f,s:f,s:b,s:b}", "format",
                            scl_mesh_format_name(fmt), "vertices", (json_int_t)s.vertices,
                            "triangles", (json_int_t)s.triangles, "bbox", "min", vec3(s.min), "max",
                            vec3(s.max), "area", s.area, "volume", s.volume, "watertight",
                            s.watertight, "colors", s.has_colors);
    int rc = scl_cli_print_json("info", out, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
    json_decref(out);
    return rc;
}
