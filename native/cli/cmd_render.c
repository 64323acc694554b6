/* cmd_render.c - `scadlive render MODEL.scad -o OUT.stl`: headless export.
 *
 * Uses the running bridge if its connection file points to a live one;
 * otherwise starts a private bridge (one renderer) for this job and stops
 * it afterwards. The format follows the output's extension (.stl .off .3mf
 * .svg .dxf; anything else is an error) unless --format says otherwise.
 * STL, OFF, SVG and DXF are exactly what OpenSCAD wrote; 3MF is made by the
 * bridge from OpenSCAD's OFF (face colours kept). OpenSCAD's ECHO, WARNING
 * and DEPRECATED lines go to stderr as OpenSCAD prints them. */
#define _GNU_SOURCE
#include <errno.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base64.h"
#include "client.h"
#include "cliutil.h"
#include "commands.h"
#include "daemon.h"
#include "deps.h"
#include "overrides.h"
#include "params.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: scadlive render MODEL.scad [-D name=value]... [-p sets.json -P set] -o OUT\n"
            "                       [--format binstl|asciistl|off|3mf|svg|dxf] [--library-path DIR[:DIR]]...\n"
            "                       [--backend wasm|openscad] [--timeout S] [--connection-file F]\n"
            "Renders through the running bridge, or a private one started for this job.\n"
            "The format follows OUT's extension: .stl .off .3mf (3D models), .svg .dxf (2D models).\n"
            "Libraries are looked for in --library-path, OPENSCADPATH, ~/.local/share/OpenSCAD/libraries\n"
            "and /usr/share/openscad/libraries, in that order.\n");
}

/* The protocol format for an output file name, or NULL for an unknown extension. */
static const char *format_for_path(const char *path)
{
    static const char *const MAP[][2] = {{".stl", "binstl"}, {".off", "off"}, {".3mf", "3mf"},
                                         {".svg", "svg"},    {".dxf", "dxf"}};
    const char *dot = strrchr(path, '.');
    if (!dot || strchr(dot, '/'))
        return NULL;
    for (size_t i = 0; i < sizeof MAP / sizeof *MAP; i++)
        if (!strcasecmp(dot, MAP[i][0]))
            return MAP[i][1];
    return NULL;
}

static int fail(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "scadlive render: ");
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
    return 1;
}

/* Start `scadlive bridge` as our child on a private connection file. */
static pid_t start_private_bridge(const char *conn, const char *backend)
{
    pid_t pid = fork();
    if (pid == 0) {
        char parent[32];
        snprintf(parent, sizeof parent, "%d", (int)getppid());
        freopen("/dev/null", "w", stdout);
        const char *exe = scl_cli_self_exe();
        execl(exe, exe, "bridge", "--connection-file", conn, "--parent-pid", parent, "--workers", "1",
              "--backend", backend ? backend : "wasm", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 600 && pid > 0; i++) { /* up to 30 s */
        struct stat st;
        if (stat(conn, &st) == 0)
            return pid;
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid)
            return -1;
        usleep(50000);
    }
    return pid;
}

