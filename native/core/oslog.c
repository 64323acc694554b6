/* oslog.c - see oslog.h. */
#include "oslog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const LEVELS[] = {"ECHO", "WARNING", "DEPRECATED", "ERROR", "TRACE"};

/* One parsed line: level, text (location removed), file, line. */
typedef struct msg {
    const char *level;
    char text[1024];
    char file[256];
    long line;
} msg;

/* Take the renderers' private directories out of a path. */
static void model_path(const char *in, size_t n, char *out, size_t cap)
{
    if (n >= 6 && !strncmp(in, "/work/", 6)) {
        in += 6;
        n -= 6;
    } else {
        const char *tmp = NULL;
        for (size_t i = 0; i + 12 <= n; i++)
            if (!strncmp(in + i, "/scl-render-", 12))
                tmp = in + i;
        if (tmp) {
            const char *slash = memchr(tmp + 1, '/', n - (size_t)(tmp + 1 - in));
            if (slash) {
                n -= (size_t)(slash + 1 - in);
                in = slash + 1;
            }
        }
    }
    snprintf(out, cap, "%.*s", (int)(n < cap ? n : cap - 1), in);
}

/* Parse one log line (n bytes, no newline) into m; 0 if it is not a message line. */
static int parse_line(const char *s, size_t n, msg *m)
{
    memset(m, 0, sizeof *m);
    for (size_t i = 0; i < sizeof LEVELS / sizeof *LEVELS; i++) {
        size_t ll = strlen(LEVELS[i]);
        if (n > ll && !strncmp(s, LEVELS[i], ll) && s[ll] == ':') {
            m->level = LEVELS[i];
            s += ll + 1;
            n -= ll + 1;
            break;
        }
    }
    if (!m->level)
        return 0;
    while (n && *s == ' ') {
        s++;
        n--;
    }
    while (n && (s[n - 1] == '\r' || s[n - 1] == ' '))
        n--;
    /* " in file NAME, line N" at the end (the last occurrence) */
    const char *in = NULL;
    for (size_t i = 0; i + 9 <= n; i++)
        if (!strncmp(s + i, " in file ", 9))
            in = s + i;
    if (in) {
        const char *name = in + 9, *end = s + n;
        const char *comma = NULL;
        for (const char *p = name; p + 7 <= end; p++)
            if (!strncmp(p, ", line ", 7))
                comma = p;
        if (comma) {
            char *stop;
            long line = strtol(comma + 7, &stop, 10);
            if (stop > comma + 7 && line > 0) {
                size_t fl = (size_t)(comma - name);
                if (fl >= 2 && name[0] == '"' && name[fl - 1] == '"') {
                    name++;
                    fl -= 2;
                }
                model_path(name, fl, m->file, sizeof m->file);
                m->line = line;
                /* keep anything after the line number (2025's parser error: "line 2: ...") */
                const char *rest = stop;
                while (rest < end && (*rest == ':' || *rest == ' '))
                    rest++;
                size_t head = (size_t)(in - s);
                if (head && s[head - 1] == '.')
                    head--; /* "Can't open library 'x'. in file ..." */
                if (rest < end)
                    snprintf(m->text, sizeof m->text, "%.*s: %.*s", (int)head, s, (int)(end - rest), rest);
                else
                    snprintf(m->text, sizeof m->text, "%.*s", (int)head, s);
                return 1;
            }
        }
    }
    snprintf(m->text, sizeof m->text, "%.*s", (int)n, s);
    return 1;
}

/* Call f for each message line of log; stops when f returns nonzero. */
static void each_message(const char *log, int (*f)(const msg *, void *), void *arg)
{
    if (!log)
        return;
    for (const char *p = log; *p;) {
        size_t n = strcspn(p, "\n");
        msg m;
        if (parse_line(p, n, &m) && f(&m, arg))
            return;
        p += n;
        if (*p)
            p++;
    }
}

typedef struct collect {
    json_t *arr;
    size_t max, dropped;
    msg last;      /* the previous line, to fold repeats (deep recursion's TRACE lines) */
    size_t repeats;
} collect;

static int same_msg(const msg *a, const msg *b)
{
    return a->level && b->level && !strcmp(a->level, b->level) && a->line == b->line &&
           !strcmp(a->text, b->text) && !strcmp(a->file, b->file);
}

static void flush_repeats(collect *c)
{
    if (!c->repeats)
        return;
    if (json_array_size(c->arr) >= c->max) { /* no room: the note counts as a dropped line */
        c->dropped++;
        c->repeats = 0;
        return;
    }
    char text[96];
    snprintf(text, sizeof text, "(the line above repeated %zu more times)", c->repeats);
    json_array_append_new(c->arr, json_pack("{s:s,s:s}", "level", "INFO", "text", text));
    c->repeats = 0;
}

