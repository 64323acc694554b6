/* Integration tests of the render bridge: the real daemon (this build's
 * `scadlive bridge`), real renderer processes (OpenSCAD WASM in Node, and
 * the native openscad), real ZeroMQ. Each test starts its own bridge on a
 * private connection file. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <czmq.h>
#include <dirent.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bridge_harness.h"
#include "endpoint.h"
#include "fileio.h"
#include "mesh.h"

/* A bridge of `backend` with `workers` renderers and a queue of `queue`
 * (tests/c/support/bridge_harness.h), its TMPDIR the test's directory.
 * extra: more `scadlive bridge` arguments (NULL-terminated) or NULL; env:
 * "NAME=value" strings for the bridge (NULL-terminated) or NULL. The test
 * fails, with the bridge's log, if it does not start. */
static scl_test_bridge start_bridge_with(const char *backend, int workers, int queue, const char *const *extra,
                                         const char *const *env)
{
    char w[16], q[16];
    snprintf(w, sizeof w, "%d", workers);
    snprintf(q, sizeof q, "%d", queue);
    const char *args[32] = {"--workers", w, "--backend", backend, "--queue", q};
    size_t n = 6;
    for (size_t i = 0; extra && extra[i] && n < 31; i++)
        args[n++] = extra[i];
    args[n] = NULL;
    scl_test_bridge_options opt = {.args = args, .env = env, .tmpdir_in_test_dir = 1};
    scl_test_bridge b;
    if (scl_test_bridge_start(&b, &opt) != 0)
        cr_assert_fail("the bridge did not start: %s", scl_test_bridge_log(&b));
    return b;
}

static scl_test_bridge start_bridge(const char *backend, int workers, int queue)
{
    return start_bridge_with(backend, workers, queue, NULL, NULL);
}

/* A client connected as the bridge's connection file says. */
static zsock_t *client(const scl_test_bridge *b)
{
    zsock_t *s = scl_test_client(b->conn_json);
    cr_assert_not_null(s, "could not connect to %s", json_string_value(json_object_get(b->conn_json, "endpoint")));
    return s;
}

static void send_header(zsock_t *s, json_t *h) { cr_assert_eq(scl_test_send(s, h), 0, "could not send a request"); }

/* The next terminal reply's header (caller decrefs; progress messages
 * skipped), the whole message in *keep when not NULL; the test fails if
 * none comes within timeout_ms. */
static json_t *recv_reply(zsock_t *s, int timeout_ms, zmsg_t **keep)
{
    json_t *h = scl_test_recv(s, timeout_ms, keep);
    cr_assert_not_null(h, "no reply within %d ms", timeout_ms);
    return h;
}

/* Send `header` (consumed) and return the terminal reply's header, as recv_reply. */
static json_t *request(zsock_t *s, json_t *header, int timeout_ms, zmsg_t **keep)
{
    send_header(s, header);
    return recv_reply(s, timeout_ms, keep);
}

static json_t *render_req(const char *id, const char *source, json_t *params)
{
    return json_pack("{s:s,s:s,s:s,s:o,s:s}", "type", "render", "id", id, "source", source, "params",
                     params ? params : json_object(), "format", "binstl");
}

static const char *str(json_t *h, const char *k) { return json_string_value(json_object_get(h, k)); }

static scl_mesh *payload_mesh(zmsg_t *m)
{
    zframe_t *f = zmsg_first(m);
    f = zmsg_next(m);
    f = zmsg_next(m);
    cr_assert_not_null(f, "no payload frame");
    scl_mesh *mesh = NULL;
    scl_error err;
    cr_assert_eq(scl_mesh_parse(zframe_data(f), zframe_size(f), SCL_MESH_AUTO, NULL, &mesh, &err), SCL_OK, "%s",
                 err.message);
    return mesh;
}

static char *read_file(const char *path, size_t *len)
{
    uint8_t *buf = NULL;
    scl_error err;
    cr_assert_eq(scl_file_read(path, (size_t)1 << 28, &buf, len, &err), SCL_OK, "%s", err.message);
    return (char *)buf;
}

static int run(const char *cmd) { return system(cmd); }

/* ------------------------------------------------------------------ tests */

Test(bridge, wasm_renders_are_byte_identical_to_the_bare_renderer, .timeout = 240)
{
    scl_test_bridge b = start_bridge("wasm", 2, 64);
    zsock_t *s = client(&b);
    const char *examples[] = {"Basics/CSG.scad", "Old/example001.scad", "Parametric/candleStand.scad",
                              "Basics/text_on_cube.scad", "Advanced/offset.scad"};
    for (size_t i = 0; i < sizeof examples / sizeof examples[0]; i++) {
        char path[512], cmd[2048], out[256];
        snprintf(path, sizeof path, "/usr/share/openscad/examples/%s", examples[i]);
        snprintf(out, sizeof out, "%s/direct-%zu.stl", b.dir, i);
        snprintf(cmd, sizeof cmd, "node '%s/renderer/wasm-worker.mjs' --once '%s' '%s' > /dev/null", SCL_SOURCE_DIR, path, out);
        cr_assert_eq(run(cmd), 0, "bare renderer failed on %s", path);
        size_t len, dlen;
        char *src = read_file(path, &len);
        char id[16];
        snprintf(id, sizeof id, "ex%zu", i);
        send_header(s, render_req(id, src, NULL));
        free(src);
        zmsg_t *m;
        json_t *h = recv_reply(s, 120000, &m);
        cr_assert_str_eq(str(h, "type"), "result", "%s: %s", examples[i], str(h, "message"));
        cr_assert_str_eq(str(h, "id"), id);
        cr_assert_str_eq(str(h, "cache"), "miss");
        char *direct = read_file(out, &dlen);
        zframe_t *f = zmsg_first(m);
        f = zmsg_next(m);
        f = zmsg_next(m);
        cr_assert_eq(zframe_size(f), dlen, "%s: size differs", examples[i]);
        cr_assert_eq(memcmp(zframe_data(f), direct, dlen), 0, "%s: bytes differ", examples[i]);
        scl_mesh *mesh = payload_mesh(m);
        cr_assert_eq((json_int_t)scl_mesh_triangle_count(mesh), json_integer_value(json_object_get(h, "triangles")));
        scl_mesh_destroy(mesh);
        free(direct);
        json_decref(h);
        zmsg_destroy(&m);
    }
    zsock_destroy(&s);
    scl_test_bridge_cleanup(&b);
}

Test(bridge, native_backend_matches_direct_openscad, .timeout = 240)
{
    scl_test_bridge b = start_bridge("openscad", 2, 64);
    zsock_t *s = client(&b);
    const char *examples[] = {"Basics/CSG.scad", "Old/example001.scad", "Old/example002.scad"};
    for (size_t i = 0; i < sizeof examples / sizeof examples[0]; i++) {
        char path[512], cmd[2048], out[256];
        snprintf(path, sizeof path, "/usr/share/openscad/examples/%s", examples[i]);
        snprintf(out, sizeof out, "%s/direct-%zu.stl", b.dir, i);
        snprintf(cmd, sizeof cmd, "openscad -o '%s' --export-format binstl '%s' 2>/dev/null", out, path);
        cr_assert_eq(run(cmd), 0);
        size_t len, dlen;
        char *src = read_file(path, &len);
        send_header(s, render_req("n", src, NULL));
        free(src);
        zmsg_t *m;
        json_t *h = recv_reply(s, 120000, &m);
        cr_assert_str_eq(str(h, "type"), "result", "%s: %s", examples[i], str(h, "message"));
        char *direct = read_file(out, &dlen);
        scl_mesh *bm = payload_mesh(m), *dm = NULL;
        cr_assert_eq(scl_mesh_parse((uint8_t *)direct, dlen, SCL_MESH_AUTO, NULL, &dm, NULL), SCL_OK);
        scl_mesh_stats bs, ds;
        scl_mesh_get_stats(bm, &bs);
        scl_mesh_get_stats(dm, &ds);
        /* OpenSCAD 2021's CGAL output is not byte-stable run to run; the geometry is */
        cr_assert_eq(bs.triangles, ds.triangles, "%s", examples[i]);
        cr_assert_float_eq(bs.volume, ds.volume, 1e-6 * (ds.volume > 0 ? ds.volume : 1), "%s", examples[i]);
        scl_mesh_destroy(bm);
        scl_mesh_destroy(dm);
        free(direct);
        json_decref(h);
        zmsg_destroy(&m);
    }
    zsock_destroy(&s);
    scl_test_bridge_cleanup(&b);
}

