/* main.c - `scadlive` CLI entry point: dispatches to the subcommands in commands.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cliutil.h"
#include "commands.h"
#include "node.h"

typedef struct {
    const char *name;
    scl_cmd_fn fn;
    const char *summary;
} scl_command;

static const scl_command COMMANDS[] = {
    {"version", scl_cmd_version, "print the scadlive version"},
    {"render", scl_cmd_render, "render a .scad file to STL/OFF (through the bridge)"},
    {"bridge", scl_cmd_bridge, "run the render bridge daemon"},
    {"stats", scl_cmd_stats, "statistics of the running bridge (JSON)"},
    {"deps", scl_cmd_deps, "files a model includes, uses or imports (JSON)"},
    {"renderer-openscad", scl_cmd_renderer_openscad, "(internal) renderer process for the bridge"},
    {"params", scl_cmd_params, "customizer parameters of a .scad file (JSON)"},
    {"info", scl_cmd_info, "mesh statistics of an STL/OFF file (JSON)"},
    {"batch", scl_cmd_batch, "every variant of a model to files + manifest (Python, scadlive[batch])"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: scadlive <command> [args...]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        fprintf(out, "  %-10s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
    fprintf(out, "\n`scadlive <command> --help` describes a command.\n");
}

/* The version, then what the bridge would run with: the Node.js of the WASM
 * renderer (and where that choice came from) and the renderer's home. */
int scl_cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("scadlive %s\n", SCL_VERSION);
    scl_node_choice node;
    scl_error err;
    if (scl_node_find(&node, &err) != SCL_OK) {
        printf("node: none (%s)\n", err.message);
    } else {
        char version[64] = "";
        char cmd[1200];
        if (!strchr(node.path, '\'')) {
            snprintf(cmd, sizeof cmd, "'%s' --version 2>/dev/null", node.path);
            FILE *f = popen(cmd, "r");
            if (f) {
                if (!fgets(version, sizeof version, f))
                    version[0] = 0;
                pclose(f);
            }
            version[strcspn(version, "\r\n")] = 0;
        }
        printf("node: %s %s (%s)\n", node.path, version[0] ? version : "(did not run)", node.origin);
    }
    const char *home = getenv("SCADLIVE_HOME");
    printf("home: %s (%s)\n", scl_cli_source_dir(), home && *home ? "SCADLIVE_HOME" : "source tree");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version"))
        return scl_cmd_version(argc - 1, argv + 1);
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        if (!strcmp(argv[1], COMMANDS[i].name))
            return COMMANDS[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "scadlive: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
