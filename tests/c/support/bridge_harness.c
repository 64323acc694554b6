/* bridge_harness.c - see bridge_harness.h. */
#define _GNU_SOURCE
#include "bridge_harness.h"

#include <errno.h>
#include <ftw.h>
#include <grp.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "endpoint.h"
#include "fileio.h"

/* Make the Landlock syscalls fail with ENOSYS, as on a kernel built without
 * it: a real kernel answer, caused with a seccomp filter. 0 or -1. */
static int hide_landlock(void)
{
#if defined(__x86_64__)
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 444, 0, 2), /* landlock_create_ruleset */
        BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, 446, 1, 0), /* landlock_restrict_self */
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {sizeof filter / sizeof *filter, filter};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -1;
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0 ? 0 : -1;
#else
    return -1;
#endif
}

int scl_test_bridge_start(scl_test_bridge *b, const scl_test_bridge_options *opt)
{
    static const scl_test_bridge_options none = {0};
    if (!opt)
        opt = &none;
    memset(b, 0, sizeof *b);
    snprintf(b->dir, sizeof b->dir, "/tmp/scl-test-XXXXXX");
    if (!mkdtemp(b->dir))
        return -1;
    if (opt->as_other_user && chown(b->dir, opt->uid, opt->gid) != 0)
        return -1;
    snprintf(b->conn, sizeof b->conn, "%s/bridge.json", b->dir);
    snprintf(b->log, sizeof b->log, "%s/bridge.log", b->dir);
    char parent[16];
    snprintf(parent, sizeof parent, "%d", (int)getpid());
    const char *argv[64];
    size_t k = 0;
    char exe[512];
    snprintf(exe, sizeof exe, "%s/scadlive", SCL_BUILD_DIR);
    argv[k++] = exe;
    argv[k++] = "bridge";
    argv[k++] = "--connection-file";
    argv[k++] = b->conn;
    argv[k++] = "--parent-pid"; /* also as another user, who gets EPERM from kill(parent, 0) */
    argv[k++] = parent;
    for (size_t i = 0; opt->args && opt->args[i] && k < 62; i++)
        argv[k++] = opt->args[i];
    argv[k] = NULL;
    b->pid = fork();
    if (b->pid < 0)
        return -1;
    if (b->pid == 0) {
        if (!freopen(b->log, "w", stdout) || !freopen(b->log, "a", stderr))
            _exit(126);
        if (opt->as_other_user && (chown(b->log, opt->uid, opt->gid) != 0 || setgroups(0, NULL) != 0 ||
                                   setgid(opt->gid) != 0 || setuid(opt->uid) != 0))
            _exit(125);
        if (opt->without_landlock && hide_landlock() != 0)
            _exit(124);
        setenv("XDG_RUNTIME_DIR", opt->runtime_dir ? opt->runtime_dir : b->dir, 1);
        setenv("SCADLIVE_HOME", SCL_SOURCE_DIR, 1);
        if (opt->tmpdir_in_test_dir)
            setenv("TMPDIR", b->dir, 1);
        unsetenv("SCADLIVE_CONNECTION_FILE");
        for (size_t i = 0; opt->env && opt->env[i]; i++)
            putenv((char *)opt->env[i]);
        execv(exe, (char *const *)argv);
        _exit(127);
    }
    int wait_ms = opt->wait_ms > 0 ? opt->wait_ms : 20000;
    for (int waited = 0; waited < wait_ms; waited += 20) {
        b->conn_json = json_load_file(b->conn, 0, NULL);
        if (b->conn_json)
            return 0;
        int status;
        if (waitpid(b->pid, &status, WNOHANG) == b->pid) {
            b->pid = 0;
            return -1;
        }
        usleep(20000);
    }
    return -1;
}

int scl_test_bridge_stop(scl_test_bridge *b)
{
    int status = -1;
    if (b->pid > 0) {
        kill(b->pid, SIGTERM);
        waitpid(b->pid, &status, 0);
        b->pid = 0;
    }
    return status;
}

void scl_test_bridge_cleanup(scl_test_bridge *b)
{
    scl_test_bridge_stop(b);
    json_decref(b->conn_json);
    b->conn_json = NULL;
    if (b->dir[0]) {
        if (scl_test_remove_tree(b->dir) != 0)
            fprintf(stderr, "could not remove %s\n", b->dir);
        b->dir[0] = 0;
    }
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st, (void)type, (void)ftw;
    return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

int scl_test_remove_tree(const char *dir)
{
    if (nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) == 0)
        return 0;
    return errno == ENOENT ? 0 : -1;
}

char *scl_test_bridge_log(const scl_test_bridge *b)
{
    uint8_t *text = NULL;
    size_t len;
    if (scl_file_read(b->log, 1 << 20, &text, &len, NULL) != SCL_OK)
        return strdup("");
    return (char *)text;
}

zsock_t *scl_test_client(const json_t *conn)
{
    zsock_t *s = zsock_new(ZMQ_DEALER);
    if (!s)
        return NULL;
    zsock_set_linger(s, 0);
    scl_error err;
    if (scl_endpoint_connect(s, conn, &err) != SCL_OK) {
        fprintf(stderr, "scl_test_client: %s\n", err.message);
        zsock_destroy(&s);
    }
    return s;
}

int scl_test_send(zsock_t *s, json_t *header)
{
    char *text = json_dumps(header, JSON_COMPACT);
    json_decref(header);
    if (!text)
        return -1;
    zmsg_t *m = zmsg_new();
    zmsg_addmem(m, "SCL1", 4);
    zmsg_addstr(m, text);
    free(text);
    if (zmsg_send(&m, s) != 0) {
        zmsg_destroy(&m);
        return -1;
    }
    return 0;
}

json_t *scl_test_recv(zsock_t *s, int timeout_ms, zmsg_t **keep)
{
    int64_t deadline = zclock_mono() + timeout_ms;
    for (;;) {
        int64_t left = deadline - zclock_mono();
        if (left <= 0)
            return NULL;
        zsock_set_rcvtimeo(s, (int)left);
        zmsg_t *m = zmsg_recv(s);
        if (!m)
            return NULL;
        zframe_t *magic = zmsg_first(m);
        zframe_t *hf = zmsg_next(m);
        json_t *h = magic && hf && zframe_size(magic) == 4 && !memcmp(zframe_data(magic), "SCL1", 4)
                        ? json_loadb((const char *)zframe_data(hf), zframe_size(hf), 0, NULL)
                        : NULL;
        const char *type = json_string_value(json_object_get(h, "type"));
        if (h && type && strcmp(type, "progress") != 0) {
            if (keep)
                *keep = m;
            else
                zmsg_destroy(&m);
            return h;
        }
        json_decref(h);
        zmsg_destroy(&m);
    }
}

int scl_test_ping(zsock_t *s, int timeout_ms)
{
    if (scl_test_send(s, json_pack("{s:s,s:s}", "type", "ping", "id", "ping")) != 0)
        return 0;
    json_t *h = scl_test_recv(s, timeout_ms, NULL);
    int pong = json_is_true(json_object_get(h, "pong"));
    json_decref(h);
    return pong;
}
