/* cmd_renderer.c - `scadlive renderer-openscad`: a renderer process for the
 * bridge's pool that runs the native openscad binary once per request.
 *
 * It speaks the pool's frames on stdin/stdout (native/bridge/frame.h, the
 * same requests and replies as renderer/wasm-worker.mjs): each request's
 * model and files are written to a private temporary directory, openscad
 * runs there (its output is the log), and the directory is removed. The
 * binary is $SCADLIVE_OPENSCAD or `openscad` on PATH; its version is sent in
 * the first ready frame, and a ready frame follows each reply (the pool's
 * protocol: a renderer takes a request only after saying it is ready).
 * Not meant to be run by hand. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base64.h"
#include "commands.h"
#include "confine.h"
#include "fileio.h"
#include "frame.h"

static const char *openscad_path(void)
{
    const char *p = getenv("SCADLIVE_OPENSCAD");
    return p && *p ? p : "openscad";
}

/* Run argv, collecting stdout+stderr into *log (malloc'd), confined to
 * `sandbox` when not NULL. Returns exit status or -1. */
static int run_capture(char *const argv[], const scl_confine *sandbox, char **log)
{
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(pipefd[1], 1);
        dup2(pipefd[1], 2);
        if (sandbox && scl_confine_apply(sandbox) != 0) {
            fprintf(stderr, "ERROR: renderer: cannot confine openscad with Landlock: %s\n", strerror(errno));
            _exit(126);
        }
        execvp(argv[0], argv);
        fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(pipefd[1]);
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap), sink[4096];
    for (;;) {
        if (buf && len + 1024 > cap) {
            char *bigger = realloc(buf, cap * 2);
            if (!bigger) { /* out of memory: read on (the child must not block), keep nothing */
                free(buf);
                buf = NULL;
            } else {
                buf = bigger;
                cap *= 2;
            }
        }
        ssize_t n = buf ? read(pipefd[0], buf + len, cap - len - 1) : read(pipefd[0], sink, sizeof sink);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (!buf)
            continue;
        len += (size_t)n;
        if (len > (8u << 20)) /* keep at most 8 MiB of log */
            len = 8u << 20;
    }
    close(pipefd[0]);
    if (buf)
        buf[len] = 0;
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    *log = buf;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int mkdirs_for(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            mkdir(tmp, 0700);
            *p = '/';
        }
    return 0;
}

static int safe_relative(const char *path)
{
    return path[0] && path[0] != '/' && !strstr(path, "..");
}

