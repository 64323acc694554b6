/* cmd_stats.c - `scadlive stats`: the running bridge's statistics as JSON. */
#include <stdio.h>
#include <string.h>

#include "client.h"
#include "cliutil.h"
#include "commands.h"
#include "daemon.h"

int scl_cmd_stats(int argc, char **argv)
{
    const char *conn_arg = NULL;
    if (argc == 3 && !strcmp(argv[1], "--connection-file"))
        conn_arg = argv[2];
    else if (argc != 1) {
        fprintf(stderr, "usage: scadlive stats [--connection-file F]\n");
        return 2;
    }
    char conn[600];
    scl_error err;
    if (conn_arg)
        snprintf(conn, sizeof conn, "%s", conn_arg);
    else if (scl_daemon_default_connection_file(conn, sizeof conn, &err) != SCL_OK) {
        fprintf(stderr, "scadlive stats: %s\n", err.message);
        return 1;
    }
    scl_client *c;
    if (scl_client_connect(conn, &c, &err) != SCL_OK) {
        fprintf(stderr, "scadlive stats: %s\n", err.message);
        return 1;
    }
    zmsg_t *reply = NULL;
    json_t *h = NULL;
    int rc = 0;
    if (scl_client_request(c, json_pack("{s:s}", "type", "stats"), 10000, &reply, &h, &err) != SCL_OK) {
        fprintf(stderr, "scadlive stats: %s\n", err.message);
        rc = 1;
    } else {
        json_object_del(h, "type");
        json_object_del(h, "id");
        rc = scl_cli_print_json("stats", h, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(6));
    }
    json_decref(h);
    zmsg_destroy(&reply);
    scl_client_destroy(c);
    return rc;
}
