/*
 * commands.h - the subcommands of the `scadlive` CLI.
 *
 * Each subcommand lives in its own native/cli/cmd_<name>.c and has the
 * signature of scl_cmd_fn: argv[0] is the subcommand name; the return value
 * is the process exit status (0 ok, 1 failure, 2 usage error). A failing
 * command prints one line "scadlive <cmd>: <message>" to stderr.
 * To add one: write cmd_<name>.c, declare it here, list it in main.c.
 */
#ifndef SCL_CLI_COMMANDS_H
#define SCL_CLI_COMMANDS_H

typedef int (*scl_cmd_fn)(int argc, char **argv);

int scl_cmd_version(int argc, char **argv);
int scl_cmd_info(int argc, char **argv);
int scl_cmd_params(int argc, char **argv);
int scl_cmd_bridge(int argc, char **argv);
int scl_cmd_render(int argc, char **argv);
int scl_cmd_stats(int argc, char **argv);
int scl_cmd_deps(int argc, char **argv);
int scl_cmd_batch(int argc, char **argv);
int scl_cmd_renderer_openscad(int argc, char **argv);

#endif