static int write_file(const char *path, const void *data, size_t len)
{
    mkdirs_for(path);
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    int ok = fwrite(data, 1, len, f) == len;
    return fclose(f) == 0 && ok ? 0 : -1;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void reply(json_t *h, const uint8_t *payload, size_t len)
{
    char *text = h ? json_dumps(h, JSON_COMPACT) : NULL;
    scl_error err;
    if (!text) /* out of memory: the bridge sees the renderer end and restarts it */
        exit(1);
    if (scl_frame_write(1, text, strlen(text), payload, len, &err) != SCL_OK)
        exit(0); /* the bridge went away */
    free(text);
}

/* ------------------------------------------------------------ confinement
 *
 * What the native openscad may touch while it renders (docs/bridge.md,
 * "What a renderer can read"). Everything else, e.g. the user's home, other
 * models, /etc/shadow-like files, /tmp and ../ out of the model's directory,
 * is refused by the kernel (Landlock) and OpenSCAD reports it as a file it
 * cannot open. */

/* read + execute: the system's programs, libraries and data, OpenSCAD's own
 * (/usr/share/openscad: libraries, fonts, locale), the dynamic loader's
 * cache, fontconfig's configuration and cache */
static const char *const system_paths[] = {"/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin",
                                           "/etc/fonts", "/etc/ld.so.cache", "/etc/ld.so.conf",
                                           "/etc/ld.so.conf.d", "/etc/localtime", "/etc/locale.alias",
                                           "/var/cache/fontconfig"};
/* read only, below $HOME (or their XDG_* variables): the user's fonts and
 * font cache, OpenSCAD's user library folder and settings */
static const struct {
    const char *xdg, *xdg_sub, *home_sub;
} home_paths[] = {
    {NULL, NULL, ".fonts"},
    {"XDG_DATA_HOME", "fonts", ".local/share/fonts"},
    {"XDG_CACHE_HOME", "fontconfig", ".cache/fontconfig"},
    {"XDG_CONFIG_HOME", "fontconfig", ".config/fontconfig"},
    {"XDG_DATA_HOME", "OpenSCAD", ".local/share/OpenSCAD"},
    {"XDG_CONFIG_HOME", "OpenSCAD", ".config/OpenSCAD"},
};

static scl_status allow_list(scl_confine *c, const char *list, int what, scl_error *err)
{
    char *copy = strdup(list), *save = NULL;
    if (!copy)
        return scl_error_set(err, SCL_ENOMEM, "out of memory");
    scl_status st = SCL_OK;
    for (char *tok = strtok_r(copy, ":", &save); tok && st == SCL_OK; tok = strtok_r(NULL, ":", &save))
        st = scl_confine_allow(c, tok, what, err);
    free(copy);
    return st;
}

/* The rule set for one render in `work_dir`. NULL with *unavailable = 1 when
 * the kernel has no Landlock (the render runs unconfined; the bridge logs
 * that when the pool starts), NULL with err set when a rule cannot be made
 * (the render fails: never unconfined by accident). */
static scl_confine *openscad_sandbox(const char *work_dir, const json_t *req, int *unavailable, scl_error *err)
{
    *unavailable = 0;
    scl_confine *c = scl_confine_new(err);
    if (!c) {
        *unavailable = err->code == SCL_ENOTFOUND;
        return NULL;
    }
    scl_status st = scl_confine_allow(c, work_dir, SCL_CONFINE_READ | SCL_CONFINE_WRITE, err);
    for (size_t i = 0; st == SCL_OK && i < sizeof system_paths / sizeof *system_paths; i++)
        st = scl_confine_allow(c, system_paths[i], SCL_CONFINE_READ | SCL_CONFINE_EXEC, err);
    if (st == SCL_OK)
        st = scl_confine_allow(c, "/dev/null", SCL_CONFINE_READ | SCL_CONFINE_WRITE, err);
    if (st == SCL_OK)
        st = allow_list(c, "/dev/zero:/dev/random:/dev/urandom", SCL_CONFINE_READ, err);
    const char *home = getenv("HOME");
    for (size_t i = 0; st == SCL_OK && i < sizeof home_paths / sizeof *home_paths; i++) {
        const char *xdg = home_paths[i].xdg ? getenv(home_paths[i].xdg) : NULL;
        char path[4096];
        if (xdg && *xdg == '/')
            snprintf(path, sizeof path, "%s/%s", xdg, home_paths[i].xdg_sub);
        else if (home && *home == '/')
            snprintf(path, sizeof path, "%s/%s", home, home_paths[i].home_sub);
        else
            continue;
        st = scl_confine_allow(c, path, SCL_CONFINE_READ, err);
    }
    /* library folders: OPENSCADPATH, and those the bridge mounts for this model */
    const char *osp = getenv("OPENSCADPATH");
    if (st == SCL_OK && osp && *osp)
        st = allow_list(c, osp, SCL_CONFINE_READ, err);
    const char *name;
    json_t *dir;
    json_object_foreach(json_object_get(req, "libraries"), name, dir) {
        if (st == SCL_OK && json_is_string(dir))
            st = scl_confine_allow(c, json_string_value(dir), SCL_CONFINE_READ, err);
    }
    /* the binary itself, wherever SCADLIVE_OPENSCAD puts it */
    if (st == SCL_OK && strchr(openscad_path(), '/'))
        st = scl_confine_allow(c, openscad_path(), SCL_CONFINE_READ | SCL_CONFINE_EXEC, err);
    if (st != SCL_OK) {
        scl_confine_destroy(c);
        return NULL;
    }
    return c;
}

/* work_root: the bridge's directory for this renderer's files (--work-dir,
 * removed by the bridge when this process ends, however it ends), or $TMPDIR. */
static void handle(json_t *req, const char *work_root)
{
    json_int_t id = json_integer_value(json_object_get(req, "id"));
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/scl-render-XXXXXX", work_root);
    if (!mkdtemp(dir)) {
        json_t *h = json_pack("{s:I,s:b,s:i,s:s,s:f}", "id", id, "ok", 0, "exit", -1, "log",
                              "renderer: cannot create a temporary directory", "render_ms", 0.0);
        reply(h, NULL, 0);
        json_decref(h);
        return;
    }
    const char *main_name = json_string_value(json_object_get(req, "main"));
    if (!main_name || !safe_relative(main_name))
        main_name = "model.scad";
    char main_path[4096], out_path[4096];
    snprintf(main_path, sizeof main_path, "%s/%s", dir, main_name);
    const char *format = json_string_value(json_object_get(req, "format"));
    if (!format)
        format = "binstl";
    /* binstl/asciistl -> .stl; off, svg, dxf keep their own extension */
    snprintf(out_path, sizeof out_path, "%s/__out.%s", dir, strstr(format, "stl") ? "stl" : format);
    const char *source = json_string_value(json_object_get(req, "source"));
    write_file(main_path, source ? source : "", source ? strlen(source) : 0);
    const char *path;
    json_t *content;
    json_object_foreach(json_object_get(req, "files"), path, content) {
        uint8_t *bytes;
        size_t n;
        const char *b64 = json_string_value(content);
        if (!safe_relative(path) || !b64 || scl_base64_decode(b64, strlen(b64), &bytes, &n) != 0)
            continue;
        char fpath[4096];
        snprintf(fpath, sizeof fpath, "%s/%s", dir, path);
        write_file(fpath, bytes, n);
        free(bytes);
    }
    json_t *defines = json_object_get(req, "defines");
    size_t nd = json_array_size(defines);
    char **argv = calloc(8 + 2 * nd, sizeof *argv);
    if (!argv) {
        json_t *h = json_pack("{s:I,s:b,s:i,s:s,s:f}", "id", id, "ok", 0, "exit", -1, "log",
                              "ERROR: renderer: out of memory", "render_ms", 0.0);
        reply(h, NULL, 0);
        json_decref(h);
        scl_remove_tree(dir);
        return;
    }
    char fmtarg[64];
    snprintf(fmtarg, sizeof fmtarg, "--export-format=%s", format);
    size_t k = 0;
    argv[k++] = (char *)openscad_path();
    argv[k++] = main_path;
    argv[k++] = "-o";
    argv[k++] = out_path;
    argv[k++] = fmtarg;
    for (size_t i = 0; i < nd; i++) {
        argv[k++] = "-D";
        argv[k++] = (char *)json_string_value(json_array_get(defines, i));
    }
    argv[k] = NULL;
    double t0 = now_ms();
    char *log = NULL;
    int unconfined = 0;
    scl_error err;
    scl_confine *sandbox = openscad_sandbox(dir, req, &unconfined, &err);
    int rc;
    if (!sandbox && !unconfined) {
        size_t n = strlen(err.message) + 64;
        log = malloc(n);
        if (log)
            snprintf(log, n, "ERROR: renderer: cannot confine openscad: %s\n", err.message);
        rc = -1;
    } else {
        rc = run_capture(argv, sandbox, &log);
    }
    scl_confine_destroy(sandbox);
    double ms = now_ms() - t0;
    free(argv);
    uint8_t *payload = NULL; /* none when OpenSCAD wrote nothing */
    size_t plen = 0;
    if (scl_file_read(out_path, (size_t)1 << 30, &payload, &plen, NULL) != SCL_OK)
        plen = 0;
    json_t *h = json_pack("{s:I,s:b,s:i,s:s,s:f}", "id", id, "ok", rc == 0 && plen > 0, "exit", rc, "log",
                          log ? log : "", "render_ms", ms);
    if (!h) /* log not UTF-8 */
        h = json_pack("{s:I,s:b,s:i,s:s,s:f}", "id", id, "ok", rc == 0 && plen > 0, "exit", rc, "log",
                      "(log not valid UTF-8)", "render_ms", ms);
    reply(h, payload, plen);
    json_decref(h);
    free(payload);
    free(log);
    scl_remove_tree(dir);
}

int scl_cmd_renderer_openscad(int argc, char **argv)
{
    const char *work_root = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    if (argc == 3 && !strcmp(argv[1], "--work-dir"))
        work_root = argv[2];
    char *version_log = NULL;
    char *vargv[] = {(char *)openscad_path(), "--version", NULL};
    int rc = run_capture(vargv, NULL, &version_log);
    char version[128] = "unknown";
    if (rc == 0 && version_log) {
        const char *v = strstr(version_log, "version ");
        snprintf(version, sizeof version, "%.*s", (int)strcspn(v ? v + 8 : version_log, "\r\n"),
                 v ? v + 8 : version_log);
    }
    free(version_log);
    json_t *ready = json_pack("{s:b,s:s,s:s}", "ready", 1, "renderer", "openscad", "version", version);
    reply(ready, NULL, 0);
    json_decref(ready);
    for (;;) {
        char *header;
        uint8_t *payload;
        size_t hl, pl;
        scl_error err;
        int r = scl_frame_read_blocking(0, &header, &hl, &payload, &pl, &err);
        if (r <= 0)
            return r == 0 ? 0 : 1;
        json_t *req = json_loads(header, 0, NULL);
        free(header);
        free(payload);
        if (!req)
            return 1;
        handle(req, work_root);
        json_decref(req);
        /* nothing to prepare between runs: ready again at once */
        json_t *again = json_pack("{s:b}", "ready", 1);
        reply(again, NULL, 0);
        json_decref(again);
    }
}
