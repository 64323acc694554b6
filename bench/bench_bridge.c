/* bench_bridge - the render bridge measured against baselines from the same run:
 *  1. cache-hit round trip (p50/p99) and cached throughput with 16 requests in flight;
 *  2. warm render through the bridge vs the renderer's own time for the same render
 *     (render_ms, measured inside the renderer process around OpenSCAD's run): target <= 1.10;
 *  3. the example corpus through the bridge (OpenSCAD 2025 WASM, 2 workers) vs
 *     openscad 2021.01 called directly, per model and in total.
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

    /* 3. corpus: bridge (2025 WASM) vs openscad 2021 directly (SCL_BENCH_QUICK=1 skips it) */
    if (getenv("SCL_BENCH_QUICK"))
        goto done;
    printf("bridge: example corpus, bridge (OpenSCAD 2025 WASM, 2 workers, sequential requests) vs openscad 2021.01 direct\n");
    const char *corpus = "/usr/share/openscad/examples";
    const char *subdirs[] = {"Basics", "Functions", "Old", "Parametric", "Advanced"};
    double total_bridge = 0, total_direct = 0;
    int n = 0, bridge_ok = 0, direct_ok = 0;
    for (size_t k = 0; k < sizeof subdirs / sizeof subdirs[0]; k++) {
        char d[512];
        snprintf(d, sizeof d, "%s/%s", corpus, subdirs[k]);
        DIR *dd = opendir(d);
        struct dirent *e;
        while (dd && (e = readdir(dd))) {
            size_t l = strlen(e->d_name);
            if (l < 6 || strcmp(e->d_name + l - 5, ".scad"))
                continue;
            char path[1024], cmd[2300];
            snprintf(path, sizeof path, "%s/%s", d, e->d_name);
            char *src = slurp(path);
            double t1 = now_ms();
            /* the files it includes or imports, as the CLI sends them */
            json_t *deps = NULL, *files = json_object(), *dep;
            size_t di;
            if (scl_deps_collect(src, d, NULL, &deps, NULL) == SCL_OK) {
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
            send_req(s, json_pack("{s:s,s:s,s:s,s:s,s:i,s:o}", "type", "render", "id", "c", "source", src, "name",
                                  e->d_name, "deadline_ms", 60000, "files", files));
            json_t *r = recv_h(s);
            double b = now_ms() - t1;
            int bok = r && !strcmp(json_string_value(json_object_get(r, "type")), "result");
            json_decref(r);
            free(src);
            snprintf(cmd, sizeof cmd, "cd '%s' && timeout 120 openscad -o %s/x.stl --export-format binstl '%s' >/dev/null 2>&1", d, dir, path);
            t1 = now_ms();
            int dok = system(cmd) == 0;
            double dm = now_ms() - t1;
            printf("  %-36s bridge %8.0f ms%s  direct %8.0f ms%s  ratio %.2f\n", e->d_name, b, bok ? "" : " (error)",
                   dm, dok ? "" : " (error)", b / dm);
            total_bridge += b;
            total_direct += dm;
            bridge_ok += bok;
            direct_ok += dok;
            n++;
        }
        if (dd)
            closedir(dd);
    }
    printf("  total: %d models, bridge %.1f s (%d rendered), openscad 2021 direct %.1f s (%d rendered), ratio %.3f\n", n,
           total_bridge / 1000, bridge_ok, total_direct / 1000, direct_ok, total_bridge / total_direct);
done:
    zsock_destroy(&s);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    char rm[200];
    snprintf(rm, sizeof rm, "rm -rf '%s'", dir);
    return system(rm) == 0 ? 0 : 1;
}