/* 16 clients, 3 interleaved requests each, each a differently sized cube */
typedef struct client_job {
    zsock_t *sock; /* made in the main thread: czmq's global init is not thread-safe */
    int n;
    int ok;
} client_job;

static void *client_thread(void *arg)
{
    client_job *j = arg;
    zsock_t *s = j->sock;
    for (int k = 0; k < 3; k++) {
        char id[32];
        snprintf(id, sizeof id, "c%d-%d", j->n, k);
        json_t *h = json_pack("{s:s,s:s,s:s,s:{s:i}}", "type", "render", "id", id, "source",
                              "size = 1; // [1:100]\ncube(size);\n", "params", "size", j->n * 3 + k + 1);
        char *text = json_dumps(h, JSON_COMPACT);
        zstr_sendm(s, "SCL1");
        zstr_send(s, text);
        free(text);
        json_decref(h);
    }
    int good = 0;
    zsock_set_rcvtimeo(s, 120000);
    for (int k = 0; k < 3; k++) {
        zmsg_t *m = zmsg_recv(s);
        if (!m)
            break;
        zmsg_first(m);
        zframe_t *hf = zmsg_next(m);
        json_t *h = json_loadb((const char *)zframe_data(hf), zframe_size(hf), 0, NULL);
        if (!strcmp(json_string_value(json_object_get(h, "type")) ?: "", "progress")) {
            json_decref(h);
            zmsg_destroy(&m);
            k--;
            continue;
        }
        const char *id = json_string_value(json_object_get(h, "id"));
        int n, kk;
        if (id && sscanf(id, "c%d-%d", &n, &kk) == 2 && n == j->n) {
            double max = json_number_value(json_array_get(json_object_get(json_object_get(h, "bbox"), "max"), 0));
            if (max == (double)(j->n * 3 + kk + 1))
                good++;
        }
        json_decref(h);
        zmsg_destroy(&m);
    }
    zsock_destroy(&s);
    j->ok = good == 3;
    return NULL;
}

Test(bridge, sixteen_concurrent_clients_get_their_own_replies, .timeout = 240)
{
    scl_test_bridge b = start_bridge("wasm", 2, 64);
    pthread_t t[16];
    client_job jobs[16];
    for (int i = 0; i < 16; i++)
        jobs[i] = (client_job){client(&b), i, 0};
    for (int i = 0; i < 16; i++)
        pthread_create(&t[i], NULL, client_thread, &jobs[i]);
    for (int i = 0; i < 16; i++) {
        pthread_join(t[i], NULL);
        cr_expect(jobs[i].ok, "client %d did not get its own 3 replies", i);
    }
    scl_test_bridge_cleanup(&b);
}

Test(bridge, cache_hits_and_joined_duplicates_render_once, .timeout = 120)
{
    scl_test_bridge b = start_bridge("wasm", 1, 64);
    zsock_t *s = client(&b);
    const char *src = "$fn = 64; sphere(10);";
    send_header(s, render_req("a", src, NULL));
    json_t *h1 = request(s, render_req("b", src, NULL), 60000, NULL), *h2 = recv_reply(s, 60000, NULL);
    const char *c1 = str(h1, "cache"), *c2 = str(h2, "cache");
    cr_assert((!strcmp(c1, "miss") && !strcmp(c2, "joined")) || (!strcmp(c2, "miss") && !strcmp(c1, "joined")),
              "got %s and %s", c1, c2);
    json_t *h3 = request(s, render_req("c", src, NULL), 60000, NULL);
    cr_assert_str_eq(str(h3, "cache"), "hit");
    cr_assert_eq(json_integer_value(json_object_get(h3, "triangles")), json_integer_value(json_object_get(h1, "triangles")));
    json_t *st = request(s, json_pack("{s:s,s:s}", "type", "stats", "id", "st"), 10000, NULL);
    json_t *cache = json_object_get(st, "cache");
    cr_assert_eq(json_integer_value(json_object_get(cache, "hits")), 1);
    cr_assert_eq(json_integer_value(json_object_get(cache, "misses")), 1);
    cr_assert_eq(json_integer_value(json_object_get(cache, "joins")), 1);
    cr_assert_gt(json_integer_value(json_object_get(cache, "bytes")), 0);
    cr_assert_not_null(json_object_get(st, "render_ms"));
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(st, "workers"), "idle")), 1);
    json_decref(h1);
    json_decref(h2);
    json_decref(h3);
    json_decref(st);
    zsock_destroy(&s);
    scl_test_bridge_cleanup(&b);
}

Test(bridge, syntax_errors_name_file_and_line, .timeout = 60)
{
    scl_test_bridge b = start_bridge("wasm", 1, 64);
    zsock_t *s = client(&b);
    json_t *req = render_req("bad", "cube(1);\n\nx = ;\n", NULL);
    json_object_set_new(req, "name", json_string("part.scad"));
    json_t *h = request(s, req, 30000, NULL);
    cr_assert_str_eq(str(h, "type"), "error");
    cr_assert_str_eq(str(h, "code"), "SYNTAX");
    cr_assert_eq(json_integer_value(json_object_get(h, "line")), 3);
    cr_assert_str_eq(str(h, "file"), "part.scad");
    /* the location is in the fields only: each edge prints it once */
    cr_assert(!strstr(str(h, "message"), "part.scad") && !strstr(str(h, "message"), "line"), "%s",
              str(h, "message"));
    json_decref(h);
    /* a render error OpenSCAD reports (here: an assertion), with its log */
    h = request(s, render_req("assert", "echo(\"before\");\nassert(false, \"nope\");\ncube(1);\n", NULL), 30000, NULL);
    cr_assert_str_eq(str(h, "type"), "error");
    cr_assert_str_eq(str(h, "code"), "RENDER");
    cr_assert_str_eq(str(h, "reason"), "assertion");
    cr_assert_eq(json_integer_value(json_object_get(h, "line")), 2);
    cr_assert(strstr(str(h, "message"), "nope"), "%s", str(h, "message"));
    cr_assert(strstr(str(h, "log"), "ECHO: \"before\""), "%s", str(h, "log"));
    /* a failed render occupied a renderer: how long it ran */
    cr_assert_gt(json_number_value(json_object_get(h, "render_ms")), 0);
    json_t *first = json_array_get(json_object_get(h, "messages"), 0);
    cr_assert_str_eq(str(first, "level"), "ECHO");
    cr_assert_str_eq(str(first, "text"), "\"before\"");
    json_decref(h);
    zsock_destroy(&s);
    scl_test_bridge_cleanup(&b);
}

