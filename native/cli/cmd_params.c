/* cmd_params.c - `scadlive params FILE.scad [--sets SETS.json]`: the
 * customizer parameters as JSON, in the schema OpenSCAD writes with
 * --export-format=param; with --sets, every set of an OpenSCAD parameter-set
 * file with its values typed by that schema (OpenSCAD writes them as
 * strings), so Python's batch export types them the way `render -p` does. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cliutil.h"
#include "commands.h"
#include "overrides.h"
#include "params.h"

/* {"set": {typed values}, ...} in the file's order, or NULL with a message. */
static json_t *typed_sets(const char *sets_path, const json_t *schema)
{
    uint8_t *text;
    size_t len;
    scl_error err;
    if (scl_file_read(sets_path, (size_t)64 << 20, &text, &len, &err) != SCL_OK) {
        fprintf(stderr, "scadlive params: %s\n", err.message);
        return NULL;
    }
    json_error_t jerr;
    json_t *root = json_loadb((const char *)text, len, 0, &jerr);
    json_t *sets = json_object_get(root, "parameterSets");
    json_t *out = json_object();
    const char *name;
    json_t *ignored;
    if (!json_is_object(sets)) {
        /* scl_paramset_load words the error (JSON syntax with its line, or the missing object) */
        json_t *v = NULL;
        if (scl_paramset_load((const char *)text, len, "", schema, &v, &err) == SCL_OK)
            scl_error_set(&err, SCL_EPARSE, "no \"parameterSets\" object");
        fprintf(stderr, "scadlive params: %s: %s\n", sets_path, err.message);
        json_decref(v);
        goto fail;
    }
    json_object_foreach(sets, name, ignored) {
        json_t *values = NULL;
        if (scl_paramset_load((const char *)text, len, name, schema, &values, &err) != SCL_OK) {
            fprintf(stderr, "scadlive params: %s: set \"%s\": %s%s%s\n", sets_path, name,
                    err.field[0] ? err.field : "", err.field[0] ? ": " : "", err.message);
            goto fail;
        }
        if (json_object_set_new(out, name, values) != 0) { /* also when out itself could not be made */
            fprintf(stderr, "scadlive params: out of memory\n");
            goto fail;
        }
    }
    json_decref(root);
    free(text);
    return out;
fail:
    json_decref(out);
    json_decref(root);
    free(text);
    return NULL;
}

int scl_cmd_params(int argc, char **argv)
{
    const char *path = NULL, *sets = NULL;
    int bad = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help")) {
            path = NULL;
            bad = -1;
            break;
        } else if (!strcmp(argv[i], "--sets") && i + 1 < argc) {
            sets = argv[++i];
        } else if (!path) {
            path = argv[i];
        } else {
            bad = 1;
        }
    }
    if (!path || bad) {
        fprintf(bad < 0 ? stdout : stderr,
                "usage: scadlive params FILE.scad [--sets SETS.json]\n"
                "Prints the customizer parameters as JSON (OpenSCAD's --export-format=param schema).\n"
                "With --sets: every set of the parameter-set file, values typed by that schema,\n"
                "as {\"set name\": {\"param\": value, ...}, ...}.\n"
                "FILE may be - for standard input (title \"model\").\n");
        return bad < 0 ? 0 : 2;
    }
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
    json_t *schema = NULL;
    scl_status st = scl_params_parse((const char *)src, len, title, &schema, &err);
    free(src);
    if (st != SCL_OK) {
        scl_cli_print_error("params", path, err.line, err.message);
        return 1;
    }
    json_t *out = sets ? typed_sets(sets, schema) : json_incref(schema);
    json_decref(schema);
    if (!out)
        return 1;
    /* the schema as scl_params_json writes it; sets in the file's order */
    int rc = scl_cli_print_json("params", out, JSON_COMPACT | JSON_REAL_PRECISION(17) | (sets ? 0 : JSON_SORT_KEYS));
    json_decref(out);
    return rc;
}
