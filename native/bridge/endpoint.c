/* endpoint.c - see endpoint.h. */
#define _GNU_SOURCE
#include "endpoint.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* sockaddr_un.sun_path holds 108 bytes, the last one the terminating NUL */
#define SUN_PATH_MAX 107
#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define ZAP_DOMAIN "scadlive"

struct scl_endpoint {
    char address[600];
    int curve;
    char server_public[41];
    char client_public[41];
    char client_secret[41];
    uint8_t client_key[32]; /* client_public, decoded: what ZAP compares */
    zsock_t *zap;
    uint64_t refused;
    char socket_path[SUN_PATH_MAX + 1]; /* removed at the end ("" = none) */
    char made_dir[SUN_PATH_MAX + 1];    /* a mkdtemp directory of ours ("" = none) */
};

/* ------------------------------------------------------------ directories */

scl_status scl_private_dir(const char *path, scl_error *err)
{
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        return scl_error_set(err, SCL_EIO, "cannot create %s: %s", path, strerror(errno));
    struct stat st;
    if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid())
        return scl_error_set(err, SCL_EIO, "%s is not a directory owned by this user; refusing to use it", path);
    if ((st.st_mode & 077) && chmod(path, st.st_mode & 0700) != 0)
        return scl_error_set(err, SCL_EIO, "cannot make %s private: %s", path, strerror(errno));
    return SCL_OK;
}

scl_status scl_endpoint_runtime_dir(char *out, size_t cap, scl_error *err)
{
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    int n = xdg && *xdg ? snprintf(out, cap, "%s/scadlive", xdg) : snprintf(out, cap, "/tmp/scadlive-%u", (unsigned)getuid());
    if (n < 0 || (size_t)n >= cap)
        return scl_error_set(err, SCL_ETOOBIG, "the runtime directory path is longer than %zu bytes", cap - 1);
    return scl_private_dir(out, err);
}

/* The socket's directory exists, is owned by us and no one else may enter it. */
static int in_private_dir(const char *socket_path)
{
    char copy[4096];
    snprintf(copy, sizeof copy, "%s", socket_path);
    struct stat st;
    return lstat(dirname(copy), &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == getuid() && !(st.st_mode & 077);
}

/* ------------------------------------------------------------ CURVE */

static int same_key(const uint8_t *a, const uint8_t *b)
{
    uint8_t diff = 0; /* constant time: no early exit on the first differing byte */
    for (int i = 0; i < 32; i++)
        diff |= (uint8_t)(a[i] ^ b[i]);
    return diff == 0;
}

/* One ZAP request (RFC 27): version, request id, domain, address, routing
 * id, mechanism, credentials. Always answered, or libzmq's handshake waits. */
static int serve_zap(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void)loop;
    scl_endpoint *ep = arg;
    zmsg_t *req = zmsg_recv(sock);
    if (!req)
        return 0;
    zframe_t *version = zmsg_pop(req), *request_id = zmsg_pop(req), *domain = zmsg_pop(req),
             *address = zmsg_pop(req), *routing_id = zmsg_pop(req), *mechanism = zmsg_pop(req),
             *key = zmsg_pop(req);
    int ok = version && zframe_streq(version, "1.0") && domain && zframe_streq(domain, ZAP_DOMAIN) &&
             mechanism && zframe_streq(mechanism, "CURVE") && key && zframe_size(key) == 32 &&
             same_key(zframe_data(key), ep->client_key);
    if (!ok) {
        /* say so, without letting a flood of attempts flood the log */
        if (ep->refused++ % 1000 == 0) {
            char *from = address ? zframe_strdup(address) : NULL;
            zsys_warning("scadlive bridge: refused a client from %s: it did not present the client key of "
                         "the connection file (%llu refused so far)", from && *from ? from : "an unknown address",
                         (unsigned long long)ep->refused);
            free(from);
        }
    }
    /* out of memory: no reply rather than a half-built one (libzmq then
     * completes no handshake for this client) */
    zmsg_t *reply = zmsg_new();
    int built = reply && zmsg_addstr(reply, "1.0") == 0 &&
                (request_id ? zmsg_append(reply, &request_id) : zmsg_addstr(reply, "")) == 0 &&
                zmsg_addstr(reply, ok ? "200" : "400") == 0 &&
                zmsg_addstr(reply, ok ? "OK" : "unknown client key") == 0 &&
                zmsg_addstr(reply, ok ? "scadlive-client" : "") == 0 &&
                zmsg_addmem(reply, NULL, 0) == 0; /* no metadata */
    if (!built || zmsg_send(&reply, sock) != 0)
        zmsg_destroy(&reply);
    zframe_destroy(&version);
    zframe_destroy(&request_id);
    zframe_destroy(&domain);
    zframe_destroy(&address);
    zframe_destroy(&routing_id);
    zframe_destroy(&mechanism);
    zframe_destroy(&key);
    zmsg_destroy(&req);
    return 0;
}