/* SCADLIVE_TRACE: one line per render with the time of each stage, from the
 * client's request to the reply, in the order they happen (docs/benchmarks.md) */
Test(bridge, trace_file_times_every_stage_of_a_render_in_order, .timeout = 120)
{
    static char env_trace[300];
    char dir[] = "/tmp/scl-test-trace-XXXXXX", trace[256];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(trace, sizeof trace, "%s/trace.jsonl", dir); /* outside the bridge's directory: read after it stops */
    snprintf(env_trace, sizeof env_trace, "SCADLIVE_TRACE=%s", trace);
    const char *env[] = {env_trace, NULL};
    scl_test_bridge b = start_bridge_with("wasm", 1, 64, NULL, env);
    zsock_t *s = client(&b);
    /* a reply larger than a default pipe (64 KiB), and a render that fails */
    json_t *h = request(s, render_req("big", "$fn = 48; sphere(10);", NULL), 120000, NULL);
    cr_assert_str_eq(str(h, "type"), "result", "%s", str(h, "message"));
    cr_assert_gt(json_integer_value(json_object_get(h, "bytes")), 65536);
    json_decref(h);
    h = request(s, render_req("fails", "assert(false);", NULL), 60000, NULL);
    cr_assert_str_eq(str(h, "type"), "error");
    json_decref(h);
    /* the bridge writes a render's line just after its reply: read the file
     * once the bridge has stopped (SIGTERM, waited for), not on the reply */
    zsock_destroy(&s);
    scl_test_bridge_cleanup(&b);
    size_t len = 0;
    char *text = read_file(trace, &len);
    cr_assert_not_null(text, "no trace file %s", trace);
    static const char *const order[] = {"received", "submitted", "sent", "recv", "instance", "run", "ran", "read",
                                        "reply", "frame", "done", "parsed", "cached", "replied"};
    const char *ids[] = {"big", "fails"};
    int lines = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"), lines++) {
        cr_assert_lt(lines, 2, "more trace lines than renders: %s", line);
        json_t *t = json_loads(line, 0, NULL);
        cr_assert_not_null(t, "not JSON: %s", line);
        cr_assert_str_eq(str(t, "id"), ids[lines]);
        cr_assert_gt(json_number_value(json_object_get(t, "render_ms")), 0);
        double prev = 0;
        for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
            json_t *v = json_object_get(t, order[k]);
            if (lines == 1 && !v && (!strcmp(order[k], "parsed") || !strcmp(order[k], "cached")))
                continue; /* a failed render is neither parsed nor cached */
            cr_assert(json_is_number(v), "%s: no \"%s\" in %s", ids[lines], order[k], line);
            double x = json_number_value(v);
            if (lines == 1 && x == 0 && (!strcmp(order[k], "parsed") || !strcmp(order[k], "cached")))
                continue;
            cr_assert_geq(x, prev, "%s: \"%s\" (%.3f) before the stage ahead of it (%.3f): %s", ids[lines], order[k],
                          x, prev, line);
            prev = x;
        }
        json_decref(t);
    }
    cr_assert_eq(lines, 2);
    free(text);
    scl_test_remove_tree(dir);
}

Test(bridge, deadlines_kill_endless_renders_and_the_bridge_goes_on, .timeout = 120)
{
    scl_test_bridge b = start_bridge("wasm", 1, 64);
    zsock_t *s = client(&b);
    const char *endless[] = {"function f(x) = f(x + 1);\ncube(f(0));\n",
                             "for (i = [0:99999], j = [0:99999]) if (i < 0) cube(1);\ncube(1);\n"};
    for (int i = 0; i < 2; i++) {
        json_t *req = render_req("slow", endless[i], NULL);
        json_object_set_new(req, "deadline_ms", json_integer(2000));
        int64_t t0 = zclock_mono();
        json_t *h = request(s, req, 30000, NULL);
        cr_assert_str_eq(str(h, "type"), "error", "case %d", i);
        const char *code = str(h, "code");
        /* OpenSCAD may stop the recursion itself (RENDER); otherwise the deadline does */
        cr_assert(!strcmp(code, "TIMEOUT") || (i == 0 && !strcmp(code, "RENDER")), "case %d: %s %s", i, code,
                  str(h, "message"));
        cr_assert_lt(zclock_mono() - t0, 20000, "case %d took too long to end", i);
        json_decref(h);
        h = request(s, render_req("after", "cube(2);", NULL), 30000, NULL);
        cr_assert_str_eq(str(h, "type"), "result", "the bridge stopped serving after case %d", i);
        json_decref(h);
    }
    zsock_destroy(&s);
    scl_test_bridge_cleanup(&b);
}

static pid_t first_child(pid_t parent)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", parent, parent);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int pid = -1;
    if (fscanf(f, "%d", &pid) != 1)
        pid = -1;
    fclose(f);
    return pid;
}

Test(bridge, cancel_and_killed_worker, .timeout = 120)
{
    scl_test_bridge b = start_bridge("wasm", 1, 64);
    zsock_t *s = client(&b);
    /* tail recursion runs as a loop in OpenSCAD: effectively endless */
    const char *slow = "function spin(n) = n == 0 ? 0 : spin(n - 1);\ncube(spin(1e15) + 1);\n";
    send_header(s, render_req("slow1", slow, NULL));
    usleep(500000);
    send_header(s, json_pack("{s:s,s:s,s:s}", "type", "cancel", "id", "c1", "target", "slow1"));
    json_t *a = recv_reply(s, 10000, NULL), *bb = recv_reply(s, 10000, NULL);
    json_t *cancel_ack = !strcmp(str(a, "id"), "c1") ? a : bb, *cancelled = cancel_ack == a ? bb : a;
    cr_assert(json_is_true(json_object_get(cancel_ack, "cancelled")));
    cr_assert_str_eq(str(cancelled, "id"), "slow1");
    cr_assert_str_eq(str(cancelled, "code"), "CANCELLED");
    json_decref(a);
    json_decref(bb);
    /* kill the renderer mid-render: RENDERER_LOST, and a new one takes over */
    send_header(s, render_req("slow2", slow, NULL));
    usleep(1500000);
    pid_t worker = first_child(b.pid);
    cr_assert_gt(worker, 0, "no renderer process found");
    kill(worker, SIGKILL);
    json_t *h = recv_reply(s, 20000, NULL);
    cr_assert_str_eq(str(h, "id"), "slow2");
    cr_assert_str_eq(str(h, "code"), "RENDERER_LOST");
    json_decref(h);
    h = request(s, render_req("after", "cube(3);", NULL), 30000, NULL);
    cr_assert_str_eq(str(h, "type"), "result");
    json_decref(h);
    zsock_destroy(&s);
    scl_test_bridge_cleanup(&b);
}

