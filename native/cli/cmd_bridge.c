/* cmd_bridge.c - `scadlive bridge`: run the render bridge daemon. */
#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cliutil.h"
#include "commands.h"
#include "daemon.h"
#include "duration.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: scadlive bridge [options]\n"
            "Runs the render bridge (see docs/bridge.md) until SIGTERM/SIGINT or until --parent-pid exits.\n"
            "  --endpoint EP          ZeroMQ endpoint (default: ipc:// in a private runtime dir).\n"
            "                         Any other (tcp://127.0.0.1:0, ws://..., ipc://@name) gets CURVE:\n"
            "                         clients need the keys the bridge writes into the connection file\n"
            "  --connection-file F    where to write the connection file (default: runtime dir/bridge.json)\n"
            "  --workers N            renderer processes (default: cores)\n"
            "  --backend B            wasm (default) or openscad: for requests that name no renderer\n"
            "  --renderers LIST       the renderers clients may ask for, e.g. wasm,openscad\n"
            "                         (default: only --backend's; see docs/bridge.md, Security model)\n"
            "  --queue N              requests in progress before BUSY (default 64)\n"
            "  --cache-bytes N        result cache budget (default 256 MiB)\n"
            "  --deadline D           deadline of a render whose request sets none (default 300s;\n"
            "                         e.g. 90s, 10m; 0 = none)\n"
            "  --client-buffer N      bytes of unread replies held per client before its replies are\n"
            "                         dropped and its requests cancelled (default 256 MiB)\n"
            "  --renderer-start-timeout D  a renderer not ready this long after it started or\n"
            "                         last replied is hung, and replaced (default 60s)\n"
            "  --parent-pid PID       exit when this process exits\n"
            "Environment: SCADLIVE_CACHE_TTL (e.g. 1h), SCADLIVE_NODE, SCADLIVE_OPENSCAD, OPENSCADPATH.\n");
}

const char *scl_cli_source_dir(void)
{
    const char *home = getenv("SCADLIVE_HOME");
    return home && *home ? home : SCL_SOURCE_DIR;
}

const char *scl_cli_self_exe(void)
{
    static char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return "scadlive";
    exe[n] = 0;
    return exe;
}

int scl_cmd_bridge(int argc, char **argv)
{
    scl_daemon_config cfg = {0};
    cfg.self_exe = scl_cli_self_exe();
    cfg.source_dir = scl_cli_source_dir();
    cfg.default_deadline_ms = SCL_DAEMON_DEFAULT_DEADLINE_MS;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        if (!v) {
            fprintf(stderr, "scadlive bridge: %s needs a value\n", a);
            return 2;
        }
        i++;
        if (!strcmp(a, "--endpoint"))
            cfg.endpoint = v;
        else if (!strcmp(a, "--connection-file"))
            cfg.connection_file = v;
        else if (!strcmp(a, "--workers"))
            cfg.workers = atoi(v);
        else if (!strcmp(a, "--backend"))
            cfg.backend = v;
        else if (!strcmp(a, "--renderers"))
            cfg.renderers = v;
        else if (!strcmp(a, "--queue"))
            cfg.queue_limit = (size_t)atol(v);
        else if (!strcmp(a, "--cache-bytes"))
            cfg.cache_bytes = (size_t)atoll(v);
        else if (!strcmp(a, "--parent-pid"))
            cfg.parent_pid = atoi(v);
        else if (!strcmp(a, "--deadline")) {
            scl_error err;
            if (scl_duration_parse(v, &cfg.default_deadline_ms, &err) != SCL_OK) {
                fprintf(stderr, "scadlive bridge: --deadline: %s\n", err.message);
                return 2;
            }
        } else if (!strcmp(a, "--renderer-start-timeout")) {
            scl_error err;
            if (scl_duration_parse(v, &cfg.renderer_start_timeout_ms, &err) != SCL_OK) {
                fprintf(stderr, "scadlive bridge: --renderer-start-timeout: %s\n", err.message);
                return 2;
            }
            if (cfg.renderer_start_timeout_ms == 0) {
                fprintf(stderr, "scadlive bridge: --renderer-start-timeout must be more than 0 (e.g. 60s)\n");
                return 2;
            }
        } else if (!strcmp(a, "--client-buffer")) {
            char *end;
            unsigned long long n = strtoull(v, &end, 10);
            if (*end || n < 65536) {
                fprintf(stderr, "scadlive bridge: --client-buffer needs a number of bytes (at least 65536), not %s\n", v);
                return 2;
            }
            cfg.client_buffer_bytes = (size_t)n;
        }
        else {
            fprintf(stderr, "scadlive bridge: unknown option %s\n", a);
            usage(stderr);
            return 2;
        }
    }
    cfg.trace_file = getenv("SCADLIVE_TRACE"); /* where each render's time went: docs/benchmarks.md */
    const char *ttl = getenv("SCADLIVE_CACHE_TTL");
    if (ttl && *ttl) {
        scl_error err;
        if (scl_duration_parse(ttl, &cfg.cache_ttl_ms, &err) != SCL_OK) {
            fprintf(stderr, "scadlive bridge: SCADLIVE_CACHE_TTL: %s\n", err.message);
            return 2;
        }
    }
    scl_error err;
    scl_error_clear(&err);
    if (scl_daemon_run(&cfg, &err) != SCL_OK) {
        fprintf(stderr, "scadlive bridge: %s\n", err.message);
        return 1;
    }
    return 0;
}
