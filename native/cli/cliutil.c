/* cliutil.c - see cliutil.h: the CLI's one way of printing errors,
 * OpenSCAD's messages and JSON results. */
#include "cliutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void scl_cli_print_error(const char *command, const char *file, long line, const char *message)
{
    if (file && *file && line > 0)
        fprintf(stderr, "scadlive %s: %s:%ld: %s\n", command, file, line, message);
    else if (file && *file)
        fprintf(stderr, "scadlive %s: %s: %s\n", command, file, message);
    else
        fprintf(stderr, "scadlive %s: %s\n", command, message);
}

void scl_cli_print_messages(const json_t *messages, int skip_errors)
{
    size_t i;
    const json_t *m;
    json_array_foreach(messages, i, m) {
        const char *level = json_string_value(json_object_get(m, "level"));
        const char *text = json_string_value(json_object_get(m, "text"));
        const char *file = json_string_value(json_object_get(m, "file"));
        json_int_t line = json_integer_value(json_object_get(m, "line"));
        if (!level || !text || (skip_errors && !strcmp(level, "ERROR")))
            continue;
        if (file && line > 0)
            fprintf(stderr, "%s: %s in file %s, line %lld\n", level, text, file, (long long)line);
        else
            fprintf(stderr, "%s: %s\n", level, text);
    }
}

int scl_cli_print_json(const char *command, const json_t *value, size_t flags)
{
    char *text = value ? json_dumps(value, flags) : NULL;
    if (!text) {
        fprintf(stderr, "scadlive %s: out of memory writing the result\n", command);
        return 1;
    }
    puts(text);
    free(text);
    return 0;
}
