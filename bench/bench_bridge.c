/* bench_bridge - the render bridge measured against baselines from the same run:
 *  1. cache-hit round trip (p50/p99) and cached throughput with 16 requests in flight;
 *  2. warm render through the bridge vs the renderer's own time for the same render
 *     (render_ms, measured inside the renderer process around OpenSCAD's run): target <= 1.10;
 *  3. the 48 examples as one batch through the bridge (OpenSCAD 2025 WASM, 2 renderers,
 *     every request in flight at once) vs openscad 2021.01 run one model at a time:
 *     wall time of the batch against the sum of the direct runs (target >= 40x).
 * Starts its own bridge from build/native. The bridge traces every render
 * (SCADLIVE_TRACE, kept in build/bench/trace.jsonl; SCL_BENCH_TRACE=0 turns it
 * off, =2 prints every warm render's stages): section 2 also prints where a
 * warm render's time goes outside OpenSCAD's run, stage by stage, and section
 * 3 what each renderer did during the batch. */
#define _GNU_SOURCE
#include <czmq.h>
#include <dirent.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base64.h"
#include "deps.h"
#include "fileio.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double pct(double *v, int n, double p)
{
    qsort(v, (size_t)n, sizeof *v, cmp);
    return v[(int)(p * (n - 1) + 0.5)];
}

static void send_req(zsock_t *s, json_t *h)
{
    char *t = json_dumps(h, JSON_COMPACT);
    zstr_sendm(s, "SCL1");
    zstr_send(s, t);
    free(t);
    json_decref(h);
}

static json_t *recv_h(zsock_t *s)
{
    for (;;) {
        zmsg_t *m = zmsg_recv(s);
        if (!m)
            return NULL;
        zmsg_first(m);
        zframe_t *f = zmsg_next(m);
        json_t *h = json_loadb((const char *)zframe_data(f), zframe_size(f), 0, NULL);
        zmsg_destroy(&m);
        if (strcmp(json_string_value(json_object_get(h, "type")) ?: "", "progress"))
            return h;
        json_decref(h); /* progress of a long render: keep waiting */
    }
}

static char *slurp(const char *path)
{
    uint8_t *b = NULL;
    size_t n;
    return scl_file_read(path, (size_t)1 << 26, &b, &n, NULL) == SCL_OK ? (char *)b : NULL;
}

/* The trace file's text once it has `n` lines whose id starts with `prefix`
 * (0: a digit), or what it has after 2 s: the bridge writes a render's line
 * just after sending its reply, so the last one may still be coming. */
static char *read_trace(const char *path, int n, char prefix)
{
    char *text = NULL;
    for (int tries = 0; tries < 100; tries++, usleep(20000)) {
        free(text);
        text = slurp(path);
        int lines = 0;
        for (const char *c = text; c && (c = strstr(c, "\"id\":\"")); c += 6)
            lines += prefix ? c[6] == prefix : c[6] >= '0' && c[6] <= '9';
        if (lines >= n)
            break;
    }
    return text;
}

/* The stages of a warm render, from the bridge's trace (SCADLIVE_TRACE, one
 * JSON line per render with CLOCK_MONOTONIC ms; the bench's clock is the same)
 * and the client's own send/receive times: the median of each stage. */
