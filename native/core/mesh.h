/*
 * mesh.h - triangle meshes from untrusted STL/OFF bytes.
 *
 * Parses binary STL, ASCII STL and OFF (with OpenSCAD's per-face colours)
 * into an indexed mesh whose vertices are de-duplicated exactly: two
 * vertices are the same when their float32 coordinates are bitwise equal
 * (with -0.0 taken as 0.0). The arrays it exposes are laid out the way
 * three.js takes them as BufferAttributes, with no further processing:
 *   positions    float32 x,y,z per vertex            (3 * vertex_count)
 *   indices      uint32 a,b,c per triangle           (3 * triangle_count)
 *   face_colors  float32 r,g,b,a in [0,1] per triangle (4 * triangle_count),
 *                or NULL when the input had no colours (STL).
 * Polygons with more than three corners (OFF, odd ASCII STL loops) are
 * fan-triangulated.
 *
 * Every input is treated as hostile: the parser never reads past `len`,
 * does not need NUL termination, checks every count against the bytes that
 * could hold it and against scl_mesh_limits before allocating, and rejects
 * NaN/Inf coordinates and out-of-range indices. Errors carry the byte
 * offset (binary STL) or line number (ASCII STL, OFF).
 */
#ifndef SCL_MESH_H
#define SCL_MESH_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum scl_mesh_format {
    SCL_MESH_AUTO = 0, /* detect from content (see scl_mesh_detect) */
    SCL_MESH_BINSTL,
    SCL_MESH_ASCIISTL,
    SCL_MESH_OFF
} scl_mesh_format;

typedef struct scl_mesh_limits {
    size_t max_input_bytes; /* reject larger inputs; 0 = default (1 GiB) */
    size_t max_triangles;   /* reject meshes with more; 0 = default (50 million) */
} scl_mesh_limits;

typedef struct scl_mesh_stats {
    size_t vertices;
    size_t triangles;
    double min[3], max[3]; /* bounding box; all zero for an empty mesh */
    double area;           /* total surface area */
    double volume;         /* signed volume (positive for outward-facing triangles) */
    int watertight;        /* 1 if every edge is shared by exactly two triangles in
                              opposite directions (closed, consistently oriented) */
    int has_colors;        /* 1 if face_colors is available */
} scl_mesh_stats;

typedef struct scl_mesh scl_mesh;

/* Guess the format of `data`: binary STL when the size is exactly 84 + 50*n
 * for the count n in its header (a binary file may start with "solid"),
 * OFF when the first token is OFF/COFF, ASCII STL when it starts with
 * "solid"; SCL_MESH_AUTO when none fits. */
scl_mesh_format scl_mesh_detect(const uint8_t *data, size_t len);

/* Name of a format: "binstl", "asciistl", "off", "auto". */
const char *scl_mesh_format_name(scl_mesh_format fmt);

/* Parse `len` bytes of `fmt` (or SCL_MESH_AUTO) into a new mesh.
 * limits may be NULL for the defaults. On success *out owns the mesh
 * (free with scl_mesh_destroy); on failure *out is NULL and err says what
 * and where. An input with zero triangles is valid (an empty mesh). */
SCL_MUST_CHECK scl_status scl_mesh_parse(const uint8_t *data, size_t len, scl_mesh_format fmt,
                          const scl_mesh_limits *limits, scl_mesh **out, scl_error *err);

/* Build a mesh from caller arrays (copied; indices are checked). colors may be NULL. */
SCL_MUST_CHECK scl_status scl_mesh_from_arrays(const float *positions, size_t vertex_count,
                                const uint32_t *indices, size_t triangle_count,
                                const float *face_colors, scl_mesh **out, scl_error *err);

void scl_mesh_destroy(scl_mesh *mesh);

size_t scl_mesh_vertex_count(const scl_mesh *mesh);
size_t scl_mesh_triangle_count(const scl_mesh *mesh);
const float *scl_mesh_positions(const scl_mesh *mesh);
const uint32_t *scl_mesh_indices(const scl_mesh *mesh);
const float *scl_mesh_face_colors(const scl_mesh *mesh); /* NULL if none */

/* Bytes held by the mesh's arrays (what a memory manager should account). */
size_t scl_mesh_bytes(const scl_mesh *mesh);

/* Bounding box, area, volume, watertightness, counts. */
void scl_mesh_get_stats(const scl_mesh *mesh, scl_mesh_stats *out);

/* Serialize as binary STL (80-byte header, facet normals computed) into a
 * new malloc'd buffer *out of *len bytes. */
SCL_MUST_CHECK scl_status scl_mesh_write_binstl(const scl_mesh *mesh, uint8_t **out, size_t *len, scl_error *err);

#ifdef __cplusplus
}
#endif
#endif /* SCL_MESH_H */
