/* Security tests of the render bridge (docs/bridge.md, "Security model"):
 * the real daemon (this build's `scadlive bridge`), real ZeroMQ, a real
 * second Unix user. Who may connect on each transport, what the connection
 * file gives them, and what a renderer may read. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base64.h"
#include "bridge_harness.h"
#include "confine.h"
#include "fileio.h"

#define NO_REPLY_WAIT_MS 1500 /* how long "gets nothing" waits */

static const char *str(const json_t *j, const char *k) { return json_string_value(json_object_get(j, k)); }

static void start(scl_test_bridge *b, const char *const *args, const char *runtime_dir)
{
    scl_test_bridge_options opt = {.args = args, .runtime_dir = runtime_dir};
    int rc = scl_test_bridge_start(b, &opt);
    if (rc != 0) {
        char *log = scl_test_bridge_log(b);
        cr_assert_fail("the bridge did not start: %s", log);
    }
}

/* The connection file with its endpoint only, or with a client key pair of
 * our own making (the server key stays right: it is public anyway). */
/* A directory whose path is 120 characters (`top`/<fill>...): a socket
 * path under it does not fit in sun_path (107 bytes). `top` (a fresh
 * /tmp/scl-test-long-XXXXXX) is what to remove afterwards. */
static void make_long_dir(char top[64], char longdir[256], char fill)
{
    snprintf(top, 64, "/tmp/scl-test-long-XXXXXX");
    cr_assert_not_null(mkdtemp(top));
    int n = snprintf(longdir, 256, "%s/", top);
    while (n < 120)
        longdir[n++] = fill;
    longdir[n] = 0;
    cr_assert_eq(mkdir(longdir, 0700), 0);
}

static json_t *without_keys(const json_t *conn) { return json_pack("{s:s}", "endpoint", str(conn, "endpoint")); }

static json_t *with_wrong_client_key(const json_t *conn)
{
    char pub[41], sec[41];
    cr_assert_eq(zmq_curve_keypair(pub, sec), 0);
    const char *server = str(json_object_get(conn, "curve"), "serverkey");
    cr_assert_not_null(server, "the connection file has no curve.serverkey");
    return json_pack("{s:s,s:{s:s,s:s,s:s}}", "endpoint", str(conn, "endpoint"), "curve", "serverkey", server,
                     "publickey", pub, "secretkey", sec);
}

static int ping_with(json_t *conn, int timeout_ms)
{
    zsock_t *s = scl_test_client(conn);
    json_decref(conn);
    if (!s)
        return -1;
    int pong = scl_test_ping(s, timeout_ms);
    zsock_destroy(&s);
    return pong;
}

