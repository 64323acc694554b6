/* cliutil.h - small helpers shared by the CLI subcommands. File reads and
 * writes are in native/bridge/fileio.h (the tests and benches use them too). */
#ifndef SCL_CLI_UTIL_H
#define SCL_CLI_UTIL_H

#include <jansson.h>

#include "fileio.h"

/* Print an error once, as "scadlive COMMAND: FILE:LINE: MESSAGE" (the parts
 * known); messages from the core and the bridge carry no location text. */
void scl_cli_print_error(const char *command, const char *file, long line, const char *message);

/* Print OpenSCAD's message lines (a reply's "messages": [{level, text, file,
 * line}]) on stderr as OpenSCAD prints them ("ECHO: ...", "WARNING: ... in
 * file part.scad, line 3"); with skip_errors, ERROR lines are left out (the
 * caller prints the error itself, once). */
void scl_cli_print_messages(const json_t *messages, int skip_errors);

/* Print value as JSON on stdout (json_dumps flags). 0, or 1 after saying on
 * stderr that it could not (value NULL or out of memory). */
int scl_cli_print_json(const char *command, const json_t *value, size_t flags);

/* Repository (or install) root holding renderer/ and build/openscad/. */
const char *scl_cli_source_dir(void);
/* Absolute path of this executable. */
const char *scl_cli_self_exe(void);

#endif
