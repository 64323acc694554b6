/* client.c - see client.h. */
#include "client.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "endpoint.h"
#include "protocol.h"

/* kill(pid, 0) fails with EPERM for a live process of another user: a
 * bridge someone shared with us through its connection file */
static int process_exists(int pid) { return kill(pid, 0) == 0 || errno == EPERM; }

struct scl_client {
    zsock_t *sock;
    zsock_t *handshakes; /* scl_endpoint_watch: a refused key ends the wait at once */
    int pid;
    int child;  /* the bridge is our child: watched with waitpid */
    int reaped; /* ...and has exited (child_status is its status) */
    int child_status;
    unsigned counter;
};

scl_status scl_client_connect(const char *path, scl_client **out, scl_error *err)
{
    *out = NULL;
    json_error_t jerr;
    json_t *cf = json_load_file(path, 0, &jerr);
    if (!cf)
        return scl_error_set(err, SCL_ENOTFOUND, "no bridge connection file at %s", path);
    const char *ep = json_string_value(json_object_get(cf, "endpoint"));
    int pid = (int)json_integer_value(json_object_get(cf, "pid"));
    if (!ep || pid <= 0 || !process_exists(pid)) {
        json_decref(cf);
        return scl_error_set(err, SCL_ENOTFOUND, "the bridge in %s is not running", path);
    }
    scl_client *c = calloc(1, sizeof *c);
    if (!c || !(c->sock = zsock_new(ZMQ_DEALER))) {
        json_decref(cf);
        scl_client_destroy(c);
        return scl_error_set(err, SCL_ENOMEM, "cannot create a ZeroMQ socket");
    }
    zsock_set_linger(c->sock, 0);
    c->handshakes = scl_endpoint_watch(c->sock);
    /* with the file's CURVE keys when the bridge listens on anything but private ipc */
    scl_status st = scl_endpoint_connect(c->sock, cf, err);
    if (st != SCL_OK) {
        json_decref(cf);
        scl_client_destroy(c);
        return st;
    }
    c->pid = pid;
    json_decref(cf);
    *out = c;
    return SCL_OK;
}

void scl_client_destroy(scl_client *c)
{
    if (!c)
        return;
    scl_endpoint_unwatch(c->sock, &c->handshakes);
    zsock_destroy(&c->sock);
    free(c);
}

int scl_client_bridge_pid(const scl_client *c) { return c->pid; }

void scl_client_watch_child(scl_client *c) { c->child = 1; }

int scl_client_child_exited(const scl_client *c, int *status)
{
    if (c->reaped && status)
        *status = c->child_status;
    return c->reaped;
}

/* Is the bridge still there? A child of ours is asked with waitpid: after
 * it dies it is a zombie until reaped, and kill(pid, 0) succeeds on a
 * zombie. */
static int bridge_alive(scl_client *c)
{
    if (!c->child)
        return process_exists(c->pid);
    if (c->reaped)
        return 0;
    pid_t r = waitpid(c->pid, &c->child_status, WNOHANG);
    if (r == c->pid || (r < 0 && errno == ECHILD)) {
        c->reaped = 1;
        return 0;
    }
    return 1;
}

scl_status scl_client_request(scl_client *c, json_t *header, int timeout_ms, zmsg_t **reply,
                              json_t **reply_header, scl_error *err)
{
    char id[64];
    snprintf(id, sizeof id, "cli-%d-%u", (int)getpid(), ++c->counter);
    if (json_object_set_new(header, "id", json_string(id)) != 0) {
        json_decref(header);
        return scl_error_set(err, SCL_ENOMEM, "out of memory");
    }
    zmsg_t *m = scl_protocol_reply(NULL, header);
    if (!m)
        return scl_error_set(err, SCL_ENOMEM, "out of memory");
    if (zmsg_content_size(m) > SCL_PROTOCOL_MAX_REQUEST) {
        /* the bridge would answer TOO_LARGE, or (a frame over 4x the limit)
         * ZeroMQ would drop the connection without a word: say it here */
        scl_status st = scl_error_set(err, SCL_ETOOBIG, "the request is %zu bytes, over the bridge's limit of %zu bytes",
                                      zmsg_content_size(m), SCL_PROTOCOL_MAX_REQUEST);
        zmsg_destroy(&m);
        return st;
    }
    if (zmsg_send(&m, c->sock) != 0) {
        zmsg_destroy(&m);
        return scl_error_set(err, SCL_EIO, "cannot send to the bridge");
    }
    int64_t deadline = timeout_ms > 0 ? zclock_mono() + timeout_ms : 0;
    zpoller_t *poller = zpoller_new(c->sock, c->handshakes, NULL);
    if (!poller)
        return scl_error_set(err, SCL_ENOMEM, "out of memory");
    scl_status st = SCL_OK;
    for (;;) {
        if (deadline && zclock_mono() >= deadline) {
            st = scl_error_set(err, SCL_EBUSY, "no reply from the bridge within %d ms", timeout_ms);
            break;
        }
        void *ready = zpoller_wait(poller, 200);
        if (ready && ready == c->handshakes) {
            if ((st = scl_endpoint_check(c->handshakes, err)) != SCL_OK)
                break;
            continue;
        }
        if (!ready) {
            if (zpoller_terminated(poller)) {
                st = scl_error_set(err, SCL_EIO, "interrupted");
                break;
            }
            if (!bridge_alive(c)) {
                st = scl_error_set(err, SCL_EIO, "the bridge (pid %d) exited before answering", c->pid);
                break;
            }
            continue;
        }
        zmsg_t *r = zmsg_recv(c->sock);
        if (!r)
            continue;
        zframe_t *hf = zmsg_size(r) >= 2 ? zmsg_next(r) : NULL;
        hf = zmsg_first(r) ? zmsg_next(r) : NULL;
        json_t *h = hf ? json_loadb((const char *)zframe_data(hf), zframe_size(hf), 0, NULL) : NULL;
        const char *rid = json_string_value(json_object_get(h, "id"));
        const char *type = json_string_value(json_object_get(h, "type"));
        if (h && rid && !strcmp(rid, id) && type && strcmp(type, "progress") != 0) {
            *reply = r;
            *reply_header = h;
            break;
        }
        json_decref(h);
        zmsg_destroy(&r);
    }
    zpoller_destroy(&poller);
    return st;
}
