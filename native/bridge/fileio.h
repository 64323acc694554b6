/*
 * fileio.h - whole-file reads and atomic writes, for the CLI, the bridge,
 * the tests and the benchmarks (the core itself does no file I/O).
 */
#ifndef SCL_FILEIO_H
#define SCL_FILEIO_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* Read a whole file ("-" = stdin) into a new malloc'd buffer, NUL-terminated
 * for convenience (*len excludes the NUL). A file over max_bytes is
 * SCL_ETOOBIG; an unreadable one SCL_EIO with the path and the reason. */
SCL_MUST_CHECK scl_status scl_file_read(const char *path, size_t max_bytes, uint8_t **out, size_t *len, scl_error *err);

/* Write len bytes to path atomically (temp file + rename); "-" = stdout. */
SCL_MUST_CHECK scl_status scl_file_write(const char *path, const uint8_t *data, size_t len, scl_error *err);

/* Remove a directory and everything in it (no symlinks followed). Returns
 * 0, or -1 if something could not be removed. */
int scl_remove_tree(const char *path);

/* Make a private directory $TMPDIR/<prefix>XXXXXX (or /tmp/...), mode 0700;
 * its path in out. */
SCL_MUST_CHECK scl_status scl_make_temp_dir(const char *prefix, char *out, size_t cap, scl_error *err);

#endif
