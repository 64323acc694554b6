/*
 * scadrefs.h - the files a SCAD text names: include <...>, use <...>,
 * import("...") and surface("..."), outside comments and strings.
 *
 * Only the scan: resolving the names against directories and library
 * folders is the caller's (native/bridge/deps.c on the native file system,
 * scadlive/_pyodide.py on Pyodide's, through the WASM build).
 */
#ifndef SCL_SCADREFS_H
#define SCL_SCADREFS_H

#include <stddef.h>

/* Called for each name in text order; `ref` is NUL-terminated (at most
 * SCL_SCADREFS_MAX - 1 bytes: longer names are cut there). Return nonzero
 * to stop the scan. */
typedef int (*scl_scadrefs_fn)(void *user, const char *ref);

#define SCL_SCADREFS_MAX 4096

/* Scan the NUL-terminated `text`; returns the callback's nonzero value
 * that stopped it, or 0. */
int scl_scadrefs_scan(const char *text, scl_scadrefs_fn fn, void *user);

#endif
