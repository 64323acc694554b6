/* cmd_batch.c - `scadlive batch ...`: every variant of a model to files, with
 * a manifest. The work is the Python package's (scadlive._batch: pandas for
 * the manifest, Dask for --scheduler/--workers), so this command runs
 * `python3 -m scadlive batch ARGS...` ($SCADLIVE_PYTHON, else a source
 * checkout's .venv/bin/python, else python3 on PATH),
 * with PYTHONPATH extended to find the package this binary belongs to: the
 * site-packages above an installed wheel's scadlive/_bundled/bin/, or the
 * source tree's python/. */
#define _GNU_SOURCE
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cliutil.h"
#include "commands.h"

/* Prepend dir to PYTHONPATH if dir/scadlive/__init__.py exists. */
static void add_package_dir(const char *dir)
{
    char probe[PATH_MAX + 32];
    snprintf(probe, sizeof probe, "%s/scadlive/__init__.py", dir);
    if (access(probe, R_OK) != 0)
        return;
    const char *old = getenv("PYTHONPATH");
    char *val = NULL;
    if (asprintf(&val, "%s%s%s", dir, old && *old ? ":" : "", old && *old ? old : "") < 0)
        return;
    setenv("PYTHONPATH", val, 1);
    free(val);
}

int scl_cmd_batch(int argc, char **argv)
{
    char exe[PATH_MAX], dir[PATH_MAX + 16];
    snprintf(exe, sizeof exe, "%s", scl_cli_self_exe());
    /* <site-packages>/scadlive/_bundled/bin/scadlive -> <site-packages> */
    snprintf(dir, sizeof dir, "%s/../../..", dirname(exe));
    char real[PATH_MAX];
    if (realpath(dir, real))
        add_package_dir(real);
    snprintf(dir, sizeof dir, "%s/python", scl_cli_source_dir());
    add_package_dir(dir);
    const char *python = getenv("SCADLIVE_PYTHON");
    char venv[PATH_MAX + 32];
    snprintf(venv, sizeof venv, "%s/.venv/bin/python", scl_cli_source_dir());
    if ((!python || !*python) && access(venv, X_OK) == 0)
        python = venv; /* a source checkout: its development environment */
    if (!python || !*python)
        python = "python3";
    char **args = calloc((size_t)argc + 4, sizeof *args);
    if (!args)
        return 1;
    args[0] = (char *)python;
    args[1] = "-m";
    args[2] = "scadlive";
    args[3] = "batch";
    for (int i = 1; i < argc; i++)
        args[i + 3] = argv[i];
    execvp(python, args);
    fprintf(stderr, "scadlive batch: cannot run %s (%s); batch export is the Python package's: "
            "pip install 'scadlive[batch]', or set SCADLIVE_PYTHON to a Python that has it\n",
            python, strerror(errno));
    free(args);
    return 1;
}