Test(bridge, malformed_and_oversized_requests_get_protocol_errors, .timeout = 60)
{
    scl_test_bridge b = start_bridge("wasm", 1, 64);
    zsock_t *s = client(&b);
    struct {
        const char *magic, *header, *code, *field;
    } cases[] = {
        {"XXXX", "{\"type\":\"ping\",\"id\":\"1\"}", "PROTOCOL", NULL},
        {"SCL1", "{not json", "PROTOCOL", NULL},
        {"SCL1", "[1,2]", "PROTOCOL", NULL},
        {"SCL1", "{\"type\":\"ping\"}", "PROTOCOL", "id"},
        {"SCL1", "{\"type\":\"fly\",\"id\":\"2\"}", "PROTOCOL", "type"},
        {"SCL1", "{\"type\":\"render\",\"id\":\"3\"}", "PROTOCOL", "source"},
        {"SCL1", "{\"type\":\"render\",\"id\":\"4\",\"source\":\"cube(1);\",\"format\":5}", "PROTOCOL", "format"},
        {"SCL1", "{\"type\":\"render\",\"id\":\"5\",\"source\":\"cube(1);\",\"format\":\"gif\"}", "PROTOCOL", "format"},
        {"SCL1", "{\"type\":\"render\",\"id\":\"6\",\"source\":\"cube(1);\",\"files\":{\"../etc/passwd\":\"x\"}}", "PROTOCOL", "files"},
        {"SCL1", "{\"type\":\"render\",\"id\":\"7\",\"source\":\"w=1;\",\"params\":{\"w\":\"x\"}}", "PROTOCOL", "w"},
        {"SCL1", "{\"type\":\"render\",\"id\":\"8\",\"source\":\"cube(1);\",\"deadline_ms\":-1}", "PROTOCOL", "deadline_ms"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        zstr_sendm(s, cases[i].magic);
        zstr_send(s, cases[i].header);
        json_t *h = recv_reply(s, 10000, NULL);
        cr_expect_str_eq(str(h, "type"), "error", "case %zu", i);
        cr_expect_str_eq(str(h, "code"), cases[i].code, "case %zu: %s", i, str(h, "message"));
        if (cases[i].field)
            cr_expect_str_eq(str(h, "field") ? str(h, "field") : "", cases[i].field, "case %zu: %s", i, str(h, "message"));
        json_decref(h);
    }
    /* a single frame, no header at all */
    zstr_send(s, "SCL1");
    json_t *h = recv_reply(s, 10000, NULL);
    cr_assert_str_eq(str(h, "code"), "PROTOCOL");
    json_decref(h);
    /* oversized: 70 MB of source */
    size_t big = 70u << 20;
    char *src = malloc(big + 1);
    memset(src, ' ', big);
    src[big] = 0;
    send_header(s, render_req("huge", src, NULL));
    free(src);
    h = recv_reply(s, 30000, NULL);
    cr_assert_str_eq(str(h, "code"), "TOO_LARGE", "%s", str(h, "message"));
    cr_assert_str_eq(str(h, "id"), "huge");
    json_decref(h);
    h = request(s, json_pack("{s:s,s:s}", "type", "ping", "id", "p"), 10000, NULL);
    cr_assert(json_is_true(json_object_get(h, "pong")));
    json_decref(h);
    zsock_destroy(&s);
    scl_test_bridge_cleanup(&b);
}

Test(bridge, vanished_client_and_back_pressure_lose_no_other_request, .timeout = 120)
{
    scl_test_bridge b = start_bridge("wasm", 1, 3);
    const char *endless = "function f(x) = f(x + 1);\ncube(f(0));\n";
    /* client A starts an endless render (no deadline) and disappears */
    zsock_t *a = client(&b);
    send_header(a, render_req("gone", endless, NULL));
    usleep(500000);
    zsock_destroy(&a);
    /* within a few seconds the bridge notices, cancels A's render and frees the
     * only renderer: B's requests get results */
    zsock_t *s = client(&b);
    json_t *h = request(s, render_req("after-gone", "cube(5);", NULL), 15000, NULL);
    cr_assert_str_eq(str(h, "type"), "result", "%s %s", str(h, "code"), str(h, "message"));
    json_decref(h);
    /* B past the limit of 3 requests in progress: BUSY at once, the others answered */
    for (int i = 0; i < 3; i++) {
        char id[8];
        snprintf(id, sizeof id, "e%d", i);
        json_t *req = render_req(id, endless, NULL);
        json_object_set_new(req, "deadline_ms", json_integer(3000));
        send_header(s, req);
    }
    h = request(s, render_req("extra", "cube(6);", NULL), 5000, NULL);
    cr_assert_str_eq(str(h, "id"), "extra");
    cr_assert_str_eq(str(h, "code"), "BUSY");
    json_decref(h);
    for (int i = 0; i < 3; i++) {
        h = recv_reply(s, 30000, NULL);
        cr_assert_str_eq(str(h, "type"), "error");
        cr_assert(!strcmp(str(h, "code"), "TIMEOUT") || !strcmp(str(h, "code"), "RENDER"), "%s", str(h, "code"));
        json_decref(h);
    }
    h = request(s, json_pack("{s:s,s:s}", "type", "stats", "id", "st"), 5000, NULL);
    cr_assert_eq(json_integer_value(json_object_get(h, "busy_refusals")), 1);
    cr_assert_geq(json_integer_value(json_object_get(json_object_get(h, "workers"), "restarted")), 1);
    json_decref(h);
    zsock_destroy(&s);
    scl_test_bridge_cleanup(&b);
}

Test(bridge, sigterm_removes_socket_and_connection_file, .timeout = 60)
{
    scl_test_bridge b = start_bridge("wasm", 1, 64);
    const char *endpoint = str(b.conn_json, "endpoint");
    cr_assert_eq(strncmp(endpoint, "ipc://", 6), 0, "default endpoint should be ipc, got %s", endpoint);
    const char *sock = endpoint + 6;
    struct stat st;
    cr_assert_eq(stat(sock, &st), 0);
    char dir[512];
    snprintf(dir, sizeof dir, "%s", sock);
    *strrchr(dir, '/') = 0;
    cr_assert_eq(stat(dir, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0700, "runtime dir mode %o", st.st_mode & 0777);
    scl_test_bridge_stop(&b);
    cr_assert_neq(stat(sock, &st), 0, "socket left behind");
    cr_assert_neq(stat(b.conn, &st), 0, "connection file left behind");
    scl_test_bridge_cleanup(&b);
}

Test(bridge, libraries_fonts_and_included_files, .timeout = 120)
{
    scl_test_bridge b = start_bridge("wasm", 1, 64);
    zsock_t *s = client(&b);
    /* MCAD from /usr/share/openscad/libraries, mounted because the model names it */
    send_header(s, render_req("mcad", "use <MCAD/involute_gears.scad>\n"
                                      "gear(number_of_teeth = 12, circular_pitch = 200, gear_thickness = 3,"
                                      " rim_thickness = 3, hub_thickness = 3);\n", NULL));
    json_t *h = recv_reply(s, 60000, NULL);
    cr_assert_str_eq(str(h, "type"), "result", "%s", str(h, "message"));
    cr_assert_gt(json_integer_value(json_object_get(h, "triangles")), 100);
    json_decref(h);
    /* text() with the Liberation fonts */
    h = request(s, render_req("text", "linear_extrude(2) text(\"Hi\", font = \"Liberation Sans\");", NULL), 60000, NULL);
    cr_assert_str_eq(str(h, "type"), "result", "%s", str(h, "message"));
    cr_assert_gt(json_integer_value(json_object_get(h, "triangles")), 20);
    json_decref(h);
    /* an included file shipped with the request, relative to the model */
    json_t *req = render_req("inc", "include <parts/box.scad>\nbox(7);\n", NULL);
    json_object_set_new(req, "files", json_pack("{s:s}", "parts/box.scad", "module box(s) { cube(s); }\n"));
    send_header(s, req);
    zmsg_t *m;
    h = recv_reply(s, 60000, &m);
    cr_assert_str_eq(str(h, "type"), "result", "%s", str(h, "message"));
    scl_mesh *mesh = payload_mesh(m);
    scl_mesh_stats st;
    scl_mesh_get_stats(mesh, &st);
    cr_assert_float_eq(st.volume, 343.0, 1e-6);
    scl_mesh_destroy(mesh);
    zmsg_destroy(&m);
    json_decref(h);
    zsock_destroy(&s);
    scl_test_bridge_cleanup(&b);
}

Test(bridge, exits_and_cleans_up_when_its_parent_dies, .timeout = 60)
{
    char dir[] = "/tmp/scl-test-bridge-XXXXXX", conn[128];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(conn, sizeof conn, "%s/bridge.json", dir);
    /* the "kernel": a child that starts the bridge with --parent-pid itself */
    pid_t kernel = fork();
    if (kernel == 0) {
        char exe[512], me[16];
        snprintf(exe, sizeof exe, "%s/scadlive", SCL_BUILD_DIR);
        snprintf(me, sizeof me, "%d", (int)getpid());
        setenv("XDG_RUNTIME_DIR", dir, 1);
        setenv("SCADLIVE_HOME", SCL_SOURCE_DIR, 1);
        pid_t bridge = fork();
        if (bridge == 0) {
            freopen("/dev/null", "w", stderr);
            execl(exe, exe, "bridge", "--connection-file", conn, "--workers", "1", "--parent-pid", me, (char *)NULL);
            _exit(127);
        }
        pause(); /* until killed */
        _exit(0);
    }
    json_t *cf = NULL;
    for (int i = 0; i < 200 && !(cf = json_load_file(conn, 0, NULL)); i++)
        usleep(50000);
    cr_assert_not_null(cf, "the bridge did not start");
    int bridge_pid = (int)json_integer_value(json_object_get(cf, "pid"));
    json_decref(cf);
    kill(kernel, SIGKILL);
    waitpid(kernel, NULL, 0);
    int gone = 0;
    for (int i = 0; i < 100 && !gone; i++) {
        usleep(50000);
        struct stat st;
        gone = kill(bridge_pid, 0) != 0 && stat(conn, &st) != 0;
    }
    cr_assert(gone, "the bridge outlived its parent or left its connection file");
    cr_assert_eq(scl_test_remove_tree(dir), 0);
}

/* ------------------------------------------------- hostile or broken clients (#9) */

/* kB of a /proc/PID/status line ("VmRSS", "VmHWM"), or -1. */
static long proc_status_kb(pid_t pid, const char *key)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, key, strlen(key)) && line[strlen(key)] == ':')
            kb = strtol(line + strlen(key) + 1, NULL, 10);
    if (f)
        fclose(f);
    return kb;
}