static int add_line(const msg *m, void *arg)
{
    collect *c = arg;
    if (same_msg(m, &c->last)) {
        c->repeats++;
        return 0;
    }
    flush_repeats(c);
    c->last = *m;
    if (json_array_size(c->arr) >= c->max) {
        c->dropped++;
        return 0;
    }
    json_t *o = json_pack("{s:s,s:s}", "level", m->level, "text", m->text);
    if (!o) /* not UTF-8 */
        o = json_pack("{s:s,s:s}", "level", m->level, "text", "(not valid UTF-8)");
    if (m->line) {
        json_object_set_new(o, "file", json_string(m->file));
        json_object_set_new(o, "line", json_integer(m->line));
    }
    json_array_append_new(c->arr, o);
    return 0;
}

json_t *scl_oslog_lines(const char *log, size_t max_lines)
{
    collect *c = calloc(1, sizeof *c);
    json_t *arr = json_array();
    if (!c || !arr) {
        free(c);
        json_decref(arr);
        return NULL;
    }
    c->arr = arr;
    c->max = max_lines ? max_lines : 1000;
    each_message(log, add_line, c);
    flush_repeats(c);
    size_t dropped = c->dropped;
    free(c);
    if (dropped) {
        char text[96];
        snprintf(text, sizeof text, "... %zu more lines not shown", dropped);
        json_array_append_new(arr, json_pack("{s:s,s:s}", "level", "INFO", "text", text));
    }
    return arr;
}

/* ------------------------------------------------------------ classify */

typedef struct scan {
    msg first_error;
    int has_error;
    msg missing; /* the first "Can't open include file/library" warning */
    int has_missing;
    char missing_name[256];
    char warnings[3][300];
    int nwarnings;
} scan;

static int scan_line(const msg *m, void *arg)
{
    scan *s = arg;
    if (!strcmp(m->level, "ERROR") && !s->has_error) {
        s->first_error = *m;
        s->has_error = 1;
    }
    if (!strcmp(m->level, "WARNING")) {
        const char *q = NULL;
        if (!strncmp(m->text, "Can't open include file '", 25))
            q = m->text + 25;
        else if (!strncmp(m->text, "Can't open library '", 20))
            q = m->text + 20;
        if (q && !s->has_missing) {
            s->missing = *m;
            s->has_missing = 1;
            snprintf(s->missing_name, sizeof s->missing_name, "%.*s", (int)strcspn(q, "'"), q);
        }
        if (s->nwarnings < 3) {
            if (m->line)
                snprintf(s->warnings[s->nwarnings], sizeof s->warnings[0], "%.200s (%.60s:%ld)", m->text,
                         m->file, m->line);
            else
                snprintf(s->warnings[s->nwarnings], sizeof s->warnings[0], "%.280s", m->text);
            s->nwarnings++;
        }
    }
    return 0;
}

/* The line of `source` that includes/uses `name`, or 0. */
static long including_line(const char *source, const char *name)
{
    if (!source || !*name)
        return 0;
    char needle[300];
    snprintf(needle, sizeof needle, "<%s>", name);
    const char *hit = strstr(source, needle);
    if (!hit)
        return 0;
    long line = 1;
    for (const char *p = source; p < hit; p++)
        line += *p == '\n';
    return line;
}

static int is_3d_format(const char *format)
{
    return !format || !strcmp(format, "binstl") || !strcmp(format, "asciistl") || !strcmp(format, "stl") ||
           !strcmp(format, "off") || !strcmp(format, "3mf") || !strcmp(format, "mesh");
}

static const char *format_label(const char *format)
{
    if (!format || !strcmp(format, "binstl") || !strcmp(format, "asciistl") || !strcmp(format, "stl") ||
        !strcmp(format, "mesh"))
        return "STL";
    if (!strcmp(format, "off"))
        return "OFF";
    if (!strcmp(format, "3mf"))
        return "3MF";
    if (!strcmp(format, "svg"))
        return "SVG";
    if (!strcmp(format, "dxf"))
        return "DXF";
    return format;
}

static void set_where(scl_oslog_failure *out, const msg *m)
{
    if (m->line) {
        snprintf(out->file, sizeof out->file, "%s", m->file);
        out->line = m->line;
    }
}

/* The model is `model_dims`-D (2 or 3) and the export format (`label`)
 * needs the other: say which formats fit the model and how to convert it. */
static void wrong_dimension(scl_oslog_failure *out, int model_dims, const char *label)
{
    int is_2d = model_dims == 2;
    out->reason = is_2d ? "not_3d" : "not_2d";
    snprintf(out->message, sizeof out->message, "the model is %dD, and %s needs a %dD model: export it as %s (or %s)",
             is_2d ? 2 : 3, label, is_2d ? 3 : 2, is_2d ? "SVG or DXF" : "STL, OFF or 3MF",
             is_2d ? "extrude it with linear_extrude() for STL, OFF or 3MF"
                   : "flatten it with projection() for SVG or DXF");
}

