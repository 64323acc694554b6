/* node.c - see node.h. */
#define _GNU_SOURCE
#include "node.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

scl_status scl_node_find(scl_node_choice *out, scl_error *err)
{
    const char *env = getenv("SCADLIVE_NODE");
    if (env && *env) {
        if (access(env, X_OK) != 0)
            return scl_error_set(err, SCL_ENOTFOUND, "SCADLIVE_NODE=%s is not an executable file", env);
        snprintf(out->path, sizeof out->path, "%s", env);
        const char *origin = getenv("SCADLIVE_NODE_ORIGIN");
        out->origin = origin && *origin ? origin : "SCADLIVE_NODE";
        return SCL_OK;
    }
    const char *path = getenv("PATH");
    if (path) {
        for (const char *p = path; *p;) {
            size_t len = strcspn(p, ":");
            if (len > 0 && len < sizeof out->path - 6) {
                snprintf(out->path, sizeof out->path, "%.*s/node", (int)len, p);
                if (access(out->path, X_OK) == 0) {
                    out->origin = "PATH";
                    return SCL_OK;
                }
            }
            p += len;
            if (*p == ':')
                p++;
        }
    }
    out->path[0] = 0;
    return scl_error_set(err, SCL_ENOTFOUND,
                         "no Node.js for the WASM renderer: no `node` on PATH; install Node.js >= 18, "
                         "set SCADLIVE_NODE, or use the Python package (it brings its own Node)");
}
