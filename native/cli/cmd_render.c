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
#include <math.h>
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

/* A private bridge that died (crashed, killed) could not remove its
 * connection file and socket: remove them for it. */
static void remove_private_bridge_files(const char *conn)
{
    json_t *cf = json_load_file(conn, 0, NULL);
    const char *ep = json_string_value(json_object_get(cf, "endpoint"));
    if (ep && !strncmp(ep, "ipc://", 6))
        remove(ep + 6);
    json_decref(cf);
    remove(conn);
}

/* -D values: customizer parameters go in "params" (the bridge checks them
 * against the model's schema); other names in "defines", passed through
 * unchecked as OpenSCAD's own -D does for any variable. */
static int is_customizer_param(const json_t *schema, const char *name)
{
    size_t i;
    json_t *p;
    if (name[0] == '$')
        return 1;
    json_array_foreach(json_object_get(schema, "parameters"), i, p) {
        const char *n = json_string_value(json_object_get(p, "name"));
        if (n && !strcmp(n, name))
            return 1;
    }
    return 0;
}

int scl_cmd_render(int argc, char **argv)
{
    const char *model = NULL, *out = NULL, *format = NULL, *backend = NULL, *sets = NULL,
               *set = NULL, *conn_arg = NULL;
    char libs[8192] = "";
    double timeout = 300;
    const char **define_args = calloc((size_t)argc + 1, sizeof *define_args);
    size_t ndefines = 0;
    if (!define_args)
        return fail("out of memory%s%s", "", "");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            free(define_args);
            return 0;
        }
        int bad = 0;
        if (a[0] == '-' && strcmp(a, "-") != 0) {
            if (!v) {
                fprintf(stderr, "scadlive render: %s needs a value\n", a);
                free(define_args);
                return 2;
            }
            i++;
            if (!strcmp(a, "-D"))
                define_args[ndefines++] = v;
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
            else if (!strcmp(a, "--timeout")) {
                char *end;
                timeout = strtod(v, &end);
                if (*end || !(timeout > 0) || timeout > 86400) {
                    fprintf(stderr, "scadlive render: --timeout needs seconds (more than 0, at most 86400), not %s\n", v);
                    bad = 1;
                }
            } else if (!strcmp(a, "--connection-file"))
                conn_arg = v;
            else {
                fprintf(stderr, "scadlive render: unknown option %s\n", a);
                usage(stderr);
                bad = 1;
            }
        } else if (!model) {
            model = a;
        } else {
            fprintf(stderr, "scadlive render: unexpected argument %s\n", a);
            bad = 1;
        }
        if (bad) {
            free(define_args);
            return 2;
        }
    }
    if (!model || !out) {
        usage(stderr);
        free(define_args);
        return 2;
    }
    int rc = 1;
    uint8_t *src = NULL, *set_text = NULL;
    json_t *schema = NULL, *values = NULL, *defines = NULL, *deps = NULL, *files = NULL, *req = NULL, *h = NULL;
    scl_client *client = NULL;
    zmsg_t *reply = NULL;
    pid_t private_pid = 0;
    char private_conn[600] = "";
    size_t len;
    scl_error err;
    scl_error_clear(&err);
    if (!format) {
        format = format_for_path(out);
        if (!format) {
            fail("cannot tell the format of %s from its extension: use .stl, .off, .3mf, .svg or .dxf "
                 "(or --format)%s", out, "");
            goto done;
        }
    } else if (!strcmp(format, "stl")) {
        format = "binstl";
    }
    if (strcmp(format, "binstl") && strcmp(format, "asciistl") && strcmp(format, "off") && strcmp(format, "3mf") &&
        strcmp(format, "svg") && strcmp(format, "dxf")) {
        fail("--format must be binstl, asciistl, off, 3mf, svg or dxf, not %s%s", format, "");
        goto done;
    }
    if ((sets == NULL) != (set == NULL)) {
        fail("-p and -P go together (the file and the name of the set)%s%s", "", "");
        goto done;
    }
    if (scl_file_read(model, SCL_PARAMS_MAX_SOURCE, &src, &len, &err) != SCL_OK) {
        fail("%s%s", err.message, "");
        goto done;
    }
    char title[256];
    scl_params_title_from_path(model, title, sizeof title);
    if (scl_params_parse((const char *)src, len, title, &schema, &err) != SCL_OK) {
        scl_cli_print_error("render", model, err.line, err.message);
        goto done;
    }
    /* parameter values: the set first, then -D on top */
    values = json_object();
    defines = json_object();
    if (!values || !defines) {
        fail("out of memory%s%s", "", "");
        goto done;
    }
    if (sets) {
        size_t tl;
        json_t *from_set = NULL;
        if (scl_file_read(sets, 16 << 20, &set_text, &tl, &err) != SCL_OK ||
            scl_paramset_load((const char *)set_text, tl, set, schema, &from_set, &err) != SCL_OK) {
            fail("%s: %s", sets, err.message);
            goto done;
        }
        int update_failed = json_object_update(values, from_set) != 0;
        json_decref(from_set);
        if (update_failed) {
            fail("out of memory%s%s", "", "");
            goto done;
        }
    }
    for (size_t i = 0; i < ndefines; i++) {
        char *name;
        json_t *v;
        if (scl_overrides_parse_define(define_args[i], &name, &v, &err) != SCL_OK) {
            fail("%s%s", err.message, "");
            goto done;
        }
        json_t *target = is_customizer_param(schema, name) ? values : defines;
        json_object_del(target == values ? defines : values, name); /* the last -D wins */
        int set_failed = json_object_set_new(target, name, v) != 0;
        free(name);
        if (set_failed) {
            fail("out of memory%s%s", "", "");
            goto done;
        }
    }
    /* included files, shipped with the request */
    char dirbuf[PATH_MAX];
    snprintf(dirbuf, sizeof dirbuf, "%s", model);
    if (scl_deps_collect((const char *)src, dirname(dirbuf), libs, &deps, &err) != SCL_OK) {
        fail("%s: %s", model, err.message);
        goto done;
    }
    files = json_object();
    if (!files) {
        fail("out of memory%s%s", "", "");
        goto done;
    }
    size_t i;
    json_t *dep;
    json_array_foreach(deps, i, dep) {
        uint8_t *bytes;
        size_t n;
        if (scl_file_read(json_string_value(json_object_get(dep, "abs")), 64 << 20, &bytes, &n, &err) != SCL_OK) {
            fail("%s%s", err.message, "");
            goto done;
        }
        char *b64 = scl_base64_encode(bytes, n);
        free(bytes);
        if (!b64 || json_object_set_new(files, json_string_value(json_object_get(dep, "path")),
                                        json_pack("{s:s}", "base64", b64)) != 0) {
            free(b64);
            fail("out of memory%s%s", "", "");
            goto done;
        }
        free(b64);
    }
    char abs_model[PATH_MAX];
    if (!realpath(model, abs_model))
        snprintf(abs_model, sizeof abs_model, "%s", model);
    req = json_pack("{s:s,s:s,s:s,s:O,s:O,s:O,s:s,s:I}", "type", "render", "source", (const char *)src, "name",
                    abs_model, "files", files, "params", values, "defines", defines, "format", format,
                    "deadline_ms", (json_int_t)ceil(timeout * 1000));
    if (!req) {
        fail("%s: the model is not valid UTF-8 text%s", model, "");
        goto done;
    }
    if (backend && json_object_set_new(req, "renderer", json_string(backend)) != 0) {
        fail("out of memory%s%s", "", "");
        goto done;
    }

    /* the shared bridge, or a private one */
    char conn[600];
    if (conn_arg)
        snprintf(conn, sizeof conn, "%s", conn_arg);
    else if (scl_daemon_default_connection_file(conn, sizeof conn, &err) != SCL_OK) {
        fail("%s%s", err.message, "");
        goto done;
    }
    if (scl_client_connect(conn, &client, &err) != SCL_OK) {
        char dir[400];
        if (scl_daemon_runtime_dir(dir, sizeof dir, &err) != SCL_OK) {
            fail("%s%s", err.message, "");
            goto done;
        }
        snprintf(private_conn, sizeof private_conn, "%s/render-%d.json", dir, (int)getpid());
        private_pid = start_private_bridge(private_conn, backend);
        if (private_pid <= 0 || scl_client_connect(private_conn, &client, &err) != SCL_OK) {
            fail("could not start a bridge: %s%s", private_pid <= 0 ? "it exited at once" : err.message, "");
            goto done;
        }
        scl_client_watch_child(client);
    }
    /* the bridge's deadline stops the render; the wait allows for the reply */
    scl_status st = scl_client_request(client, req, (int)(timeout * 1000) + 10000, &reply, &h, &err);
    req = NULL; /* consumed */
    if (st != SCL_OK) {
        fail("%s%s", err.message, "");
    } else if (!strcmp(json_string_value(json_object_get(h, "type")) ?: "", "error")) {
        scl_cli_print_messages(json_object_get(h, "messages"), 1);
        scl_cli_print_error("render", json_string_value(json_object_get(h, "file")),
                            (long)json_integer_value(json_object_get(h, "line")),
                            json_string_value(json_object_get(h, "message")) ?: "(no message)");
    } else {
        scl_cli_print_messages(json_object_get(h, "messages"), 0);
        zframe_t *f = zmsg_first(reply);
        f = zmsg_next(reply);
        f = zmsg_next(reply);
        if (!f)
            fail("the bridge sent no payload%s%s", "", "");
        else if (scl_file_write(out, zframe_data(f), zframe_size(f), &err) != SCL_OK)
            fail("%s%s", err.message, "");
        else
            rc = 0;
    }
done:
    if (private_pid > 0) {
        int status = 0;
        if (!client || !scl_client_child_exited(client, &status)) {
            kill(private_pid, SIGTERM);
            waitpid(private_pid, &status, 0);
        }
        if (WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) != 0))
            remove_private_bridge_files(private_conn);
    }
    scl_client_destroy(client);
    json_decref(h);
    zmsg_destroy(&reply);
    json_decref(req);
    json_decref(files);
    json_decref(deps);
    json_decref(defines);
    json_decref(values);
    json_decref(schema);
    free(set_text);
    free(src);
    free(define_args);
    return rc;
}