static json_t *ping(zsock_t *s, const char *id, int timeout_ms)
{
    send_header(s, json_pack("{s:s,s:s}", "type", "ping", "id", id));
    return recv_reply(s, timeout_ms, NULL);
}

/* No terminal reply (progress messages aside) within ms. */
static void expect_no_reply(zsock_t *s, int ms, const char *why)
{
    json_t *h = scl_test_recv(s, ms, NULL);
    char *text = h ? json_dumps(h, JSON_COMPACT) : NULL;
    cr_assert_null(h, "%s: got %s", why, text);
}

Test(bridge, a_client_that_stops_reading_stalls_nobody_and_its_replies_stay_bounded, .timeout = 300)
{
    /* a 32 MiB cap per client; ASan's quarantine kept small so RSS shows live memory */
    const char *extra[] = {"--client-buffer", "33554432", NULL};
    const char *env[] = {"ASAN_OPTIONS=quarantine_size_mb=8:detect_leaks=0", NULL};
    scl_test_bridge b = start_bridge_with("wasm", 1, 64, extra, env);
    zsock_t *reader = client(&b);
    /* a result of ~115 kB, cached: every flood request is a cache hit */
    const char *src = "$fn = 48; sphere(10);";
    json_t *h = request(reader, render_req("warm", src, NULL), 120000, NULL);
    cr_assert_str_eq(str(h, "type"), "result", "%s", str(h, "message"));
    json_int_t reply_bytes = json_integer_value(json_object_get(h, "bytes"));
    cr_assert_gt(reply_bytes, 100000);
    json_decref(h);
    long rss0 = proc_status_kb(b.pid, "VmRSS");
    cr_assert_gt(rss0, 0);
    /* the flood: 12,000 requests (1.4 GB of replies), none read */
    zsock_t *flood = zsock_new(ZMQ_DEALER);
    zsock_set_linger(flood, 0);
    zsock_set_rcvhwm(flood, 1);
    zsock_set_rcvbuf(flood, 65536);
    zsock_set_sndtimeo(flood, 20000);
    scl_error err;
    cr_assert_eq(scl_endpoint_connect(flood, b.conn_json, &err), SCL_OK, "%s", err.message);
    char *req_text = NULL;
    for (int i = 0; i < 12000; i++) {
        json_t *r = render_req("f", src, NULL);
        req_text = json_dumps(r, JSON_COMPACT);
        json_decref(r);
        zmsg_t *m = zmsg_new();
        zmsg_addmem(m, "SCL1", 4);
        zmsg_addstr(m, req_text);
        free(req_text);
        cr_assert_eq(zmsg_send(&m, flood), 0, "the bridge stopped taking requests after %d", i);
        if (i % 1000 == 999) {
            /* meanwhile another client is answered at once */
            char id[16];
            snprintf(id, sizeof id, "p%d", i);
            h = ping(reader, id, 1000);
            cr_assert(json_is_true(json_object_get(h, "pong")), "ping after %d flood requests", i + 1);
            cr_assert_str_eq(str(h, "id"), id);
            json_decref(h);
        }
    }
    /* let the bridge work through the whole backlog, still answering the reader */
    json_int_t dropped = 0, handled = 0;
    for (int k = 0; k < 600 && handled < 12000 + 13; k++) { /* the flood, warm, 12 pings */
        h = request(reader, json_pack("{s:s,s:s}", "type", "stats", "id", "st"), 1000, NULL);
        dropped = json_integer_value(json_object_get(json_object_get(h, "clients"), "dropped_replies"));
        handled = json_integer_value(json_object_get(h, "requests")) - k; /* minus our stats requests */
        json_decref(h);
        if (handled < 12000 + 13)
            usleep(100000);
    }
    cr_assert_geq(handled, 12000 + 13, "the bridge did not get through the flood");
    cr_assert_gt(dropped, 0, "the non-reading client's replies were never dropped");
    h = ping(reader, "last", 1000);
    cr_assert(json_is_true(json_object_get(h, "pong")));
    json_decref(h);
    long rss = proc_status_kb(b.pid, "VmRSS");
    cr_log_info("flood: %lld replies dropped; bridge RSS %ld kB before, %ld kB after", (long long)dropped, rss0, rss);
    /* the bound: the 32 MiB cap, plus slack for the allocator and the request backlog */
    cr_assert_lt(rss - rss0, (32 + 96) * 1024L, "the bridge grew by %ld kB", rss - rss0);
    char *log = scl_test_bridge_log(&b);
    cr_assert(strstr(log, "stopped reading its replies"), "no log line about the dropped client: %s", log);
    free(log);
    zsock_destroy(&flood);
    zsock_destroy(&reader);
    scl_test_bridge_cleanup(&b);
}

static const char *SLOW = "function spin(n) = n == 0 ? 0 : spin(n - 1);\ncube(spin(1e15) + 1);\n";

