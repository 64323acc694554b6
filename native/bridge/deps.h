/*
 * deps.h - the files a model needs: include <...>, use <...>, import("...")
 * and surface("..."), followed recursively through .scad files.
 *
 * Paths resolve like OpenSCAD resolves them: relative to the including
 * file's directory, then in the library roots of scl_deps_library_roots. Each file is listed once, keyed by the path
 * it has relative to the model's directory (library files by their path in
 * the library root, e.g. "MCAD/gears.scad"), which is where the renderers
 * put it. Files outside the model's directory tree that are not library
 * files, more than 2000 files, or more than 64 MiB are errors.
 */
#ifndef SCL_DEPS_H
#define SCL_DEPS_H

#include <jansson.h>

#include "error.h"

/* The library roots in the order they are searched (a JSON array of
 * directory strings, existing or not):
 *   1. `library_path`: the caller's explicit directories (':'-separated,
 *      may be NULL): Viewer/render(library_path=...), `--library-path`;
 *   2. each OPENSCADPATH entry (':'-separated);
 *   3. the user library folder, as OpenSCAD's on Linux:
 *      $XDG_DATA_HOME/OpenSCAD/libraries, else ~/.local/share/OpenSCAD/libraries;
 *   4. the installation's folders: $SCADLIVE_HOME/libraries when scadlive
 *      runs from its Python package (the wheel's MCAD), then
 *      /usr/local/share/openscad/libraries and /usr/share/openscad/libraries
 *      (Debian's openscad).
 * OpenSCAD itself searches 2, 3, 4 in this order after the including file's
 * directory; the explicit directories come first so they win. NULL when
 * memory runs out. */
json_t *scl_deps_library_roots(const char *library_path);

/* *out: [{"path": key, "abs": absolute path}...]. Missing files are left
 * out (OpenSCAD will report them with their line). `library_path` as for
 * scl_deps_library_roots. */
SCL_MUST_CHECK scl_status scl_deps_collect(const char *source, const char *base_dir, const char *library_path, json_t **out,
                            scl_error *err);

#endif
