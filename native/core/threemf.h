/*
 * threemf.h - the XML parts of a 3MF package, from an indexed mesh.
 *
 * 3MF (3D Manufacturing Format, core specification 1.3) is a zip ("OPC
 * package") of XML parts. This module writes the three parts a minimal
 * package needs, as text, with no zip and no I/O, so the same code runs in
 * the native bridge (which zips them with libzip, native/bridge/zip3mf.h)
 * and in the browser (the page zips them with an npm zip library):
 *   [Content_Types].xml   the content types of .rels and .model parts
 *   _rels/.rels           points to the model part as the 3D model
 *   3D/3dmodel.model      the model: unit millimeter, one mesh object, one
 *                         build item
 * Face colours (OpenSCAD's color(), from its OFF output) become one
 * <basematerials> group with one <base> per distinct colour (sRGB
 * "#RRGGBBAA"); each triangle names its colour with pid/p1 and the object's
 * default (pid/pindex) is the most common one. A mesh without colours gets
 * no material group. Vertices and triangles are the mesh's own (no
 * re-indexing), so a reader sees the same counts as scl_mesh_get_stats.
 */
#ifndef SCL_THREEMF_H
#define SCL_THREEMF_H

#include <stddef.h>

#include "error.h"
#include "mesh.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SCL_3MF_PARTS 3

typedef struct scl_3mf_package {
    const char *name[SCL_3MF_PARTS]; /* part names inside the zip (static strings) */
    char *text[SCL_3MF_PARTS];       /* malloc'd, NUL-terminated XML */
    size_t len[SCL_3MF_PARTS];       /* strlen(text[i]) */
} scl_3mf_package;

/* Build the parts for `mesh`; `title` (may be NULL) becomes the object's
 * name and the model's Title metadata (XML-escaped). An empty mesh is
 * refused (SCL_EINVAL): 3MF requires at least one triangle per object.
 * On success the caller frees the package with scl_3mf_package_free. */
SCL_MUST_CHECK scl_status scl_3mf_build(const scl_mesh *mesh, const char *title, scl_3mf_package *out, scl_error *err);

/* Free the texts of a package built by scl_3mf_build (NULL-safe, idempotent). */
void scl_3mf_package_free(scl_3mf_package *pkg);

#ifdef __cplusplus
}
#endif
#endif /* SCL_THREEMF_H */
