/* cmd_params.c - `scadlive params FILE.scad`: the customizer parameters as JSON,
 * in the schema OpenSCAD writes with --export-format=param. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cliutil.h"
#include "commands.h"
#include "params.h"

int scl_cmd_params(int argc, char **argv)
{
    if (argc != 2 || !strcmp(argv[1], "--help")) {
        fprintf(argc == 2 ? stdout : stderr,
                "usage: scadlive params FILE.scad\n"
                "Prints the customizer parameters as JSON (OpenSCAD's --export-format=param schema).\n"
                "FILE may be - for standard input (title \"model\").\n");
        return argc == 2 ? 0 : 2;
    }
    const char *path = argv[1];
    uint8_t *src;
    size_t len;
    scl_error err;
    if (scl_file_read(path, SCL_PARAMS_MAX_SOURCE, &src, &len, &err) != SCL_OK) {
        fprintf(stderr, "scadlive params: %s\n", err.message);
        return 1;
    }
    char title[256];
    if (!strcmp(path, "-"))
        snprintf(title, sizeof title, "model");
    else
        scl_params_title_from_path(path, title, sizeof title);
    char *json = NULL;
    scl_status st = scl_params_json((const char *)src, len, title, &json, &err);
    free(src);
    if (st != SCL_OK) {
        if (err.line)
            fprintf(stderr, "scadlive params: %s:%ld: %s\n", path, err.line, err.message);
        else
            fprintf(stderr, "scadlive params: %s: %s\n", path, err.message);
        return 1;
    }
    puts(json);
    free(json);
    return 0;
}
