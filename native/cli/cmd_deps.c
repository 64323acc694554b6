/* cmd_deps.c - `scadlive deps [--base-dir DIR] [--library-path DIRS] FILE|-`:
 * the files a model includes, uses or imports, as JSON {"files":[{"path","abs"}]}
 * (library folders searched as deps.h says). The Python
 * package uses it to ship included files with a request. */
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cliutil.h"
#include "commands.h"
#include "deps.h"

int scl_cmd_deps(int argc, char **argv)
{
    const char *base = NULL, *file = NULL, *libs = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--base-dir") && i + 1 < argc)
            base = argv[++i];
        else if (!strcmp(argv[i], "--library-path") && i + 1 < argc)
            libs = argv[++i];
        else if (!strcmp(argv[i], "--json"))
            continue; /* JSON is the only output */
        else if (!file)
            file = argv[i];
        else {
            fprintf(stderr, "usage: scadlive deps [--base-dir DIR] [--library-path DIR[:DIR...]] FILE|-\n");
            return 2;
        }
    }
    if (!file) {
        fprintf(stderr, "usage: scadlive deps [--base-dir DIR] [--library-path DIR[:DIR...]] FILE|-\n");
        return 2;
    }
    uint8_t *src;
    size_t len;
    scl_error err;
    if (scl_file_read(file, 64 << 20, &src, &len, &err) != SCL_OK) {
        fprintf(stderr, "scadlive deps: %s\n", err.message);
        return 1;
    }
    char dirbuf[PATH_MAX];
    snprintf(dirbuf, sizeof dirbuf, "%s", file);
    if (!base)
        base = strcmp(file, "-") ? dirname(dirbuf) : ".";
    json_t *list = NULL;
    scl_status st = scl_deps_collect((const char *)src, base, libs, &list, &err);
    free(src);
    if (st != SCL_OK) {
        fprintf(stderr, "scadlive deps: %s\n", err.message);
        return 1;
    }
    json_t *out = json_pack("{s:o}", "files", list);
    int rc = scl_cli_print_json("deps", out, JSON_COMPACT);
    json_decref(out);
    return rc;
}
