/* cliutil.h - small helpers shared by the CLI subcommands. */
#ifndef SCL_CLI_UTIL_H
#define SCL_CLI_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* Read a whole file ("-" = stdin) into a new malloc'd buffer (NUL-terminated
 * for convenience; *len excludes the NUL). Limit: max_bytes. */
scl_status scl_cli_read_file(const char *path, size_t max_bytes, uint8_t **out, size_t *len,
                             scl_error *err);

/* Write len bytes to path atomically (temp file + rename). */
scl_status scl_cli_write_file(const char *path, const uint8_t *data, size_t len, scl_error *err);

#endif

#ifndef SCL_CLI_UTIL_PATHS
#define SCL_CLI_UTIL_PATHS
/* Repository (or install) root holding renderer/ and build/openscad/. */
const char *scl_cli_source_dir(void);
/* Absolute path of this executable. */
const char *scl_cli_self_exe(void);
#endif