/* Make the keys, start the ZAP handler and make `router` a CURVE server.
 * Must happen before the router binds: a CURVE socket without a ZAP handler
 * accepts any client key. */
static scl_status setup_curve(scl_endpoint *ep, zsock_t *router, scl_error *err)
{
    char server_secret[41];
    if (zmq_curve_keypair(ep->server_public, server_secret) != 0 ||
        zmq_curve_keypair(ep->client_public, ep->client_secret) != 0)
        return scl_error_set(err, SCL_EIO, "cannot make CURVE keys: %s (is libzmq built with CURVE?)",
                             zmq_strerror(zmq_errno()));
    if (!zmq_z85_decode(ep->client_key, ep->client_public))
        return scl_error_set(err, SCL_EIO, "cannot decode the client key just made");
    ep->zap = zsock_new(ZMQ_REP);
    if (!ep->zap || zsock_bind(ep->zap, ZAP_ENDPOINT) != 0)
        return scl_error_set(err, SCL_EIO, "cannot start the CURVE authentication handler: %s",
                             zmq_strerror(zmq_errno()));
    zsock_set_zap_domain(router, ZAP_DOMAIN);
    zsock_set_curve_server(router, 1);
    zsock_set_curve_secretkey(router, server_secret);
    explicit_bzero(server_secret, sizeof server_secret);
    ep->curve = 1;
    return SCL_OK;
}

/* ------------------------------------------------------------ binding */

static void record_address(scl_endpoint *ep, zsock_t *router, const char *fallback)
{
    char *last = zsock_last_endpoint(router); /* the real port of tcp://...:0 */
    snprintf(ep->address, sizeof ep->address, "%s", last && *last ? last : fallback);
    zstr_free(&last);
}

/* Bind ipc:// at dir/bridge-PID.sock; on failure appends why to `why`. */
static int bind_private_ipc(scl_endpoint *ep, zsock_t *router, const char *dir, char *why, size_t why_cap)
{
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/bridge-%d.sock", dir, (int)getpid());
    size_t used = strlen(why);
    if (n > SUN_PATH_MAX) {
        snprintf(why + used, why_cap - used, "%s%s: the socket path would be %d bytes, over the %d a Unix socket allows",
                 used ? "; " : "", dir, n, SUN_PATH_MAX);
        return 0;
    }
    mode_t old = umask(077); /* the socket is made 0600, not made and then chmod'ed */
    int rc = zsock_bind(router, "ipc://%s", path);
    umask(old);
    if (rc < 0) {
        snprintf(why + used, why_cap - used, "%s%s: %s", used ? "; " : "", path, zmq_strerror(zmq_errno()));
        return 0;
    }
    chmod(path, 0600);
    memcpy(ep->socket_path, path, (size_t)n + 1); /* n <= SUN_PATH_MAX: fits */
    snprintf(ep->address, sizeof ep->address, "ipc://%.*s", SUN_PATH_MAX, path);
    return 1;
}