static void print_trace(const char *path, int n, const double *sent_at, const double *got_at)
{
    static const struct { const char *from, *to, *what; } stages[] = {
        {"client", "received", "client sends -> bridge reads the request"},
        {"received", "submitted", "bridge: parameters, key, cache lookup, job"},
        {"submitted", "sent", "bridge: request written to the renderer's pipe"},
        {"sent", "recv", "renderer reads and parses the request"},
        {"recv", "instance", "renderer: waits for its prepared instance"},
        {"instance", "run", "renderer: fonts/files into its file system"},
        {"run", "ran", "OpenSCAD's run (callMain)"},
        {"ran", "read", "renderer: reads the output file"},
        {"read", "frame", "reply frame -> bridge has read it"},
        {"frame", "done", "bridge: reply frame to result callback"},
        {"done", "parsed", "bridge: mesh statistics (parse) + metadata"},
        {"parsed", "cached", "bridge: result stored in the cache"},
        {"cached", "replied", "bridge: reply built and sent"},
        {"replied", "client", "bridge sends -> client has the reply"},
    };
    enum { NSTAGES = sizeof stages / sizeof stages[0], MAXN = 64 };
    static double v[NSTAGES][MAXN], outside[MAXN], render[MAXN];
    char *text = read_trace(path, n, 'r');
    int got = 0;
    for (char *line = text ? strtok(text, "\n") : NULL; line; line = strtok(NULL, "\n")) {
        json_t *t = json_loads(line, 0, NULL);
        const char *id = json_string_value(json_object_get(t, "id"));
        int i = id && id[0] == 'r' ? atoi(id + 1) : -1;
        if (i >= 0 && i < n && got < MAXN) {
            json_object_set_new(t, "client", json_real(sent_at[i]));
            for (int k = 0; k < NSTAGES; k++) {
                double a = json_number_value(json_object_get(t, stages[k].from));
                double b = k == NSTAGES - 1 ? got_at[i] : json_number_value(json_object_get(t, stages[k].to));
                v[k][got] = b - a;
            }
            render[got] = json_number_value(json_object_get(t, "render_ms"));
            if (getenv("SCL_BENCH_TRACE") && !strcmp(getenv("SCL_BENCH_TRACE"), "2")) { /* every render's stages */
                printf("   ");
                for (int k = 0; k < NSTAGES; k++)
                    printf(" %.1f", v[k][got]);
                printf(" | prev instance %.1f\n", json_number_value(json_object_get(t, "prev_instance_ms")));
            }
            outside[got] = got_at[i] - sent_at[i] - render[got];
            got++;
        }
        json_decref(t);
    }
    free(text);
    if (!got) {
        printf("  (no trace lines in %s)\n", path);
        return;
    }
    printf("  where the time goes (traced; %d renders, ms)                         median      max\n", got);
    for (int k = 0; k < NSTAGES; k++)
        printf("    %-56s %7.2f  %7.2f\n", stages[k].what, pct(v[k], got, 0.5), pct(v[k], got, 1));
    printf("    %-56s %7.2f  %7.2f\n", "renderer's own time (render_ms: fonts/files + run + read)", pct(render, got, 0.5),
           pct(render, got, 1));
    printf("    %-56s %7.2f  %7.2f\n", "round trip - render_ms", pct(outside, got, 0.5), pct(outside, got, 1));
}

/* What each renderer did during the batch, from the trace: its jobs, OpenSCAD's
 * runs (render_ms), the time between sending a job and reading its reply
 * outside that, the time between a reply and its next job (making the next
 * OpenSCAD instance, then waiting to be handed a job), and how long it sat
 * idle at the end while the other one finished. Ids are the model indices. */
static void print_lanes(const char *path, int n, double t_start, double t_end)
{
    enum { LANES = 8 };
    double own[LANES] = {0}, in_job[LANES] = {0}, between[LANES] = {0}, last[LANES] = {0};
    int jobs[LANES] = {0};
    char *text = read_trace(path, n, 0);
    for (char *line = text ? strtok(text, "\n") : NULL; line; line = strtok(NULL, "\n")) {
        json_t *t = json_loads(line, 0, NULL);
        const char *id = json_string_value(json_object_get(t, "id"));
        int w = (int)json_integer_value(json_object_get(t, "worker"));
        double sent = json_number_value(json_object_get(t, "sent")), frame = json_number_value(json_object_get(t, "frame"));
        if (id && id[0] >= '0' && id[0] <= '9' && atoi(id) < n && w >= 0 && w < LANES && sent >= t_start) {
            double r = json_number_value(json_object_get(t, "render_ms"));
            own[w] += r;
            in_job[w] += frame - sent - r;
            between[w] += sent - (last[w] > 0 ? last[w] : t_start);
            last[w] = frame;
            jobs[w]++;
        }
        json_decref(t);
    }
    free(text);
    printf("  each renderer during the batch (traced, s): jobs, OpenSCAD's runs, rest of the jobs, between jobs, idle at the end\n");
    for (int w = 0; w < LANES; w++)
        if (jobs[w])
            printf("    renderer %d: %2d jobs  %6.2f  %6.2f  %6.2f  %6.2f\n", w, jobs[w], own[w] / 1000, in_job[w] / 1000,
                   between[w] / 1000, (t_end - last[w]) / 1000);
}

