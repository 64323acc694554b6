/* cliutil.h - small helpers shared by the CLI subcommands. File reads and
 * writes are in native/bridge/fileio.h (the tests and benches use them too). */
#ifndef SCL_CLI_UTIL_H
#define SCL_CLI_UTIL_H

#include "fileio.h"

/* Repository (or install) root holding renderer/ and build/openscad/. */
const char *scl_cli_source_dir(void);
/* Absolute path of this executable. */
const char *scl_cli_self_exe(void);

#endif