int scl_cmd_render(int argc, char **argv)
{
    const char *model = NULL, *out = NULL, *format = NULL, *backend = NULL, *sets = NULL,
               *set = NULL, *conn_arg = NULL;
    char libs[8192] = "";
    double timeout = 300;
    json_t *defines = json_array();
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        if (a[0] == '-' && strcmp(a, "-") != 0) {
            if (!v) {
                fprintf(stderr, "scadlive render: %s needs a value\n", a);
                return 2;
            }
            i++;
            if (!strcmp(a, "-D"))
                json_array_append_new(defines, json_string(v));
            else if (!strcmp(a, "-o"))
                out = v;
            else if (!strcmp(a, "-p"))
                sets = v;
            else if (!strcmp(a, "-P"))
                set = v;
            else if (!strcmp(a, "--format"))
                format = v;
            else if (!strcmp(a, "--library-path")) {
                size_t n = strlen(libs);
                snprintf(libs + n, sizeof libs - n, "%s%s", n ? ":" : "", v);
            } else if (!strcmp(a, "--backend"))
                backend = v;
            else if (!strcmp(a, "--timeout"))
                timeout = atof(v);
            else if (!strcmp(a, "--connection-file"))
                conn_arg = v;
            else {
                fprintf(stderr, "scadlive render: unknown option %s\n", a);
                usage(stderr);
                return 2;
            }
        } else if (!model) {
            model = a;
        } else {
            fprintf(stderr, "scadlive render: unexpected argument %s\n", a);
            return 2;
        }
    }
    if (!model || !out) {
        usage(stderr);
        return 2;
    }
    if (!format) {
        format = format_for_path(out);
        if (!format)
            return fail("cannot tell the format of %s from its extension: use .stl, .off, .3mf, .svg or .dxf "
                        "(or --format)%s", out, "");
    } else if (!strcmp(format, "stl")) {
        format = "binstl";
    }
    if (strcmp(format, "binstl") && strcmp(format, "asciistl") && strcmp(format, "off") && strcmp(format, "3mf") &&
        strcmp(format, "svg") && strcmp(format, "dxf"))
        return fail("--format must be binstl, asciistl, off, 3mf, svg or dxf, not %s%s", format, "");
    if ((sets == NULL) != (set == NULL))
        return fail("-p and -P go together (the file and the name of the set)%s%s", "", "");
    uint8_t *src;
    size_t len;
    scl_error err;
    if (scl_file_read(model, SCL_PARAMS_MAX_SOURCE, &src, &len, &err) != SCL_OK)
        return fail("%s%s", err.message, "");
    char title[256];
    scl_params_title_from_path(model, title, sizeof title);
    json_t *schema = NULL;
    if (scl_params_parse((const char *)src, len, title, &schema, &err) != SCL_OK) {
        scl_cli_print_error("render", model, err.line, err.message);
        return 1;
    }
    /* parameter values: the set first, then -D on top */
    json_t *values = json_object();
    if (sets) {
        uint8_t *text;
        size_t tl;
        json_t *from_set = NULL;
        if (scl_file_read(sets, 16 << 20, &text, &tl, &err) != SCL_OK ||
            scl_paramset_load((const char *)text, tl, set, schema, &from_set, &err) != SCL_OK)
            return fail("%s: %s", sets, err.message);
        free(text);
        json_object_update(values, from_set);
        json_decref(from_set);
    }
    size_t i;
    json_t *d;
    json_array_foreach(defines, i, d) {
        char *name;
        json_t *v;
        if (scl_overrides_parse_define(json_string_value(d), &name, &v, &err) != SCL_OK)
            return fail("%s%s", err.message, "");
        json_object_set_new(values, name, v);
        free(name);
    }
    json_decref(defines);
    json_decref(schema);
    /* included files, shipped with the request */
    char dirbuf[PATH_MAX];
    snprintf(dirbuf, sizeof dirbuf, "%s", model);
    json_t *deps = NULL;
    if (scl_deps_collect((const char *)src, dirname(dirbuf), libs, &deps, &err) != SCL_OK)
        return fail("%s: %s", model, err.message);
    json_t *files = json_object();
    json_t *dep;
    json_array_foreach(deps, i, dep) {
        uint8_t *bytes;
        size_t n;
        if (scl_file_read(json_string_value(json_object_get(dep, "abs")), 64 << 20, &bytes, &n, &err) != SCL_OK)
            return fail("%s%s", err.message, "");
        char *b64 = scl_base64_encode(bytes, n);
        json_object_set_new(files, json_string_value(json_object_get(dep, "path")), json_pack("{s:s}", "base64", b64));
        free(b64);
        free(bytes);
    }
    json_decref(deps);
    char abs_model[PATH_MAX];
    if (!realpath(model, abs_model))
        snprintf(abs_model, sizeof abs_model, "%s", model);
    json_t *req = json_pack("{s:s,s:s,s:s,s:o,s:o,s:s,s:f}", "type", "render", "source", (const char *)src,
                            "name", abs_model, "files", files, "params", values, "format", format,
                            "deadline_ms", timeout * 1000);
    free(src);
    if (!req)
        return fail("%s: the model is not valid UTF-8 text%s", model, "");
    if (backend)
        json_object_set_new(req, "renderer", json_string(backend));

    /* the shared bridge, or a private one */
    char conn[600];
    if (conn_arg)
        snprintf(conn, sizeof conn, "%s", conn_arg);
    else if (scl_daemon_default_connection_file(conn, sizeof conn, &err) != SCL_OK)
        return fail("%s%s", err.message, "");
    scl_client *client = NULL;
    pid_t private_pid = 0;
    char private_conn[600] = "";
    if (scl_client_connect(conn, &client, &err) != SCL_OK) {
        char dir[400];
        if (scl_daemon_runtime_dir(dir, sizeof dir, &err) != SCL_OK)
            return fail("%s%s", err.message, "");
        snprintf(private_conn, sizeof private_conn, "%s/render-%d.json", dir, (int)getpid());
        private_pid = start_private_bridge(private_conn, backend);
        if (private_pid <= 0 || scl_client_connect(private_conn, &client, &err) != SCL_OK)
            return fail("could not start a bridge: %s%s", err.message, "");
    }
    zmsg_t *reply = NULL;
    json_t *h = NULL;
    int rc = 0;
    scl_status st = scl_client_request(client, req, (int)(timeout * 1000) + 10000, &reply, &h, &err);
    if (st != SCL_OK) {
        rc = fail("%s%s", err.message, "");
    } else if (!strcmp(json_string_value(json_object_get(h, "type")), "error")) {
        scl_cli_print_messages(json_object_get(h, "messages"), 1);
        scl_cli_print_error("render", json_string_value(json_object_get(h, "file")),
                            (long)json_integer_value(json_object_get(h, "line")),
                            json_string_value(json_object_get(h, "message")));
        rc = 1;
    } else {
        scl_cli_print_messages(json_object_get(h, "messages"), 0);
        zframe_t *f = zmsg_first(reply);
        f = zmsg_next(reply);
        f = zmsg_next(reply);
        if (!f)
            rc = fail("the bridge sent no payload%s%s", "", "");
        else if (scl_file_write(out, zframe_data(f), zframe_size(f), &err) != SCL_OK)
            rc = fail("%s%s", err.message, "");
    }
    json_decref(h);
    zmsg_destroy(&reply);
    scl_client_destroy(client);
    if (private_pid > 0) {
        kill(private_pid, SIGTERM);
        waitpid(private_pid, NULL, 0);
    }
    return rc;
}