int main(void)
{
    char dir[] = "/tmp/scl-bench-XXXXXX", conn[128], exe[512], trace[600];
    mkdtemp(dir);
    snprintf(conn, sizeof conn, "%s/bridge.json", dir);
    /* traced unless SCL_BENCH_TRACE=0: the trace costs microseconds per render */
    int tracing = !getenv("SCL_BENCH_TRACE") || strcmp(getenv("SCL_BENCH_TRACE"), "0");
    snprintf(trace, sizeof trace, "%s/build/bench/trace.jsonl", SCL_SOURCE_DIR); /* kept for a closer look */
    if (tracing) {
        char md[700];
        snprintf(md, sizeof md, "mkdir -p '%s/build/bench' && rm -f '%s'", SCL_SOURCE_DIR, trace);
        if (system(md) != 0)
            tracing = 0;
    }
    snprintf(exe, sizeof exe, "%s/build/native/scadlive", SCL_SOURCE_DIR);
    pid_t pid = fork();
    if (pid == 0) {
        freopen("/dev/null", "w", stderr);
        setenv("XDG_RUNTIME_DIR", dir, 1);
        if (tracing)
            setenv("SCADLIVE_TRACE", trace, 1);
        else
            unsetenv("SCADLIVE_TRACE");
        execl(exe, exe, "bridge", "--connection-file", conn, "--workers", "2", (char *)NULL);
        _exit(127);
    }
    json_t *cf = NULL;
    for (int i = 0; i < 200 && !(cf = json_load_file(conn, 0, NULL)); i++)
        usleep(50000);
    if (!cf) {
        fprintf(stderr, "bench_bridge: the bridge did not start\n");
        return 1;
    }
    zsock_t *s = zsock_new_dealer(json_string_value(json_object_get(cf, "endpoint")));
    zsock_set_rcvtimeo(s, 120000);
    json_decref(cf);

    /* 1. cache hits */
    const char *model = "w = 10; // [1:100]\n$fn = 48;\ndifference() { cube(w, center = true); sphere(w * 0.6); }\n";
    send_req(s, json_pack("{s:s,s:s,s:s}", "type", "render", "id", "warm", "source", model));
    json_decref(recv_h(s));
    enum { HITS = 2000 };
    static double rt[HITS];
    for (int i = 0; i < HITS; i++) {
        double t0 = now_ms();
        send_req(s, json_pack("{s:s,s:s,s:s}", "type", "render", "id", "h", "source", model));
        json_decref(recv_h(s));
        rt[i] = now_ms() - t0;
    }
    double p50 = pct(rt, HITS, 0.5), p99 = pct(rt, HITS, 0.99);
    double t0 = now_ms();
    int sent = 0, got = 0;
    while (got < HITS) {
        while (sent < HITS && sent - got < 16) {
            send_req(s, json_pack("{s:s,s:s,s:s}", "type", "render", "id", "t", "source", model));
            sent++;
        }
        json_decref(recv_h(s));
        got++;
    }
    double tput = HITS / ((now_ms() - t0) / 1000.0);
    /* baseline: a ping round trip (no cache, no payload) */
    static double ping[HITS];
    for (int i = 0; i < HITS; i++) {
        double t1 = now_ms();
        send_req(s, json_pack("{s:s,s:s}", "type", "ping", "id", "p"));
        json_decref(recv_h(s));
        ping[i] = now_ms() - t1;
    }
    double ping50 = pct(ping, HITS, 0.5);
    printf("bridge: cache hit round trip (binary STL payload, ipc, 2000 requests)\n");
    printf("  %-44s p50 %.3f ms, p99 %.3f ms\n", "cache hit", p50, p99);
    printf("  %-44s p50 %.3f ms\n", "baseline: ping round trip", ping50);
    printf("  %-44s %.0f requests/s\n", "cached throughput (16 in flight)", tput);

    /* 2. warm renders vs the renderer's own time */
    enum { RENDERS = 15 };
    double ratio[RENDERS], bridge_ms[RENDERS], bare_ms[RENDERS], sent_at[RENDERS], got_at[RENDERS];
    for (int i = 0; i < RENDERS; i++) {
        char rid[16];
        snprintf(rid, sizeof rid, "r%d", i);
        json_t *h = json_pack("{s:s,s:s,s:s,s:{s:i}}", "type", "render", "id", rid, "source", model, "params",
                              "w", 20 + i);
        double t1 = now_ms();
        send_req(s, h);
        json_t *r = recv_h(s);
        sent_at[i] = t1;
        got_at[i] = now_ms();
        bridge_ms[i] = got_at[i] - t1;
        bare_ms[i] = json_number_value(json_object_get(r, "render_ms"));
        ratio[i] = bridge_ms[i] / bare_ms[i];
        json_decref(r);
    }
    printf("bridge: warm render (cache misses, %d parameter values)\n", RENDERS);
    printf("  %-44s median %.1f ms\n", "through the bridge (client round trip)", pct(bridge_ms, RENDERS, 0.5));
    printf("  %-44s median %.1f ms\n", "baseline: the renderer's own time", pct(bare_ms, RENDERS, 0.5));
    printf("  %-44s median %.2f (target <= 1.10)\n", "ratio bridge / renderer", pct(ratio, RENDERS, 0.5));
    if (tracing)
        print_trace(trace, RENDERS, sent_at, got_at);

    /* 3. corpus: the 48 examples as one batch through the bridge (all requests
     * in flight at once, 2 renderers on 2 cores) vs openscad 2021 run one model
     * at a time, in the same run (SCL_BENCH_QUICK=1 skips it) */
    if (getenv("SCL_BENCH_QUICK"))
        goto done;
    printf("bridge: the example corpus as one batch (OpenSCAD 2025 WASM, 2 renderers, all requests in flight)\n"
           "        vs openscad 2021.01 run one model at a time\n");
    const char *corpus = "/usr/share/openscad/examples";
    const char *subdirs[] = {"Basics", "Functions", "Old", "Parametric", "Advanced"};
    enum { MAX_MODELS = 64 };
    static char names[MAX_MODELS][256], dirs[MAX_MODELS][512];
    static double render_ms[MAX_MODELS], direct_ms[MAX_MODELS];
    static int bridge_ok[MAX_MODELS], direct_ok[MAX_MODELS];
    int n = 0;
    for (size_t k = 0; k < sizeof subdirs / sizeof subdirs[0]; k++) {
        char d[512];
        snprintf(d, sizeof d, "%s/%s", corpus, subdirs[k]);
        DIR *dd = opendir(d);
        struct dirent *e;
        while (dd && (e = readdir(dd)) && n < MAX_MODELS) {
            size_t l = strlen(e->d_name);
            if (l < 6 || strcmp(e->d_name + l - 5, ".scad"))
                continue;
            snprintf(names[n], sizeof names[n], "%s", e->d_name);
            snprintf(dirs[n], sizeof dirs[n], "%s", d);
            n++;
        }
        if (dd)
            closedir(dd);
    }
    /* the batch: every model sent at once, with the files it includes (as the CLI sends them) */
    double t_batch = now_ms();
    for (int i = 0; i < n; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dirs[i], names[i]);
        char *src = slurp(path);
        json_t *deps = NULL, *files = json_object(), *dep;
        size_t di;
        if (scl_deps_collect(src, dirs[i], NULL, &deps, NULL) == SCL_OK) {
            json_array_foreach(deps, di, dep) {
                uint8_t *bytes = NULL;
                size_t nread;
                if (scl_file_read(json_string_value(json_object_get(dep, "abs")), (size_t)64 << 20, &bytes,
                                  &nread, NULL) != SCL_OK)
                    continue;
                char *b64 = scl_base64_encode(bytes, nread);
                json_object_set_new(files, json_string_value(json_object_get(dep, "path")), json_pack("{s:s}", "base64", b64));
                free(b64);
                free(bytes);
            }
            json_decref(deps);
        }
        char id[16];
        snprintf(id, sizeof id, "%d", i);
        send_req(s, json_pack("{s:s,s:s,s:s,s:s,s:i,s:o}", "type", "render", "id", id, "source", src, "name",
                              names[i], "deadline_ms", 120000, "files", files));
        free(src);
    }
    for (int replies = 0; replies < n; replies++) {
        json_t *r = recv_h(s);
        if (!r)
            break;
        int i = atoi(json_string_value(json_object_get(r, "id")) ?: "-1");
        if (i >= 0 && i < n) {
            bridge_ok[i] = !strcmp(json_string_value(json_object_get(r, "type")) ?: "", "result");
            render_ms[i] = json_number_value(json_object_get(r, "render_ms"));
        }
        json_decref(r);
    }
    if (tracing)
        print_lanes(trace, n, t_batch, now_ms());
    t_batch = now_ms() - t_batch;
    /* the renderers' own time (render_ms, measured inside them): the renders
     * that failed occupied a renderer too, and no batch on 2 renderers can
     * take less than half of it all */
    double own_ok = 0, own_failed = 0;
    int nb = 0, nd = 0;
    for (int i = 0; i < n; i++) {
        *(bridge_ok[i] ? &own_ok : &own_failed) += render_ms[i];
        nb += bridge_ok[i];
    }
    double floor_ms = (own_ok + own_failed) / 2;
    /* the baseline: openscad 2021, one model at a time (SCL_BENCH_BATCH_ONLY=1 skips it, for working on the batch) */
    double total_direct = 0;
    for (int i = 0; i < n && !getenv("SCL_BENCH_BATCH_ONLY"); i++) {
        char cmd[2400];
        snprintf(cmd, sizeof cmd, "cd '%s' && timeout 120 openscad -o %s/x.stl --export-format binstl '%s' >/dev/null 2>&1",
                 dirs[i], dir, names[i]);
        double t1 = now_ms();
        direct_ok[i] = system(cmd) == 0;
        direct_ms[i] = now_ms() - t1;
        printf("  %-36s renderer %8.0f ms%s  openscad 2021 %8.0f ms%s\n", names[i], render_ms[i],
               bridge_ok[i] ? "" : " (error)", direct_ms[i], direct_ok[i] ? "" : " (error)");
        total_direct += direct_ms[i];
        nd += direct_ok[i];
    }
    printf("  total: %d models; the batch %.1f s wall (%d rendered; renderers' own time %.1f s, and %.1f s in the %d "
           "that failed)", n, t_batch / 1000, nb, own_ok / 1000, own_failed / 1000, n - nb);
    if (total_direct > 0)
        printf(", openscad 2021 one at a time %.1f s (%d rendered)", total_direct / 1000, nd);
    printf("\n");
    if (total_direct > 0)
        printf("  %-44s %.1fx (target >= 40x)\n", "openscad 2021 one at a time / the batch", total_direct / t_batch);
    printf("  %-44s %.1f s: no batch on 2 renderers at these own times is faster", "renderers' own time, all models, / 2", floor_ms / 1000);
    if (total_direct > 0)
        printf(" (%.1fx)", total_direct / floor_ms);
    printf("\n  %-44s %.0f%% (own time of all models / (2 x wall))\n", "renderers busy in OpenSCAD during the batch",
           100 * (own_ok + own_failed) / (2 * t_batch));
done:
    zsock_destroy(&s);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    char rm[200];
    snprintf(rm, sizeof rm, "rm -rf '%s'", dir);
    return system(rm) == 0 ? 0 : 1;
}