static scl_status bind_default(scl_endpoint *ep, zsock_t *router, scl_error *err)
{
    char why[1500] = "", dir[4096];
    scl_error derr;
    if (scl_endpoint_runtime_dir(dir, sizeof dir, &derr) == SCL_OK) {
        if (bind_private_ipc(ep, router, dir, why, sizeof why))
            return SCL_OK;
    } else {
        snprintf(why, sizeof why, "%s", derr.message);
    }
    char tmp_dir[64];
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/scadlive-%u", (unsigned)getuid());
    if (strcmp(tmp_dir, dir) != 0) {
        if (scl_private_dir(tmp_dir, &derr) == SCL_OK) {
            if (bind_private_ipc(ep, router, tmp_dir, why, sizeof why)) {
                zsys_info("scadlive bridge: the runtime directory could not hold the socket (%s); using %s", why,
                          tmp_dir);
                return SCL_OK;
            }
        } else {
            size_t used = strlen(why);
            snprintf(why + used, sizeof why - used, "%s%s", used ? "; " : "", derr.message);
        }
    }
    /* a fresh directory of our own, removed when we stop */
    char fresh[64];
    snprintf(fresh, sizeof fresh, "/tmp/scadlive-%u-XXXXXX", (unsigned)getuid());
    if (mkdtemp(fresh)) {
        if (bind_private_ipc(ep, router, fresh, why, sizeof why)) {
            snprintf(ep->made_dir, sizeof ep->made_dir, "%s", fresh);
            zsys_info("scadlive bridge: the runtime directory could not hold the socket (%s); using %s", why, fresh);
            return SCL_OK;
        }
        rmdir(fresh);
    } else {
        size_t used = strlen(why);
        snprintf(why + used, sizeof why - used, "%s%s: %s", used ? "; " : "", fresh, strerror(errno));
    }
    return scl_error_set(err, SCL_EIO,
                         "cannot listen on a private ipc socket (%s); to listen on loopback TCP with CURVE keys "
                         "instead, say so: --endpoint tcp://127.0.0.1:0", why);
}

scl_endpoint *scl_endpoint_bind(zsock_t *router, const char *requested, scl_error *err)
{
    scl_endpoint *ep = calloc(1, sizeof *ep);
    if (!ep) {
        scl_error_set(err, SCL_ENOMEM, "out of memory");
        return NULL;
    }
    if (!requested || !*requested) {
        if (bind_default(ep, router, err) != SCL_OK) {
            scl_endpoint_destroy(&ep);
            return NULL;
        }
        return ep;
    }
    const char *ipc_path = !strncmp(requested, "ipc://", 6) ? requested + 6 : NULL;
    int abstract = ipc_path && ipc_path[0] == '@';
    int wildcard = ipc_path && !strcmp(ipc_path, "*");
    if (ipc_path && !abstract && !wildcard && ipc_path[0] != '/') {
        /* the connection file must lead clients anywhere to the same socket */
        scl_error_set(err, SCL_EINVAL, "%s: an ipc:// endpoint needs an absolute path (ipc:///dir/name.sock)",
                      requested);
        scl_endpoint_destroy(&ep);
        return NULL;
    }
    int private_ipc = ipc_path && !abstract && !wildcard && in_private_dir(ipc_path);
    if (!private_ipc && setup_curve(ep, router, err) != SCL_OK) {
        scl_endpoint_destroy(&ep);
        return NULL;
    }
    mode_t old = umask(077); /* an ipc socket file is born 0600 */
    int rc = zsock_bind(router, "%s", requested);
    umask(old);
    if (rc < 0) {
        scl_error_set(err, SCL_EIO, "cannot bind %s: %s", requested, zmq_strerror(zmq_errno()));
        scl_endpoint_destroy(&ep);
        return NULL;
    }
    record_address(ep, router, requested);
    if (ipc_path && !abstract) {
        const char *bound = ep->address + 6;
        chmod(bound, 0600);
        if (strlen(bound) <= SUN_PATH_MAX)
            snprintf(ep->socket_path, sizeof ep->socket_path, "%s", bound);
    }
    return ep;
}

scl_status scl_endpoint_attach(scl_endpoint *ep, zloop_t *loop, scl_error *err)
{
    if (!ep->zap)
        return SCL_OK;
    if (zloop_reader(loop, ep->zap, serve_zap, ep) != 0)
        return scl_error_set(err, SCL_EIO, "cannot watch the CURVE authentication handler");
    return SCL_OK;
}

const char *scl_endpoint_address(const scl_endpoint *ep) { return ep->address; }

int scl_endpoint_uses_curve(const scl_endpoint *ep) { return ep->curve; }

scl_status scl_endpoint_describe(const scl_endpoint *ep, json_t *conn, scl_error *err)
{
    int rc = json_object_set_new(conn, "endpoint", json_string(ep->address));
    rc |= json_object_set_new(conn, "security", json_string(ep->curve ? "curve" : "private-ipc"));
    if (ep->curve)
        rc |= json_object_set_new(conn, "curve",
                                  json_pack("{s:s,s:s,s:s}", "serverkey", ep->server_public, "publickey",
                                            ep->client_public, "secretkey", ep->client_secret));
    return rc ? scl_error_set(err, SCL_ENOMEM, "out of memory") : SCL_OK;
}

