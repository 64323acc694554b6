/* bench_bridge - the render bridge measured against baselines from the same run:
 *  1. cache-hit round trip (p50/p99) and cached throughput with 16 requests in flight;
 *  2. warm render through the bridge vs the renderer's own time for the same render
 *     (render_ms, measured inside the renderer process around OpenSCAD's run): target <= 1.10;
 *  3. the 48 examples as one batch through the bridge (OpenSCAD 2025 WASM, 2 renderers,
 *     every request in flight at once) vs openscad 2021.01 run one model at a time:
 *     wall time of the batch against the sum of the direct runs (target >= 40x).
 * Starts its own bridge from build/native. */
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

int main(void)
{
    char dir[] = "/tmp/scl-bench-XXXXXX", conn[128], exe[512];
    mkdtemp(dir);
    snprintf(conn, sizeof conn, "%s/bridge.json", dir);
    snprintf(exe, sizeof exe, "%s/build/native/scadlive", SCL_SOURCE_DIR);
    pid_t pid = fork();
    if (pid == 0) {
        freopen("/dev/null", "w", stderr);
        setenv("XDG_RUNTIME_DIR", dir, 1);
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
    double ratio[RENDERS], bridge_ms[RENDERS], bare_ms[RENDERS];
    for (int i = 0; i < RENDERS; i++) {
        json_t *h = json_pack("{s:s,s:s,s:s,s:{s:i}}", "type", "render", "id", "r", "source", model, "params",
                              "w", 20 + i);
        double t1 = now_ms();
        send_req(s, h);
        json_t *r = recv_h(s);
        bridge_ms[i] = now_ms() - t1;
        bare_ms[i] = json_number_value(json_object_get(r, "render_ms"));
        ratio[i] = bridge_ms[i] / bare_ms[i];
        json_decref(r);
    }
    printf("bridge: warm render (cache misses, %d parameter values)\n", RENDERS);
    printf("  %-44s median %.1f ms\n", "through the bridge (client round trip)", pct(bridge_ms, RENDERS, 0.5));
    printf("  %-44s median %.1f ms\n", "baseline: the renderer's own time", pct(bare_ms, RENDERS, 0.5));
    printf("  %-44s median %.2f (target <= 1.10)\n", "ratio bridge / renderer", pct(ratio, RENDERS, 0.5));

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
    t_batch = now_ms() - t_batch;
    /* the baseline: openscad 2021, one model at a time */
    double total_direct = 0, total_render = 0;
    int nb = 0, nd = 0;
    for (int i = 0; i < n; i++) {
        char cmd[2400];
        snprintf(cmd, sizeof cmd, "cd '%s' && timeout 120 openscad -o %s/x.stl --export-format binstl '%s' >/dev/null 2>&1",
                 dirs[i], dir, names[i]);
        double t1 = now_ms();
        direct_ok[i] = system(cmd) == 0;
        direct_ms[i] = now_ms() - t1;
        printf("  %-36s renderer %8.0f ms%s  openscad 2021 %8.0f ms%s\n", names[i], render_ms[i],
               bridge_ok[i] ? "" : " (error)", direct_ms[i], direct_ok[i] ? "" : " (error)");
        total_direct += direct_ms[i];
        total_render += render_ms[i];
        nb += bridge_ok[i];
        nd += direct_ok[i];
    }
    printf("  total: %d models; the batch %.1f s wall (%d rendered; renderers' own time %.1f s), "
           "openscad 2021 one at a time %.1f s (%d rendered)\n", n, t_batch / 1000, nb, total_render / 1000,
           total_direct / 1000, nd);
    printf("  %-44s %.1fx (target >= 40x)\n", "openscad 2021 one at a time / the batch", total_direct / t_batch);
done:
    zsock_destroy(&s);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    char rm[200];
    snprintf(rm, sizeof rm, "rm -rf '%s'", dir);
    return system(rm) == 0 ? 0 : 1;
}
