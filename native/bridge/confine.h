/*
 * confine.h - confine a process's file access with Linux Landlock.
 *
 * Landlock is the kernel's unprivileged sandbox (Linux 5.13+, ABI 1-7): a
 * process lists the paths it may still use and how, then restricts itself;
 * the restriction is inherited across fork and exec and cannot be undone.
 * Here it is reached through the raw syscalls (no library).
 *
 * Use: scl_confine_new, scl_confine_allow for each path (before fork, while
 * the paths can still be opened), then scl_confine_apply in the child just
 * before exec. Everything the ABI knows is restricted: file system access
 * (reads, writes, exec, making and removing files, truncate, device ioctl),
 * TCP bind/connect (ABI 4+: none allowed), and abstract Unix sockets and
 * signals outside the sandbox (ABI 6+).
 *
 * On kernels without Landlock (older than 5.13, or built or booted without
 * it) scl_confine_new fails with SCL_ENOTFOUND and a message saying why; it
 * is the caller's choice what to do then (the openscad renderer runs
 * unconfined, and the bridge logs that once per pool: docs/bridge.md).
 */
#ifndef SCL_CONFINE_H
#define SCL_CONFINE_H

#include "error.h"

typedef struct scl_confine scl_confine;

enum {
    SCL_CONFINE_READ = 1,  /* read files, list directories */
    SCL_CONFINE_EXEC = 2,  /* execute files */
    SCL_CONFINE_WRITE = 4, /* everything else: write, create, remove, truncate */
};

/* The kernel's Landlock ABI version (1-7...), or 0 if it has none; when 0
 * and why is not NULL, a reason (e.g. "Landlock is disabled at boot"). */
int scl_confine_abi(char *why, size_t why_cap);

/* A new, empty rule set (nothing allowed yet). NULL with SCL_ENOTFOUND if
 * the kernel has no Landlock. */
scl_confine *scl_confine_new(scl_error *err);

/* Allow `what` (SCL_CONFINE_* bits) on `path` and everything beneath it (a
 * regular file: that file only). A path that does not exist is skipped
 * (SCL_OK): nothing is there to allow. */
SCL_MUST_CHECK scl_status scl_confine_allow(scl_confine *c, const char *path, int what, scl_error *err);

/* Restrict the calling process (and its future children) to the rules.
 * Also sets no_new_privs, which Landlock requires. Meant for a child just
 * before exec; async-signal-safe (two syscalls). Returns 0, or -1 with errno. */
int scl_confine_apply(const scl_confine *c);

void scl_confine_destroy(scl_confine *c);

#endif