Test(bridge, joined_requests_keep_their_own_deadlines, .timeout = 120)
{
    scl_test_bridge b = start_bridge("wasm", 1, 64);
    zsock_t *a = client(&b), *c = client(&b);
    json_t *req = render_req("owner", SLOW, NULL);
    json_object_set_new(req, "deadline_ms", json_integer(1000));
    send_header(a, req);
    usleep(200000);
    send_header(c, render_req("no-deadline", SLOW, NULL)); /* joins; the bridge's default is 300 s */
    json_t *h = recv_reply(a, 4000, NULL);
    cr_assert_str_eq(str(h, "id"), "owner");
    cr_assert_str_eq(str(h, "code"), "TIMEOUT", "%s", str(h, "message"));
    cr_assert(strstr(str(h, "message"), "goes on for other requests"), "%s", str(h, "message"));
    json_decref(h);
    /* the owner's deadline fails nobody else */
    expect_no_reply(c, 1500, "the request without a deadline");
    /* a request joining the running render with a short deadline gets its own TIMEOUT */
    req = render_req("joiner", SLOW, NULL);
    json_object_set_new(req, "deadline_ms", json_integer(800));
    h = request(a, req, 4000, NULL);
    cr_assert_str_eq(str(h, "id"), "joiner");
    cr_assert_str_eq(str(h, "code"), "TIMEOUT", "%s", str(h, "message"));
    json_decref(h);
    h = request(a, json_pack("{s:s,s:s}", "type", "stats", "id", "st"), 5000, NULL);
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(h, "workers"), "busy")), 1, "the render stopped");
    cr_assert_eq(json_integer_value(json_object_get(h, "in_progress")), 1);
    json_decref(h);
    /* the last waiter leaves: now the render stops and the renderer is free */
    send_header(c, json_pack("{s:s,s:s,s:s}", "type", "cancel", "id", "c", "target", "no-deadline"));
    json_t *r1 = recv_reply(c, 5000, NULL), *r2 = recv_reply(c, 5000, NULL);
    json_t *cancelled = !strcmp(str(r1, "id"), "no-deadline") ? r1 : r2;
    cr_assert_str_eq(str(cancelled, "code"), "CANCELLED");
    json_decref(r1);
    json_decref(r2);
    h = request(a, render_req("after", "cube(2);", NULL), 60000, NULL);
    cr_assert_str_eq(str(h, "type"), "result", "%s", str(h, "message"));
    json_decref(h);
    zsock_destroy(&a);
    zsock_destroy(&c);
    scl_test_bridge_cleanup(&b);
}

Test(bridge, default_and_fractional_deadlines_and_cache_hits_under_back_pressure, .timeout = 120)
{
    const char *extra[] = {"--deadline", "3s", NULL};
    scl_test_bridge b = start_bridge_with("wasm", 1, 1, extra, NULL);
    zsock_t *s = client(&b);
    json_t *h = request(s, render_req("cube", "cube(4);", NULL), 60000, NULL);
    cr_assert_str_eq(str(h, "type"), "result", "%s", str(h, "message"));
    json_decref(h);
    /* no deadline in the request: the bridge's default (3 s here) stops it */
    send_header(s, render_req("endless", SLOW, NULL));
    usleep(300000);
    /* the queue (limit 1) is full: a cached result is still served, a new render is not */
    h = request(s, render_req("cached", "cube(4);", NULL), 5000, NULL);
    cr_assert_str_eq(str(h, "id"), "cached");
    cr_assert_str_eq(str(h, "type"), "result", "%s %s", str(h, "code"), str(h, "message"));
    cr_assert_str_eq(str(h, "cache"), "hit");
    json_decref(h);
    h = request(s, render_req("new", "cube(5);", NULL), 5000, NULL);
    cr_assert_str_eq(str(h, "id"), "new");
    cr_assert_str_eq(str(h, "code"), "BUSY");
    json_decref(h);
    h = recv_reply(s, 15000, NULL);
    cr_assert_str_eq(str(h, "id"), "endless");
    cr_assert_str_eq(str(h, "code"), "TIMEOUT", "%s", str(h, "message"));
    json_decref(h);
    /* half a millisecond is a deadline (rounded up to 1 ms), not "none" */
    json_t *req = render_req("half", SLOW, NULL);
    json_object_set_new(req, "deadline_ms", json_real(0.5));
    h = request(s, req, 2500, NULL);
    cr_assert_str_eq(str(h, "code"), "TIMEOUT", "%s", str(h, "message"));
    json_decref(h);
    zsock_destroy(&s);
    scl_test_bridge_cleanup(&b);
}