/* Only a client holding the connection file's keys gets an answer. */
static void assert_keys_required(const scl_test_bridge *b, const char *what)
{
    const json_t *conn = b->conn_json;
    cr_assert_str_eq(str(conn, "security"), "curve", "%s: not CURVE", what);
    cr_assert_eq(ping_with(without_keys(conn), NO_REPLY_WAIT_MS), 0, "%s: a client without keys got a reply", what);
    cr_assert_eq(ping_with(with_wrong_client_key(conn), NO_REPLY_WAIT_MS), 0,
                 "%s: a client with a key of its own got a reply", what);
    cr_assert_eq(ping_with(json_deep_copy(conn), 10000), 1, "%s: the connection file's keys got no reply", what);
    struct stat st;
    cr_assert_eq(stat(b->conn, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600, "%s: connection file mode %o", what, st.st_mode & 0777);
}

/* The endpoints other local users could reach, each asked for with
 * --endpoint: the refusal tests run one bridge on each in turn. */
enum { TRANSPORT_COUNT = 4 };
typedef struct transports {
    char abstract[64];   /* ipc://@scl-test-<tag>-PID: no file, no file mode */
    char shared_dir[64]; /* a directory others may enter */
    char shared_ipc[128];
    const char *endpoint[TRANSPORT_COUNT]; /* ws, abstract ipc, ipc in shared_dir, tcp */
} transports;

/* `shared_mode`: what others may do in shared_dir (the socket's own mode
 * is not what keeps them out). */
static void transports_make(transports *t, const char *tag, mode_t shared_mode)
{
    snprintf(t->abstract, sizeof t->abstract, "ipc://@scl-test-%s-%d", tag, (int)getpid());
    snprintf(t->shared_dir, sizeof t->shared_dir, "/tmp/scl-test-shared-XXXXXX");
    cr_assert_not_null(mkdtemp(t->shared_dir));
    cr_assert_eq(chmod(t->shared_dir, shared_mode), 0);
    snprintf(t->shared_ipc, sizeof t->shared_ipc, "ipc://%s/bridge.sock", t->shared_dir);
    const char *endpoint[TRANSPORT_COUNT] = {"ws://127.0.0.1:0", t->abstract, t->shared_ipc, "tcp://127.0.0.1:0"};
    memcpy(t->endpoint, endpoint, sizeof endpoint);
}

static void transports_remove(transports *t) { rmdir(t->shared_dir); }

Test(security, tcp_port_zero_writes_the_real_port, .timeout = 60)
{
    scl_test_bridge b;
    const char *args[] = {"--endpoint", "tcp://127.0.0.1:0", "--workers", "1", NULL};
    start(&b, args, NULL);
    const char *ep = str(b.conn_json, "endpoint");
    cr_assert(!strncmp(ep, "tcp://127.0.0.1:", 16), "endpoint %s", ep);
    long port = strtol(ep + 16, NULL, 10);
    cr_assert(port > 0 && port < 65536, "the connection file says %s, not the bound port", ep);
    cr_assert_eq(ping_with(json_deep_copy(b.conn_json), 10000), 1, "no reply on the port it wrote");
    scl_test_bridge_cleanup(&b);
}

Test(security, ws_abstract_shared_dir_ipc_and_tcp_need_the_keys, .timeout = 120)
{
    transports t;
    transports_make(&t, "keys", 0755);
    for (size_t i = 0; i < TRANSPORT_COUNT; i++) {
        scl_test_bridge b;
        const char *args[] = {"--endpoint", t.endpoint[i], "--workers", "1", NULL};
        start(&b, args, NULL);
        assert_keys_required(&b, t.endpoint[i]);
        char *log = scl_test_bridge_log(&b);
        cr_assert(strstr(log, "refused a client"), "%s: the refusals were not logged: %s", t.endpoint[i], log);
        free(log);
        scl_test_bridge_cleanup(&b);
    }
    transports_remove(&t);
}

Test(security, default_endpoint_is_private_ipc, .timeout = 60)
{
    scl_test_bridge b;
    const char *args[] = {"--workers", "1", NULL};
    start(&b, args, NULL);
    const char *ep = str(b.conn_json, "endpoint");
    cr_assert_str_eq(str(b.conn_json, "security"), "private-ipc");
    cr_assert_null(json_object_get(b.conn_json, "curve"));
    cr_assert(!strncmp(ep, "ipc://", 6) && ep[6] == '/', "endpoint %s", ep);
    char dir[256];
    snprintf(dir, sizeof dir, "%s/scadlive", b.dir);
    cr_assert(!strncmp(ep + 6, dir, strlen(dir)), "%s is not in the runtime dir %s", ep, dir);
    struct stat st;
    cr_assert_eq(stat(dir, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0700);
    cr_assert_eq(stat(ep + 6, &st), 0);
    cr_assert_eq(st.st_mode & 077, 0, "socket mode %o", st.st_mode & 0777);
    cr_assert_eq(ping_with(json_deep_copy(b.conn_json), 10000), 1);
    char sock[300];
    snprintf(sock, sizeof sock, "%s", ep + 6);
    scl_test_bridge_cleanup(&b);
    cr_assert_neq(stat(sock, &st), 0, "the socket outlived the bridge");

    /* ipc:// asked for by path, in a directory only we may enter: no keys either */
    char private_dir[64], private_ipc[128];
    snprintf(private_dir, sizeof private_dir, "/tmp/scl-test-private-XXXXXX");
    cr_assert_not_null(mkdtemp(private_dir));
    snprintf(private_ipc, sizeof private_ipc, "ipc://%s/b.sock", private_dir);
    const char *explicit_args[] = {"--endpoint", private_ipc, "--workers", "1", NULL};
    start(&b, explicit_args, NULL);
    cr_assert_str_eq(str(b.conn_json, "endpoint"), private_ipc);
    cr_assert_str_eq(str(b.conn_json, "security"), "private-ipc");
    cr_assert_eq(ping_with(json_deep_copy(b.conn_json), 10000), 1);
    scl_test_bridge_cleanup(&b);
    cr_assert_eq(rmdir(private_dir), 0, "the socket outlived the bridge");
}

Test(security, runtime_dir_too_long_for_a_socket_falls_back_to_a_private_dir, .timeout = 60)
{
    /* XDG_RUNTIME_DIR of 113+ characters: $XDG/scadlive/bridge-PID.sock no
     * longer fits in sun_path. The bridge used to fall back to loopback TCP
     * without keys; now it must pick another private directory. */
    char top[64], longdir[256];
    make_long_dir(top, longdir, 'x');
    scl_test_bridge b;
    const char *args[] = {"--workers", "1", NULL};
    start(&b, args, longdir);
    const char *ep = str(b.conn_json, "endpoint");
    cr_assert(!strncmp(ep, "ipc:///", 7), "fell back to %s", ep);
    cr_assert_str_eq(str(b.conn_json, "security"), "private-ipc");
    cr_assert(strncmp(ep + 6, longdir, strlen(longdir)) != 0, "%s cannot be bound", ep);
    char sockdir[256];
    snprintf(sockdir, sizeof sockdir, "%s", ep + 6);
    *strrchr(sockdir, '/') = 0;
    struct stat st;
    cr_assert_eq(lstat(sockdir, &st), 0);
    cr_assert(S_ISDIR(st.st_mode) && st.st_uid == getuid() && (st.st_mode & 077) == 0,
              "%s is not private (mode %o, uid %d)", sockdir, st.st_mode & 0777, (int)st.st_uid);
    cr_assert_eq(ping_with(json_deep_copy(b.conn_json), 10000), 1);
    char *log = scl_test_bridge_log(&b);
    cr_assert(strstr(log, "could not hold the socket"), "no log line says why: %s", log);
    free(log);
    scl_test_bridge_cleanup(&b);
    cr_assert_eq(scl_test_remove_tree(top), 0);
}

/* ------------------------------------------------------- a second user */

#define OTHER_USER "scl-sec-test"

/* The second user, made if need be; NULL when this test is not root. */
static struct passwd *other_user(void)
{
    if (getuid() != 0)
        return NULL;
    struct passwd *pw = getpwnam(OTHER_USER);
    /* tests run in parallel: another may be adding the user (and holding
     * /etc/passwd's lock) right now */
    for (int attempt = 0; !pw && attempt < 20; attempt++) {
        int rc = system("useradd --system --no-create-home --shell /usr/sbin/nologin " OTHER_USER " 2>/dev/null");
        pw = getpwnam(OTHER_USER);
        if (!pw && attempt == 19)
            cr_assert_fail("useradd " OTHER_USER " failed (%d)", rc);
        if (!pw)
            usleep(200000);
    }
    return pw;
}

/* Can the second user run this build (and the WASM renderer's files)? Not
 * when the checkout is somewhere only root may enter (e.g. under /root). */
static int other_user_can_run_the_build(const struct passwd *pw)
{
    pid_t child = fork();
    if (child == 0) {
        if (setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0)
            _exit(1);
        _exit(access(SCL_BUILD_DIR "/scadlive", X_OK) == 0 &&
                      access(SCL_SOURCE_DIR "/renderer/wasm-worker.mjs", R_OK) == 0 &&
                      access(SCL_SOURCE_DIR "/build/openscad", R_OK | X_OK) == 0
                  ? 0
                  : 1);
    }
    int status;
    return waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* The second user, or the test is skipped: it needs root, and with
 * `to_run_the_build` the user must be able to run this build. */
static struct passwd *other_user_or_skip(int to_run_the_build)
{
    struct passwd *pw = other_user();
    if (!pw)
        cr_skip_test("needs root to create and become a second user");
    if (to_run_the_build && !other_user_can_run_the_build(pw))
        cr_skip_test("the second user cannot reach this build (%s)", SCL_BUILD_DIR);
    return pw;
}

Test(security, no_usable_runtime_dir_means_a_fresh_private_dir_not_tcp, .timeout = 60)
{
    /* as a second user whose XDG_RUNTIME_DIR is too long for a socket and
     * whose /tmp/scadlive-UID belongs to someone else (root): the bridge must
     * make a fresh private directory of its own, and remove it when it stops */
    struct passwd *pw = other_user_or_skip(1);
    char taken[64];
    snprintf(taken, sizeof taken, "/tmp/scadlive-%u", (unsigned)pw->pw_uid);
    if (mkdir(taken, 0755) != 0)
        cr_assert_eq(errno, EEXIST);
    cr_assert_eq(chown(taken, 0, 0), 0);
    cr_assert_eq(chmod(taken, 0755), 0);
    char top[64], longdir[256];
    make_long_dir(top, longdir, 'y');
    cr_assert_eq(chown(top, pw->pw_uid, pw->pw_gid), 0);
    cr_assert_eq(chown(longdir, pw->pw_uid, pw->pw_gid), 0);

    scl_test_bridge b;
    const char *args[] = {"--workers", "1", NULL};
    scl_test_bridge_options opt = {
        .args = args, .runtime_dir = longdir, .as_other_user = 1, .uid = pw->pw_uid, .gid = pw->pw_gid};
    int rc = scl_test_bridge_start(&b, &opt);
    char *log = scl_test_bridge_log(&b);
    cr_assert_eq(rc, 0, "the bridge did not start: %s", log);
    const char *ep = str(b.conn_json, "endpoint");
    char prefix[80];
    snprintf(prefix, sizeof prefix, "ipc:///tmp/scadlive-%u-", (unsigned)pw->pw_uid);
    cr_assert(!strncmp(ep, prefix, strlen(prefix)), "endpoint %s, not a fresh private dir (%s)", ep, log);
    cr_assert_str_eq(str(b.conn_json, "security"), "private-ipc");
    cr_assert(strstr(log, "not a directory owned by this user"), "the log does not say why: %s", log);
    free(log);
    char sockdir[256];
    snprintf(sockdir, sizeof sockdir, "%s", ep + 6);
    *strrchr(sockdir, '/') = 0;
    struct stat st;
    cr_assert_eq(lstat(sockdir, &st), 0);
    cr_assert(S_ISDIR(st.st_mode) && st.st_uid == pw->pw_uid && (st.st_mode & 0777) == 0700,
              "%s: mode %o uid %d", sockdir, st.st_mode & 0777, (int)st.st_uid);
    cr_assert_eq(ping_with(json_deep_copy(b.conn_json), 10000), 1); /* root may enter */
    scl_test_bridge_stop(&b);
    cr_assert_neq(lstat(sockdir, &st), 0, "%s outlived the bridge", sockdir);
    scl_test_bridge_cleanup(&b);
    rmdir(taken);
    cr_assert_eq(scl_test_remove_tree(top), 0);
}

enum {
    OK_REFUSED = 0,
    READ_THE_CONNECTION_FILE = 10,
    ENTERED_THE_PRIVATE_DIR,
    GOT_A_REPLY_WITHOUT_KEYS,
    GOT_A_REPLY_WITH_ITS_OWN_KEY,
    CONTROL_FAILED,
    CANNOT_DROP_ROOT,
    CLIENT_NOT_MADE,
};

/* In a forked child, as the other user: try everything a local attacker
 * can. `stolen` is the connection file as root read it: a control that the
 * transport itself works for this user when the keys are known. */
static int attack_as(const struct passwd *pw, const scl_test_bridge *b, const json_t *stolen)
{
    if (setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0 || getuid() == 0)
        return CANNOT_DROP_ROOT;
    int fd = open(b->conn, O_RDONLY);
    if (fd >= 0 || errno != EACCES)
        return READ_THE_CONNECTION_FILE;
    const char *ep = str(stolen, "endpoint");
    int path_ipc = !strncmp(ep, "ipc:///", 7);
    if (path_ipc) {
        /* the kernel refuses: the socket's directory is 0700, or the socket 0600 */
        int s = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        snprintf(a.sun_path, sizeof a.sun_path, "%s", ep + 6);
        int rc = connect(s, (struct sockaddr *)&a, sizeof a);
        close(s);
        if (rc == 0 || errno != EACCES)
            return ENTERED_THE_PRIVATE_DIR;
    }
    if (ping_with(without_keys(stolen), NO_REPLY_WAIT_MS) != 0)
        return GOT_A_REPLY_WITHOUT_KEYS;
    if (!strcmp(str(stolen, "security"), "private-ipc"))
        return OK_REFUSED;
    char pub[41], sec[41];
    zmq_curve_keypair(pub, sec);
    json_t *own = json_pack("{s:s,s:{s:s,s:s,s:s}}", "endpoint", ep, "curve", "serverkey",
                            str(json_object_get(stolen, "curve"), "serverkey"), "publickey", pub, "secretkey", sec);
    int r = ping_with(own, NO_REPLY_WAIT_MS);
    if (r < 0)
        return CLIENT_NOT_MADE;
    if (r > 0)
        return GOT_A_REPLY_WITH_ITS_OWN_KEY;
    /* the control: with the keys, this user gets through. Not for an ipc
     * socket file, which is 0600 besides (CURVE there is tested as root, whom
     * file modes do not stop) */
    if (!path_ipc && ping_with(json_deep_copy(stolen), 10000) != 1)
        return CONTROL_FAILED;
    return OK_REFUSED;
}

Test(security, a_second_user_is_refused_on_every_transport, .timeout = 180)
{
    struct passwd *pw = other_user_or_skip(0);
    transports t;
    transports_make(&t, "other", 0777); /* anyone may enter the shared dir, even write */
    /* and the default endpoint, also when XDG_RUNTIME_DIR is too long for a
     * socket: the fallback directory must keep the user out as well */
    char top[64], longdir[256];
    make_long_dir(top, longdir, 'z');
    const char *endpoints[2 + TRANSPORT_COUNT] = {NULL, NULL};
    memcpy(endpoints + 2, t.endpoint, sizeof t.endpoint);
    for (size_t i = 0; i < sizeof endpoints / sizeof *endpoints; i++) {
        scl_test_bridge b;
        const char *with_ep[] = {"--endpoint", endpoints[i], "--workers", "1", NULL};
        const char *default_ep[] = {"--workers", "1", NULL};
        start(&b, endpoints[i] ? with_ep : default_ep, i == 1 ? longdir : NULL);
        if (i == 1)
            cr_assert(strncmp(str(b.conn_json, "endpoint") + 6, longdir, strlen(longdir)) != 0);
        /* the test directory may be entered: what keeps the user out must be
         * the connection file's own mode and the socket directory's */
        cr_assert_eq(chmod(b.dir, 0755), 0);
        const char *what = endpoints[i] ? endpoints[i] : i == 1 ? "default ipc, runtime dir too long" : "default ipc";
        /* no ZeroMQ in this process before the fork: the child makes its own context */
        pid_t child = fork();
        if (child == 0)
            _exit(attack_as(pw, &b, b.conn_json));
        int status;
        cr_assert_eq(waitpid(child, &status, 0), child);
        cr_assert(WIFEXITED(status), "%s: the attacking child crashed (status %d)", what, status);
        cr_assert_eq(WEXITSTATUS(status), OK_REFUSED, "%s: the second user was not refused (%d)", what,
                     WEXITSTATUS(status));
        scl_test_bridge_cleanup(&b);
    }
    transports_remove(&t);
    cr_assert_eq(scl_test_remove_tree(top), 0);
}

/* ------------------------------------------------------- renderer confinement */

static json_t *render_request(const char *id, const char *source, json_t *files)
{
    return json_pack("{s:s,s:s,s:s,s:o,s:s,s:s}", "type", "render", "id", id, "source", source, "files",
                     files ? files : json_object(), "format", "asciistl", "renderer", "openscad");
}

static json_t *file_entry(const char *path)
{
    uint8_t *bytes;
    size_t len;
    scl_error err;
    cr_assert_eq(scl_file_read(path, 1 << 20, &bytes, &len, &err), SCL_OK, "%s", err.message);
    char *b64 = scl_base64_encode(bytes, len);
    json_t *e = json_pack("{s:s}", "base64", b64);
    free(b64);
    free(bytes);
    return e;
}

/* Render and return the reply header (asserting one came). */
static json_t *render(zsock_t *s, const char *id, const char *source, json_t *files)
{
    cr_assert_eq(scl_test_send(s, render_request(id, source, files)), 0);
    json_t *h = scl_test_recv(s, 120000, NULL);
    cr_assert_not_null(h, "%s: no reply", id);
    return h;
}

Test(security, native_renderer_reads_only_the_model_dir_libraries_and_fonts, .timeout = 240)
{
    char why[200];
    if (scl_confine_abi(why, sizeof why) == 0)
        cr_skip_test("%s", why);
    /* a private file of this user: a heightmap surface() would turn into geometry */
    char secret_dir[64], secret[128], part[128], cmd[512];
    snprintf(secret_dir, sizeof secret_dir, "/tmp/scl-test-secret-XXXXXX");
    cr_assert_not_null(mkdtemp(secret_dir));
    snprintf(secret, sizeof secret, "%s/secret.dat", secret_dir);
    snprintf(part, sizeof part, "%s/part.stl", secret_dir);
    const char heights[] = "1 2 3\n4 5 6\n7 8 9\n";
    scl_error err;
    cr_assert_eq(scl_file_write(secret, (const uint8_t *)heights, strlen(heights), &err), SCL_OK);
    cr_assert_eq(chmod(secret, 0600), 0);
    snprintf(cmd, sizeof cmd, "printf 'cube(2);' > '%s/c.scad' && openscad -o '%s' '%s/c.scad' >/dev/null 2>&1",
             secret_dir, part, secret_dir);
    cr_assert_eq(system(cmd), 0, "could not make %s", part);

    scl_test_bridge b;
    const char *args[] = {"--backend", "openscad", "--workers", "1", NULL};
    start(&b, args, NULL);
    zsock_t *s = scl_test_client(b.conn_json);
    cr_assert_not_null(s);
    char src[512];

    /* outside the model's directory: refused by the kernel, so no geometry */
    snprintf(src, sizeof src, "surface(file=\"%s\");", secret);
    json_t *h = render(s, "surface-abs", src, NULL);
    cr_assert_str_eq(str(h, "type"), "error", "surface() read %s: %s", secret, json_dumps(h, 0));
    json_decref(h);
    snprintf(src, sizeof src, "import(\"%s\");", part);
    h = render(s, "import-abs", src, NULL);
    cr_assert_str_eq(str(h, "type"), "error", "import() read %s", part);
    json_decref(h);
    snprintf(src, sizeof src, "import(\"../%s/part.stl\");", secret_dir + 5); /* ../scl-test-secret-X/part.stl */
    h = render(s, "import-dotdot", src, NULL);
    cr_assert_str_eq(str(h, "type"), "error", "import() read ../ out of the model's directory");
    json_decref(h);

    /* the same files next to the model (shipped with the request): rendered */
    h = render(s, "surface-local", "surface(file=\"secret.dat\");", json_pack("{s:o}", "secret.dat", file_entry(secret)));
    cr_assert_str_eq(str(h, "type"), "result", "surface() of the model's own file failed: %s", str(h, "message"));
    cr_assert_gt(json_integer_value(json_object_get(h, "triangles")), 0);
    json_decref(h);
    h = render(s, "import-local", "import(\"part.stl\");", json_pack("{s:o}", "part.stl", file_entry(part)));
    cr_assert_str_eq(str(h, "type"), "result", "import(\"part.stl\") failed: %s", str(h, "message"));
    cr_assert_eq(json_integer_value(json_object_get(h, "triangles")), 12);
    json_decref(h);
    /* libraries and fonts still work */
    h = render(s, "library-font",
               "use <MCAD/involute_gears.scad>\ngear(number_of_teeth=10, circular_pitch=200);\n"
               "translate([0, 30, 0]) linear_extrude(1) text(\"Hi\");", NULL);
    cr_assert_str_eq(str(h, "type"), "result", "MCAD + text() failed: %s", str(h, "message"));
    json_decref(h);

    char *log = scl_test_bridge_log(&b);
    cr_assert(strstr(log, "confined with Landlock"), "no log line says the renderers are confined: %s", log);
    free(log);
    zsock_destroy(&s);
    scl_test_bridge_cleanup(&b);
    cr_assert_eq(scl_test_remove_tree(secret_dir), 0);
}

/* ------------------------------------------------------- backends: the bridge's choice */

static json_t *ping_reply(zsock_t *s)
{
    cr_assert_eq(scl_test_send(s, json_pack("{s:s,s:s}", "type", "ping", "id", "p")), 0);
    json_t *h = scl_test_recv(s, 10000, NULL);
    cr_assert_not_null(h, "no pong");
    return h;
}

Test(security, clients_get_only_the_renderers_the_bridge_allows_and_bad_options_stop_it, .timeout = 180)
{
    /* default: only the bridge's own backend */
    scl_test_bridge b;
    const char *wasm_only[] = {"--workers", "1", NULL};
    start(&b, wasm_only, NULL);
    zsock_t *s = scl_test_client(b.conn_json);
    json_t *h = ping_reply(s);
    cr_assert_eq(json_array_size(json_object_get(h, "renderers")), 1);
    cr_assert_str_eq(json_string_value(json_array_get(json_object_get(h, "renderers"), 0)), "wasm");
    json_decref(h);
    h = render(s, "native-refused", "cube(1);", NULL);
    cr_assert_str_eq(str(h, "type"), "error", "a client switched the bridge to the native renderer");
    cr_assert_str_eq(str(h, "code"), "PROTOCOL");
    cr_assert_str_eq(str(h, "field"), "renderer");
    cr_assert(strstr(str(h, "message"), "not enabled on this bridge"), "%s", str(h, "message"));
    json_decref(h);
    zsock_destroy(&s);
    scl_test_bridge_cleanup(&b);

    /* the owner allows both */
    const char *both[] = {"--workers", "1", "--renderers", "wasm,openscad", NULL};
    start(&b, both, NULL);
    s = scl_test_client(b.conn_json);
    h = ping_reply(s);
    cr_assert_eq(json_array_size(json_object_get(h, "renderers")), 2);
    json_decref(h);
    h = render(s, "native-allowed", "cube(1);", NULL);
    cr_assert_str_eq(str(h, "type"), "result", "%s", str(h, "message"));
    cr_assert_eq(json_integer_value(json_object_get(h, "triangles")), 12);
    json_decref(h);
    zsock_destroy(&s);
    scl_test_bridge_cleanup(&b);

    /* nonsense is refused at start, with a message (renderers, a relative ipc path) */
    const char *bad[][7] = {{"--renderers", "wasm,gpu", NULL},
                            {"--backend", "openscad", "--renderers", "wasm", NULL},
                            {"--endpoint", "ipc://relative.sock", NULL}};
    const char *says[] = {"unknown renderer \"gpu\"", "--backend openscad is not among --renderers wasm",
                          "needs an absolute path"};
    for (int i = 0; i < 3; i++) {
        scl_test_bridge_options opt = {.args = bad[i], .wait_ms = 10000};
        cr_assert_neq(scl_test_bridge_start(&b, &opt), 0, "the bridge started with %s", bad[i][1]);
        char *log = scl_test_bridge_log(&b);
        cr_assert(strstr(log, says[i]), "no clear message: %s", log);
        free(log);
        scl_test_bridge_cleanup(&b);
    }
}

/* ------------------------------------------------------- the CLI from the connection file */

Test(security, cli_renders_through_a_curve_bridge_from_the_connection_file, .timeout = 120)
{
    scl_test_bridge b;
    const char *args[] = {"--endpoint", "tcp://127.0.0.1:0", "--workers", "1", NULL};
    start(&b, args, NULL);
    char model[300], out[300], cmd[2048];
    snprintf(model, sizeof model, "%s/model.scad", b.dir);
    snprintf(out, sizeof out, "%s/out.stl", b.dir);
    scl_error err;
    cr_assert_eq(scl_file_write(model, (const uint8_t *)"cube(4);\n", 9, &err), SCL_OK);
    snprintf(cmd, sizeof cmd, "SCADLIVE_HOME='%s' '%s/scadlive' render '%s' -o '%s' --connection-file '%s' 2>&1",
             SCL_SOURCE_DIR, SCL_BUILD_DIR, model, out, b.conn);
    cr_assert_eq(system(cmd), 0, "%s failed", cmd);
    uint8_t *stl;
    size_t len;
    cr_assert_eq(scl_file_read(out, 1 << 20, &stl, &len, &err), SCL_OK, "%s", err.message);
    cr_assert_eq(len, 84 + 50 * 12, "not a cube's binary STL: %zu bytes", len);
    free(stl);
    /* it was this bridge that rendered (the CLI starts a private one when it
     * cannot use the file's): its stats count the request */
    snprintf(cmd, sizeof cmd, "'%s/scadlive' stats --connection-file '%s' | grep -q '\"requests\": *[1-9]'",
             SCL_BUILD_DIR, b.conn);
    cr_assert_eq(system(cmd), 0, "the render did not go through the CURVE bridge");
    scl_test_bridge_cleanup(&b);
}

Test(security, native_renderer_reads_openscadpath_libraries_and_nothing_beside_them, .timeout = 120)
{
    char why[200];
    if (scl_confine_abi(why, sizeof why) == 0)
        cr_skip_test("%s", why);
    /* OPENSCADPATH=<top>/libs, outside every system path; <top>/private beside it */
    char top[64], path[256], env[300];
    snprintf(top, sizeof top, "/tmp/scl-test-libs-XXXXXX");
    cr_assert_not_null(mkdtemp(top));
    scl_error err;
    snprintf(path, sizeof path, "%s/libs", top);
    cr_assert_eq(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/libs/mylib", top);
    cr_assert_eq(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/libs/mylib/thing.scad", top);
    cr_assert_eq(scl_file_write(path, (const uint8_t *)"module thing() cube(3);\n", 24, &err), SCL_OK);
    snprintf(path, sizeof path, "%s/private", top);
    cr_assert_eq(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/private/other.scad", top);
    cr_assert_eq(scl_file_write(path, (const uint8_t *)"module other() cube(5);\n", 24, &err), SCL_OK);
    snprintf(env, sizeof env, "OPENSCADPATH=%s/libs", top);
    const char *envs[] = {env, NULL};
    const char *args[] = {"--backend", "openscad", "--workers", "1", NULL};
    scl_test_bridge b;
    scl_test_bridge_options opt = {.args = args, .env = envs};
    cr_assert_eq(scl_test_bridge_start(&b, &opt), 0, "%s", scl_test_bridge_log(&b));
    zsock_t *s = scl_test_client(b.conn_json);
    json_t *h = render(s, "openscadpath", "use <mylib/thing.scad>\nthing();", NULL);
    cr_assert_str_eq(str(h, "type"), "result", "a library in OPENSCADPATH was refused: %s", str(h, "message"));
    cr_assert_eq(json_integer_value(json_object_get(h, "triangles")), 12);
    json_decref(h);
    char src[300];
    snprintf(src, sizeof src, "use <%s/private/other.scad>\nother();", top);
    h = render(s, "beside-the-library", src, NULL);
    cr_assert_str_eq(str(h, "type"), "error", "a file beside the library folder was read");
    json_decref(h);
    zsock_destroy(&s);
    scl_test_bridge_cleanup(&b);
    cr_assert_eq(scl_test_remove_tree(top), 0);
}

Test(security, without_landlock_the_native_renderer_runs_unconfined_and_says_so, .timeout = 120)
{
#if !defined(__x86_64__)
    cr_skip_test("the seccomp filter that hides Landlock is written for x86_64");
#endif
    /* the kernel answer of a system without Landlock (ENOSYS), caused for the
     * bridge and its renderers by a seccomp filter */
    char top[64], secret[128];
    snprintf(top, sizeof top, "/tmp/scl-test-nolandlock-XXXXXX");
    cr_assert_not_null(mkdtemp(top));
    snprintf(secret, sizeof secret, "%s/secret.dat", top);
    scl_error err;
    cr_assert_eq(scl_file_write(secret, (const uint8_t *)"1 2\n3 4\n", 8, &err), SCL_OK);
    cr_assert_eq(chmod(secret, 0600), 0);
    const char *args[] = {"--backend", "openscad", "--workers", "1", NULL};
    scl_test_bridge b;
    scl_test_bridge_options opt = {.args = args, .without_landlock = 1};
    cr_assert_eq(scl_test_bridge_start(&b, &opt), 0, "%s", scl_test_bridge_log(&b));
    zsock_t *s = scl_test_client(b.conn_json);
    char src[300];
    snprintf(src, sizeof src, "surface(file=\"%s\");", secret);
    json_t *h = render(s, "unconfined", src, NULL);
    /* as documented: it renders (reads the file), and the log said so first */
    cr_assert_str_eq(str(h, "type"), "result", "%s", str(h, "message"));
    json_decref(h);
    char *log = scl_test_bridge_log(&b);
    cr_assert(strstr(log, "openscad renderers are NOT confined"), "no warning in the log: %s", log);
    cr_assert(strstr(log, "no Landlock"), "the warning does not say why: %s", log);
    free(log);
    zsock_destroy(&s);
    scl_test_bridge_cleanup(&b);
    cr_assert_eq(scl_test_remove_tree(top), 0);
}

Test(security, cli_with_wrong_or_no_keys_gets_a_clear_error_not_a_timeout, .timeout = 60)
{
    /* the render's own timeout is far beyond the test's: only the handshake
     * watch can end these in time, and its message says which it was */
    scl_test_bridge b;
    const char *args[] = {"--endpoint", "tcp://127.0.0.1:0", "--workers", "1", NULL};
    start(&b, args, NULL);
    char model[300], out[300], wrong[300], bare[300], cmd[2048];
    snprintf(model, sizeof model, "%s/model.scad", b.dir);
    snprintf(out, sizeof out, "%s/out.stl", b.dir);
    snprintf(wrong, sizeof wrong, "%s/wrong-key.json", b.dir);
    snprintf(bare, sizeof bare, "%s/no-keys.json", b.dir);
    scl_error err;
    cr_assert_eq(scl_file_write(model, (const uint8_t *)"cube(4);\n", 9, &err), SCL_OK);
    json_t *w = with_wrong_client_key(b.conn_json), *n = without_keys(b.conn_json);
    json_object_set(w, "pid", json_object_get(b.conn_json, "pid"));
    json_object_set(n, "pid", json_object_get(b.conn_json, "pid"));
    cr_assert_eq(json_dump_file(w, wrong, 0), 0);
    cr_assert_eq(json_dump_file(n, bare, 0), 0);
    json_decref(w);
    json_decref(n);
    const char *files[] = {wrong, bare};
    const char *says[] = {"refused this client's CURVE key", "uses another security mechanism"};
    for (int i = 0; i < 2; i++) {
        char log[300];
        snprintf(log, sizeof log, "%s/cli-%d.log", b.dir, i);
        snprintf(cmd, sizeof cmd,
                 "SCADLIVE_HOME='%s' '%s/scadlive' render '%s' -o '%s' --timeout 600 --connection-file '%s' > '%s' 2>&1",
                 SCL_SOURCE_DIR, SCL_BUILD_DIR, model, out, files[i], log);
        cr_assert_neq(system(cmd), 0, "%s: the CLI succeeded", files[i]);
        uint8_t *text;
        size_t len;
        cr_assert_eq(scl_file_read(log, 1 << 20, &text, &len, &err), SCL_OK);
        cr_assert(strstr((char *)text, says[i]), "%s: %s", files[i], (char *)text);
        free(text);
    }
    scl_test_bridge_cleanup(&b);
}

Test(security, whoever_is_given_the_connection_file_gets_in, .timeout = 120)
{
    /* the other side of the model: a user who is handed the file (as with a
     * Jupyter connection file) renders through the bridge of another user */
    struct passwd *pw = other_user_or_skip(1);
    scl_test_bridge b;
    const char *args[] = {"--endpoint", "tcp://127.0.0.1:0", "--workers", "1", NULL};
    start(&b, args, NULL);
    cr_assert_eq(chmod(b.dir, 0755), 0);
    char model[300], shared[300], outdir[300], cmd[2048];
    snprintf(model, sizeof model, "%s/model.scad", b.dir);
    snprintf(shared, sizeof shared, "%s/shared.json", b.dir);
    snprintf(outdir, sizeof outdir, "%s/out", b.dir);
    scl_error err;
    cr_assert_eq(scl_file_write(model, (const uint8_t *)"cube(4);\n", 9, &err), SCL_OK);
    cr_assert_eq(json_dump_file(b.conn_json, shared, 0), 0);
    cr_assert_eq(chown(shared, pw->pw_uid, pw->pw_gid), 0);
    cr_assert_eq(chmod(shared, 0600), 0);
    cr_assert_eq(mkdir(outdir, 0700), 0);
    cr_assert_eq(chown(outdir, pw->pw_uid, pw->pw_gid), 0);
    snprintf(cmd, sizeof cmd, "SCADLIVE_HOME='%s' '%s/scadlive' render '%s' -o '%s/out.stl' --connection-file '%s'",
             SCL_SOURCE_DIR, SCL_BUILD_DIR, model, outdir, shared);
    pid_t child = fork();
    if (child == 0) {
        if (setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0)
            _exit(100);
        int rc = system(cmd);
        _exit(WIFEXITED(rc) ? WEXITSTATUS(rc) : 101);
    }
    int status;
    cr_assert_eq(waitpid(child, &status, 0), child);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the other user's render failed (%d)", status);
    /* through this bridge, not a private one of theirs: its stats count the
     * render besides the stats request itself */
    zsock_t *s = scl_test_client(b.conn_json);
    cr_assert_eq(scl_test_send(s, json_pack("{s:s,s:s}", "type", "stats", "id", "st")), 0);
    json_t *h = scl_test_recv(s, 10000, NULL);
    cr_assert_not_null(h);
    cr_assert_geq(json_integer_value(json_object_get(h, "requests")), 2, "the render did not come here");
    json_decref(h);
    zsock_destroy(&s);
    scl_test_bridge_cleanup(&b);
}
