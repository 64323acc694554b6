/*
 * deps.h - the files a model needs: include <...>, use <...>, import("...")
 * and surface("..."), followed recursively through .scad files.
 *
 * Paths resolve like OpenSCAD resolves them: relative to the including
 * file's directory, then to each OPENSCADPATH entry, then to
 * /usr/share/openscad/libraries. Each file is listed once, keyed by the path
 * it has relative to the model's directory (library files by their path in
 * the library root, e.g. "MCAD/gears.scad"), which is where the renderers
 * put it. Files outside the model's directory tree that are not library
 * files, more than 2000 files, or more than 64 MiB are errors.
 */
#ifndef SCL_DEPS_H
#define SCL_DEPS_H

#include <jansson.h>

#include "error.h"

/* *out: [{"path": key, "abs": absolute path}...]. Missing files are left
 * out (OpenSCAD will report them with their line). */
scl_status scl_deps_collect(const char *source, const char *base_dir, json_t **out, scl_error *err);

#endif