Test(bridge, parameters_are_always_checked_against_the_schema, .timeout = 60)
{
    scl_test_bridge b = start_bridge("wasm", 1, 64);
    zsock_t *s = client(&b);
    const char *model = "width = 1; // [0:10]\nshape = \"cube\"; // [cube, sphere]\n"
                        "if (shape == \"cube\") cube(width); else sphere(width);\n";
    struct {
        const char *source, *params, *field, *says;
    } cases[] = {
        {model, "{\"aa\":1,\"width\":\"5\"}", "aa", "did you mean"},
        {model, "{\"aa\":1,\"shape\":\"cylinder\"}", "aa", NULL},
        {model, "{\"width\":\"5\"}", "width", NULL},
        {model, "{\"shape\":\"cylinder\"}", "shape", NULL},
        {model, "{\"widht\":2}", "widht", "did you mean \"width\"?"},
        {"cube(1);", "{\"aa\":1}", "aa", "no customizer parameters"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *h = request(s, render_req("p", cases[i].source, json_loads(cases[i].params, 0, NULL)), 10000, NULL);
        cr_expect_str_eq(str(h, "code") ?: "(none)", "PROTOCOL", "case %zu: %s", i, str(h, "message"));
        cr_expect_str_eq(str(h, "field") ?: "(none)", cases[i].field, "case %zu: %s", i, str(h, "message"));
        if (cases[i].says)
            cr_expect(strstr(str(h, "message") ?: "", cases[i].says), "case %zu: %s", i, str(h, "message"));
        json_decref(h);
    }
    /* valid values render; `defines` passes any variable, like OpenSCAD's -D */
    json_t *req = render_req("ok", "size = 1;\nmodule m() { cube(size); }\nm();\n", json_pack("{s:i}", "$fn", 12));
    json_object_set_new(req, "defines", json_pack("{s:i}", "size", 3));
    json_t *h = request(s, req, 60000, NULL);
    cr_assert_str_eq(str(h, "type"), "result", "%s", str(h, "message"));
    cr_assert_float_eq(json_number_value(json_array_get(json_object_get(json_object_get(h, "bbox"), "max"), 0)), 3.0, 1e-9);
    json_decref(h);
    zsock_destroy(&s);
    scl_test_bridge_cleanup(&b);
}

Test(bridge, oversized_requests_get_too_large_without_being_parsed, .timeout = 120)
{
    scl_test_bridge b = start_bridge("wasm", 1, 64);
    zsock_t *s = client(&b);
    /* over the limit in payload frames: the header alone is small */
    zmsg_t *m = zmsg_new();
    zmsg_addmem(m, "SCL1", 4);
    zmsg_addstr(m, "{\"type\":\"render\",\"id\":\"frames\",\"source\":\"cube(1);\"}");
    for (int i = 0; i < 3; i++) {
        zframe_t *f = zframe_new(NULL, 30u << 20);
        memset(zframe_data(f), 'x', zframe_size(f));
        zmsg_append(m, &f);
    }
    cr_assert_eq(zmsg_send(&m, s), 0);
    json_t *h = recv_reply(s, 30000, NULL);
    cr_assert_str_eq(str(h, "code"), "TOO_LARGE", "%s", str(h, "message"));
    cr_assert_str_eq(str(h, "id"), "frames");
    json_decref(h);
    /* a 100 MB header with its id at the end: answered without parsing it
     * (parsing would cost its size again in JSON strings) */
    long hwm0 = proc_status_kb(b.pid, "VmHWM");
    size_t big = 100u << 20;
    char *text = malloc(big + 64);
    cr_assert_not_null(text);
    size_t n = (size_t)sprintf(text, "{\"type\":\"render\",\"source\":\"");
    memset(text + n, ' ', big);
    n += big;
    n += (size_t)sprintf(text + n, "\",\"id\":\"late-id\"}");
    m = zmsg_new();
    zmsg_addmem(m, "SCL1", 4);
    zmsg_addmem(m, text, n);
    free(text);
    cr_assert_eq(zmsg_send(&m, s), 0);
    h = recv_reply(s, 30000, NULL);
    cr_assert_str_eq(str(h, "code"), "TOO_LARGE", "%s", str(h, "message"));
    cr_assert_str_eq(str(h, "id"), "late-id");
    json_decref(h);
    long grew = proc_status_kb(b.pid, "VmHWM") - hwm0;
    cr_assert_lt(grew, 170 * 1024L, "the bridge's peak memory grew by %ld kB for a 100 MB request", grew);
    h = ping(s, "still", 5000);
    cr_assert(json_is_true(json_object_get(h, "pong")));
    json_decref(h);
    zsock_destroy(&s);
    scl_test_bridge_cleanup(&b);
}

static int count_entries(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += !strncmp(e->d_name, prefix, strlen(prefix));
    if (d)
        closedir(d);
    return n;
}

Test(bridge, native_renderer_temp_dirs_are_removed_on_timeout_cancel_and_kill, .timeout = 180)
{
    scl_test_bridge b = start_bridge("openscad", 1, 64);
    zsock_t *s = client(&b);
    json_t *h = request(s, render_req("ok", "cube(1);", NULL), 60000, NULL);
    cr_assert_str_eq(str(h, "type"), "result", "%s", str(h, "message"));
    json_decref(h);
    /* one live renderer: one directory */
    cr_assert_eq(count_entries(b.dir, "scl-render-"), 1);
    /* timeout */
    /* endless for OpenSCAD 2021 too (no tail recursion; ranges of at most 9999 elements) */
    const char *loop = "for (i = [0:9998], j = [0:9998], k = [0:9998]) if (i < 0) cube(1);\ncube(%d);\n";
    char src[200];
    snprintf(src, sizeof src, loop, 1);
    json_t *req = render_req("t", src, NULL);
    json_object_set_new(req, "deadline_ms", json_integer(1500));
    h = request(s, req, 30000, NULL);
    cr_assert_str_eq(str(h, "code"), "TIMEOUT", "%s", str(h, "message"));
    json_decref(h);
    /* cancel */
    snprintf(src, sizeof src, loop, 2);
    send_header(s, render_req("c", src, NULL));
    usleep(800000);
    send_header(s, json_pack("{s:s,s:s,s:s}", "type", "cancel", "id", "x", "target", "c"));
    json_t *r1 = recv_reply(s, 10000, NULL), *r2 = recv_reply(s, 10000, NULL);
    json_decref(r1);
    json_decref(r2);
    /* kill the renderer mid-render */
    snprintf(src, sizeof src, loop, 3);
    send_header(s, render_req("k", src, NULL));
    usleep(1000000);
    pid_t worker = first_child(b.pid);
    cr_assert_gt(worker, 0);
    kill(worker, SIGKILL);
    h = recv_reply(s, 20000, NULL);
    cr_assert_str_eq(str(h, "code"), "RENDERER_LOST", "%s", str(h, "message"));
    json_decref(h);
    /* the replacement renderer's directory only */
    h = request(s, render_req("ok2", "cube(2);", NULL), 60000, NULL);
    cr_assert_str_eq(str(h, "type"), "result", "%s", str(h, "message"));
    json_decref(h);
    cr_assert_eq(count_entries(b.dir, "scl-render-"), 1, "temporary directories left behind");
    zsock_destroy(&s);
    scl_test_bridge_stop(&b);
    cr_assert_eq(count_entries(b.dir, "scl-render-"), 0, "the bridge left its renderer's directory");
    scl_test_bridge_cleanup(&b);
}

Test(bridge, render_cli_notices_a_killed_private_bridge_and_cleans_up, .timeout = 90)
{
    char dir[] = "/tmp/scl-test-bridge-XXXXXX", model[128], out[128], log[128];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(model, sizeof model, "%s/slow.scad", dir);
    snprintf(out, sizeof out, "%s/out.stl", dir);
    snprintf(log, sizeof log, "%s/cli.log", dir);
    scl_error err;
    cr_assert_eq(scl_file_write(model, (const uint8_t *)SLOW, strlen(SLOW), &err), SCL_OK);
    pid_t cli = fork();
    if (cli == 0) {
        char exe[512];
        snprintf(exe, sizeof exe, "%s/scadlive", SCL_BUILD_DIR);
        setenv("XDG_RUNTIME_DIR", dir, 1); /* no shared bridge there: a private one */
        setenv("SCADLIVE_HOME", SCL_SOURCE_DIR, 1);
        unsetenv("SCADLIVE_CONNECTION_FILE");
        freopen(log, "w", stderr);
        execl(exe, exe, "render", model, "-o", out, (char *)NULL);
        _exit(127);
    }
    char conn[256];
    snprintf(conn, sizeof conn, "%s/scadlive/render-%d.json", dir, (int)cli);
    json_t *cf = NULL;
    for (int i = 0; i < 600 && !(cf = json_load_file(conn, 0, NULL)); i++)
        usleep(50000);
    cr_assert_not_null(cf, "no private bridge started (%s)", conn);
    pid_t bridge = (pid_t)json_integer_value(json_object_get(cf, "pid"));
    char sock[512];
    snprintf(sock, sizeof sock, "%s", json_string_value(json_object_get(cf, "endpoint")) + 6);
    json_decref(cf);
    usleep(1500000); /* the render is under way */
    cr_assert_eq(kill(bridge, SIGKILL), 0);
    int status = 0, exited = 0;
    for (int i = 0; i < 60 && !exited; i++) { /* 3 s: it polls every 200 ms */
        exited = waitpid(cli, &status, WNOHANG) == cli;
        if (!exited)
            usleep(50000);
    }
    if (!exited) {
        kill(cli, SIGKILL);
        waitpid(cli, NULL, 0);
    }
    cr_assert(exited, "scadlive render did not notice its bridge died");
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1, "status %d", status);
    size_t len;
    char *text = read_file(log, &len);
    cr_assert(strstr(text, "exited"), "%s", text);
    free(text);
    struct stat st;
    cr_assert_neq(stat(conn, &st), 0, "render-PID.json left behind");
    cr_assert_neq(stat(sock, &st), 0, "the private bridge's socket left behind");
    cr_assert_eq(scl_test_remove_tree(dir), 0);
}

/* Run `scadlive render ARGS` (this build: with LeakSanitizer); its exit
 * status, stderr in *log (malloc'd). */