void scl_endpoint_destroy(scl_endpoint **epp)
{
    scl_endpoint *ep = epp ? *epp : NULL;
    if (!ep)
        return;
    zsock_destroy(&ep->zap);
    if (ep->socket_path[0])
        remove(ep->socket_path);
    if (ep->made_dir[0])
        rmdir(ep->made_dir);
    explicit_bzero(ep, sizeof *ep);
    free(ep);
    *epp = NULL;
}

/* ------------------------------------------------------------ clients */

static const char *curve_key(const json_t *curve, const char *name)
{
    const char *k = json_string_value(json_object_get(curve, name));
    uint8_t bin[32];
    return k && strlen(k) == 40 && zmq_z85_decode(bin, k) ? k : NULL;
}

scl_status scl_endpoint_connect(zsock_t *dealer, const json_t *conn, scl_error *err)
{
    const char *address = json_string_value(json_object_get(conn, "endpoint"));
    if (!address || !*address) {
        scl_error_set(err, SCL_EPARSE, "the connection file has no \"endpoint\"");
        scl_error_field(err, "endpoint");
        return SCL_EPARSE;
    }
    const json_t *curve = json_object_get(conn, "curve");
    const char *security = json_string_value(json_object_get(conn, "security"));
    if (curve || (security && !strcmp(security, "curve"))) {
        static const char *const names[] = {"serverkey", "publickey", "secretkey"};
        const char *keys[3];
        for (int i = 0; i < 3; i++) {
            keys[i] = curve_key(curve, names[i]);
            if (!keys[i]) {
                char field[64];
                snprintf(field, sizeof field, "curve.%s", names[i]);
                scl_error_set(err, SCL_EPARSE, "the connection file's \"%s\" is missing or not a Z85 CURVE key", field);
                scl_error_field(err, field);
                return SCL_EPARSE;
            }
        }
        zsock_set_curve_serverkey(dealer, keys[0]);
        zsock_set_curve_publickey(dealer, keys[1]);
        zsock_set_curve_secretkey(dealer, keys[2]);
    }
    if (zsock_connect(dealer, "%s", address) != 0)
        return scl_error_set(err, SCL_EIO, "cannot connect to %s: %s", address, zmq_strerror(zmq_errno()));
    return SCL_OK;
}

/* ------------------------------------------------------------ handshakes */

zsock_t *scl_endpoint_watch(zsock_t *sock)
{
    char address[64];
    snprintf(address, sizeof address, "inproc://scl-handshakes-%p", (void *)sock);
    if (zmq_socket_monitor(zsock_resolve(sock), address,
                           ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) != 0)
        return NULL;
    zsock_t *monitor = zsock_new(ZMQ_PAIR);
    if (!monitor || zsock_connect(monitor, "%s", address) != 0) {
        zmq_socket_monitor(zsock_resolve(sock), NULL, 0);
        zsock_destroy(&monitor);
    }
    return monitor;
}

void scl_endpoint_unwatch(zsock_t *sock, zsock_t **monitor)
{
    if (!monitor || !*monitor)
        return;
    zmq_socket_monitor(zsock_resolve(sock), NULL, 0);
    zsock_destroy(monitor);
}

scl_status scl_endpoint_check(zsock_t *monitor, scl_error *err)
{
    zmsg_t *m = zmsg_recv(monitor);
    if (!m)
        return SCL_OK;
    zframe_t *what = zmsg_first(m), *where = zmsg_next(m);
    uint16_t event = 0;
    uint32_t value = 0;
    if (what && zframe_size(what) == 6) { /* uint16 event, uint32 value, host order */
        memcpy(&event, zframe_data(what), 2);
        memcpy(&value, zframe_data(what) + 2, 4);
    }
    char *address = where ? zframe_strdup(where) : NULL;
    const char *at = address && *address ? address : "the bridge's endpoint";
    scl_status st = SCL_OK;
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
        st = scl_error_set(err, SCL_EIO,
                           "the bridge at %s refused this client's CURVE key (status %u): the connection file "
                           "is not that bridge's current one", at, (unsigned)value);
    else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL && value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)
        st = scl_error_set(err, SCL_EIO,
                           "the bridge at %s uses another security mechanism than the connection file says "
                           "(it wants CURVE keys the file does not have, or the reverse)", at);
    free(address);
    zmsg_destroy(&m);
    return st;
}
