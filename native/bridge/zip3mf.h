/*
 * zip3mf.h - a 3MF file (zip) from an indexed mesh, with libzip.
 *
 * The XML parts come from the core (threemf.h); this zips them (deflate)
 * into one buffer. Entries get a fixed modification time (2020-01-01
 * 00:00:00 in every time zone), so the same mesh always gives the same bytes
 * (the result cache and tests depend on it).
 */
#ifndef SCL_ZIP3MF_H
#define SCL_ZIP3MF_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "mesh.h"

/* Write `mesh` as a 3MF package into a new malloc'd buffer *out of *len
 * bytes; `title` names the object (NULL: "model"). */
SCL_MUST_CHECK scl_status scl_3mf_write(const scl_mesh *mesh, const char *title, uint8_t **out, size_t *len, scl_error *err);

/* Convert rendered OFF (with OpenSCAD's face colours) or STL bytes to 3MF. */
SCL_MUST_CHECK scl_status scl_3mf_from_mesh_bytes(const uint8_t *data, size_t data_len, const char *title, uint8_t **out,
                                   size_t *len, scl_error *err);

#endif /* SCL_ZIP3MF_H */