static int run_render_cli(const char *dir, const char *const *args, char **log)
{
    char exe[512], log_path[256];
    snprintf(exe, sizeof exe, "%s/scadlive", SCL_BUILD_DIR);
    snprintf(log_path, sizeof log_path, "%s/cli.log", dir);
    pid_t pid = fork();
    if (pid == 0) {
        const char *argv[32] = {exe, "render"};
        size_t n = 2;
        for (size_t i = 0; args[i] && n < 31; i++)
            argv[n++] = args[i];
        argv[n] = NULL;
        setenv("XDG_RUNTIME_DIR", dir, 1);
        setenv("SCADLIVE_HOME", SCL_SOURCE_DIR, 1);
        freopen(log_path, "w", stderr);
        execv(exe, (char *const *)argv);
        _exit(127);
    }
    int status;
    waitpid(pid, &status, 0);
    size_t len;
    *log = read_file(log_path, &len);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

Test(bridge, render_cli_error_paths_free_everything, .timeout = 120)
{
    scl_test_bridge b = start_bridge("wasm", 1, 64);
    char model[256], bad[256], sets[256], out[256];
    snprintf(model, sizeof model, "%s/m.scad", b.dir);
    snprintf(bad, sizeof bad, "%s/bad.scad", b.dir);
    snprintf(sets, sizeof sets, "%s/m.json", b.dir);
    snprintf(out, sizeof out, "%s/out.stl", b.dir);
    scl_error err;
    const char *m = "w = 2; // [1:10]\nassert(w < 9, \"too wide\");\ncube(w);\n";
    cr_assert_eq(scl_file_write(model, (const uint8_t *)m, strlen(m), &err), SCL_OK);
    cr_assert_eq(scl_file_write(bad, (const uint8_t *)"cube(;", 6, &err), SCL_OK);
    const char *s = "{\"parameterSets\":{\"one\":{\"w\":\"3\"}},\"fileFormatVersion\":\"1\"}";
    cr_assert_eq(scl_file_write(sets, (const uint8_t *)s, strlen(s), &err), SCL_OK);
    struct {
        const char *args[12];
        const char *says;
    } cases[] = {
        {{"/nonexistent/m.scad", "-o", out}, "nonexistent"},
        {{bad, "-o", out}, "bad.scad:1"},
        {{model, "-o", out, "-D", "w=[1,"}, "w"},
        {{model, "-o", out, "-p", sets, "-P", "two"}, "two"},
        {{model, "-o", out, "-p", "/nonexistent.json", "-P", "one"}, "nonexistent"},
        {{model, "-o", out, "-D", "w=\"wide\""}, "w"}, /* refused by a private bridge */
        {{model, "-o", out, "--format", "gif"}, "gif"},
        {{model, "-o", out, "--connection-file", b.conn, "-D", "w=9"}, "too wide"},
        {{model, "-o", "/nonexistent/dir/out.stl", "--connection-file", b.conn}, "nonexistent"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char *log = NULL;
        int rc = run_render_cli(b.dir, cases[k].args, &log);
        cr_expect_eq(rc, 1, "case %zu: exit %d: %s", k, rc, log);
        cr_expect(!strstr(log, "LeakSanitizer") && !strstr(log, "AddressSanitizer"), "case %zu: %s", k, log);
        cr_expect(strstr(log, cases[k].says), "case %zu: %s", k, log);
        free(log);
    }
    scl_test_bridge_cleanup(&b);
}

Test(bridge, a_stopped_renderer_blocks_no_one_and_its_request_times_out, .timeout = 120)
{
    scl_test_bridge b = start_bridge("wasm", 1, 64);
    zsock_t *s = client(&b);
    json_t *h = request(s, render_req("warm", "cube(1);", NULL), 60000, NULL);
    cr_assert_str_eq(str(h, "type"), "result", "%s", str(h, "message"));
    json_decref(h);
    /* once the renderer is ready for the next request it hangs (stopped); the
     * next request is 512 kB, far more than a pipe holds (64 kB) */
    int idle = 0;
    for (int i = 0; i < 200 && !idle; i++) {
        h = request(s, json_pack("{s:s,s:s}", "type", "stats", "id", "st"), 5000, NULL);
        idle = json_integer_value(json_object_get(json_object_get(h, "workers"), "ready")) == 1;
        json_decref(h);
        if (!idle)
            usleep(50000);
    }
    cr_assert(idle, "the renderer never became ready");
    pid_t worker = first_child(b.pid);
    cr_assert_gt(worker, 0);
    cr_assert_eq(kill(worker, SIGSTOP), 0);
    size_t big = 512u << 10;
    char *src = malloc(big + 32);
    memcpy(src, "/*", 2);
    memset(src + 2, 'x', big);
    strcpy(src + 2 + big, "*/ cube(2);");
    json_t *req = render_req("stuck", src, NULL);
    free(src);
    json_object_set_new(req, "deadline_ms", json_integer(2000));
    send_header(s, req);
    usleep(300000);
    /* the bridge is not stuck writing to that renderer: it answers at once */
    h = ping(s, "alive", 1000);
    cr_assert(json_is_true(json_object_get(h, "pong")));
    json_decref(h);
    /* and the deadline ends the request; the renderer is replaced */
    h = recv_reply(s, 10000, NULL);
    cr_assert_str_eq(str(h, "id"), "stuck");
    cr_assert_str_eq(str(h, "code"), "TIMEOUT", "%s", str(h, "message"));
    json_decref(h);
    h = request(s, render_req("after", "cube(3);", NULL), 60000, NULL);
    cr_assert_str_eq(str(h, "type"), "result", "%s", str(h, "message"));
    json_decref(h);
    zsock_destroy(&s);
    scl_test_bridge_cleanup(&b);
}

Test(bridge, a_renderer_hung_before_ready_is_replaced, .timeout = 120)
{
    /* A real fault, not a mock: the first renderer's Node hangs before it
     * loads the renderer (a preload that waits forever, once), as a stuck
     * filesystem or a broken environment would make it. The next one
     * starts normally. */
    char dir[] = "/tmp/scl-hang-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char script[128], mark[128], node_options[200];
    snprintf(script, sizeof script, "%s/hang-once.mjs", dir);
    snprintf(mark, sizeof mark, "%s/hung", dir);
    FILE *f = fopen(script, "w");
    cr_assert_not_null(f);
    fprintf(f, "import { existsSync, writeFileSync } from \"node:fs\";\n"
               "if (!existsSync(\"%s\")) {\n"
               "  writeFileSync(\"%s\", String(process.pid));\n"
               "  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);\n"
               "}\n", mark, mark);
    fclose(f);
    snprintf(node_options, sizeof node_options, "NODE_OPTIONS=--import=file://%s", script);
    const char *env[] = {node_options, NULL};
    const char *args[] = {"--renderer-start-timeout", "3s", NULL};
    scl_test_bridge b = start_bridge_with("wasm", 1, 64, args, env);
    zsock_t *s = client(&b);
    /* no deadline of its own: before the fix it waited for the hung renderer
     * until the bridge's default deadline (300 s) */
    json_t *h = request(s, render_req("after-hang", "cube(2);", NULL), 60000, NULL);
    cr_assert_not_null(h, "no reply within 60 s: %s", scl_test_bridge_log(&b));
    cr_assert_str_eq(str(h, "type"), "result", "%s", str(h, "message"));
    json_decref(h);
    cr_assert_eq(access(mark, F_OK), 0, "the first renderer never ran the preload, so it never hung");
    h = request(s, json_pack("{s:s,s:s}", "type", "stats", "id", "st"), 5000, NULL);
    cr_assert_geq(json_integer_value(json_object_get(json_object_get(h, "workers"), "restarted")), 1);
    json_decref(h);
    char *log = scl_test_bridge_log(&b);
    cr_assert(strstr(log, "was not ready 3000 ms after it started; replaced"), "%s", log);
    free(log);
    zsock_destroy(&s);
    scl_test_bridge_cleanup(&b);
    unlink(script);
    unlink(mark);
    rmdir(dir);
}