void scl_oslog_reword_for_format(scl_oslog_failure *f, const char *format)
{
    if (!f->reason)
        return;
    if (!strcmp(f->reason, "not_3d"))
        wrong_dimension(f, 2, format_label(is_3d_format(format) ? format : NULL));
    else if (!strcmp(f->reason, "not_2d"))
        wrong_dimension(f, 3, is_3d_format(format) ? "SVG" : format_label(format));
}

void scl_oslog_classify(const char *log, const char *main_name, const char *main_source, const char *format,
                        scl_oslog_failure *out)
{
    memset(out, 0, sizeof *out);
    out->code = "RENDER";
    const char *base = main_name ? strrchr(main_name, '/') : NULL;
    snprintf(out->file, sizeof out->file, "%s", base ? base + 1 : main_name ? main_name : "");
    scan s;
    memset(&s, 0, sizeof s);
    each_message(log, scan_line, &s);
    const char *L = log ? log : "";

    if (strstr(L, "bad_alloc") || strstr(L, "Cannot enlarge memory") || strstr(L, "Aborted(OOM)") ||
        strstr(L, "out of memory") || strstr(L, "Out of memory")) {
        out->reason = "out_of_memory";
        snprintf(out->message, sizeof out->message,
                 "OpenSCAD ran out of memory rendering the model (lower $fn or simplify it)");
        return;
    }
    if (s.has_error && strstr(s.first_error.text, "Recursion detected")) {
        out->reason = "recursion";
        set_where(out, &s.first_error);
        const char *t = strstr(s.first_error.text, "Recursion detected calling ");
        snprintf(out->message, sizeof out->message, "recursion too deep calling %.460s",
                 t ? t + 27 : s.first_error.text);
        return;
    }
    if (strstr(L, "memory access out of bounds") || strstr(L, "Maximum call stack size exceeded") ||
        strstr(L, "call stack exhausted") || strstr(L, "stack overflow")) {
        out->reason = "recursion";
        snprintf(out->message, sizeof out->message,
                 "OpenSCAD ran out of stack: recursion too deep (a module or function calling itself "
                 "without end, or nesting deeper than the renderer's stack)");
        return;
    }
    if (s.has_error) {
        set_where(out, &s.first_error);
        const char *t = s.first_error.text;
        if (!strncmp(t, "Parser error", 12)) {
            out->code = "SYNTAX";
            out->reason = "syntax";
            t += 12;
            while (*t == ':' || *t == ' ')
                t++;
        } else {
            out->reason = strncmp(t, "Assertion", 9) ? "error" : "assertion";
        }
        snprintf(out->message, sizeof out->message, "%.500s", *t ? t : "syntax error");
        return;
    }
    if (strstr(L, "not a 3D object") || strstr(L, "not a 2D object")) {
        out->reason = strstr(L, "not a 3D object") ? "not_3d" : "not_2d";
        scl_oslog_reword_for_format(out, format);
        return;
    }
    if (s.has_missing) {
        out->reason = "missing_file";
        long line = s.missing.line ? s.missing.line : including_line(main_source, s.missing_name);
        if (s.missing.line)
            snprintf(out->file, sizeof out->file, "%s", s.missing.file);
        out->line = line;
        snprintf(out->message, sizeof out->message,
                 "cannot find '%s' (%s): looked next to the model and in the library folders "
                 "(OPENSCADPATH, the user library folder, the installation's libraries, library_path)",
                 s.missing_name, strncmp(s.missing.text, "Can't open library", 18) ? "include" : "use");
        return;
    }
    if (strstr(L, "top level object is empty")) {
        out->reason = "empty";
        int n = snprintf(out->message, sizeof out->message,
                         "the model produced no geometry: its top level object is empty");
        for (int i = 0; i < s.nwarnings && n > 0 && (size_t)n < sizeof out->message; i++)
            n += snprintf(out->message + n, sizeof out->message - (size_t)n, "%s%s", i ? "; " : "; OpenSCAD warned: ",
                          s.warnings[i]);
        return;
    }
    out->reason = "no_output";
    snprintf(out->message, sizeof out->message, "OpenSCAD produced no output%s",
             s.nwarnings ? "; it warned: " : "");
    size_t n = strlen(out->message);
    for (int i = 0; i < s.nwarnings && n < sizeof out->message; i++)
        n += (size_t)snprintf(out->message + n, sizeof out->message - n, "%s%s", i ? "; " : "", s.warnings[i]);
}
