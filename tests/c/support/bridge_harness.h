/*
 * bridge_harness.h - start this build's `scadlive bridge` for a test and
 * talk to it: the connection file is the only way in, as for any client.
 *
 * Each bridge runs in its own temporary directory (/tmp/scl-test-*), which
 * is also its XDG_RUNTIME_DIR unless the test says otherwise; it has the
 * test process as --parent-pid, so it never outlives the test.
 */
#ifndef SCL_BRIDGE_HARNESS_H
#define SCL_BRIDGE_HARNESS_H

#include <czmq.h>
#include <jansson.h>
#include <sys/types.h>

typedef struct scl_test_bridge {
    pid_t pid;
    char dir[128];      /* the test's temporary directory */
    char conn[256];     /* the connection file */
    char log[256];      /* the bridge's stdout+stderr */
    json_t *conn_json;  /* the connection file, parsed */
} scl_test_bridge;

typedef struct scl_test_bridge_options {
    const char *const *args; /* more arguments for `scadlive bridge`, NULL-terminated (or NULL) */
    const char *runtime_dir; /* XDG_RUNTIME_DIR; NULL = the test directory */
    int wait_ms;             /* for the connection file; 0 = 20 s */
    const char *const *env;  /* "NAME=value" to set for the bridge, NULL-terminated (or NULL) */
    int without_landlock;    /* the bridge sees a kernel without Landlock (seccomp: ENOSYS) */
    int as_other_user;       /* run the bridge as uid/gid below (the test runs as root) */
    uid_t uid;
    gid_t gid;
    int tmpdir_in_test_dir;  /* the bridge's TMPDIR is the test directory (its renderers' temp dirs land there) */
} scl_test_bridge_options;

/* Start a bridge; returns 0 when it wrote its connection file, -1 if it
 * exited first or did not write it in time (its log says why). */
int scl_test_bridge_start(scl_test_bridge *b, const scl_test_bridge_options *opt);

/* SIGTERM it and wait; returns its exit status (waitpid's). */
int scl_test_bridge_stop(scl_test_bridge *b);

/* Remove the test directory and free the parsed connection file. */
void scl_test_bridge_cleanup(scl_test_bridge *b);

/* Remove `dir` and everything below it (links are removed, not followed);
 * 0 when it is gone, -1 when something could not be removed. */
int scl_test_remove_tree(const char *dir);

/* The bridge's log as text (malloc'd; "" if none). */
char *scl_test_bridge_log(const scl_test_bridge *b);

/* A DEALER connected as the connection file says (CURVE keys included). */
zsock_t *scl_test_client(const json_t *conn);

/* Send one request header. Returns 0 on success. */
int scl_test_send(zsock_t *s, json_t *header);

/* The next terminal reply's header (progress messages skipped), or NULL
 * after timeout_ms. *msg keeps the whole message when not NULL. */
json_t *scl_test_recv(zsock_t *s, int timeout_ms, zmsg_t **msg);

/* Ping and wait up to timeout_ms: 1 if a pong came back, 0 if nothing did. */
int scl_test_ping(zsock_t *s, int timeout_ms);

#endif
