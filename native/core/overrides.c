/* overrides.c - see overrides.h. */
#include "overrides.h"
#include "strbuf.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

struct scl_overrides {
    char **args;
    size_t n;
};

static const char *const KEYWORDS[] = {
    "module", "function", "include", "use", "if", "else", "for", "let", "assert",
    "echo", "each", "true", "false", "undef", "intersection_for",
};

int scl_overrides_valid_name(const char *name)
{
    if (!name || !*name)
        return 0;
    const char *p = name;
    if (*p == '$')
        p++;
    if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || *p == '_'))
        return 0;
    for (; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '_'))
            return 0;
    for (size_t i = 0; i < sizeof KEYWORDS / sizeof KEYWORDS[0]; i++)
        if (!strcmp(name, KEYWORDS[i]))
            return 0;
    return strlen(name) <= 256;
}

/* ------------------------------------------------------------ literals */

/* Shortest %g form that reads back to exactly d. */
static void format_number(double d, char out[40])
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(out, 40, "%.*g", prec, d);
        if (strtod(out, NULL) == d)
            return;
    }
}

static scl_status literal(const json_t *v, scl_strbuf *b, int depth, scl_error *err)
{
    if (depth > MAX_DEPTH)
        return scl_error_set(err, SCL_ETOOBIG, "value nests deeper than %d levels", MAX_DEPTH);
    if (json_is_true(v)) {
        scl_strbuf_puts(b, "true");
    } else if (json_is_false(v)) {
        scl_strbuf_puts(b, "false");
    } else if (json_is_number(v)) {
        double d = json_number_value(v);
        if (!isfinite(d))
            return scl_error_set(err, SCL_ETYPE, "%s is not a finite number", isnan(d) ? "NaN" : "infinity");
        char num[40];
        if (json_is_integer(v))
            snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        else
            format_number(d, num);
        scl_strbuf_puts(b, num);
    } else if (json_is_string(v)) {
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        scl_strbuf_putn(b, "\"", 1);
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)s[i];
            char esc[8];
            switch (c) {
            case '"': scl_strbuf_puts(b, "\\\""); break;
            case '\\': scl_strbuf_puts(b, "\\\\"); break;
            case '\n': scl_strbuf_puts(b, "\\n"); break;
            case '\r': scl_strbuf_puts(b, "\\r"); break;
            case '\t': scl_strbuf_puts(b, "\\t"); break;
            case 0:
                return scl_error_set(err, SCL_ETYPE, "strings may not contain a NUL character");
            default:
                if (c < 0x20 || c == 0x7f) {
                    snprintf(esc, sizeof esc, "\\x%02x", c);
                    scl_strbuf_puts(b, esc);
                } else {
                    scl_strbuf_putn(b, (const char *)&s[i], 1);
                }
            }
        }
        scl_strbuf_putn(b, "\"", 1);
    } else if (json_is_array(v)) {
        scl_strbuf_putn(b, "[", 1);
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) {
            if (i)
                scl_strbuf_putn(b, ",", 1);
            scl_status st = literal(e, b, depth + 1, err);
            if (st != SCL_OK)
                return st;
        }
        scl_strbuf_putn(b, "]", 1);
    } else if (json_is_null(v)) {
        return scl_error_set(err, SCL_ETYPE, "null is not an OpenSCAD value");
    } else {
        return scl_error_set(err, SCL_ETYPE, "objects are not OpenSCAD values");
    }
    if (b->oom)
        return scl_error_set(err, SCL_ENOMEM, "out of memory");
    return SCL_OK;
}

scl_status scl_literal_from_json(const json_t *value, char **out, scl_error *err)
{
    if (!value || !out)
        return scl_error_set(err, SCL_EINVAL, "scl_literal_from_json: NULL argument");
    scl_strbuf b = {0};
    scl_status st = literal(value, &b, 0, err);
    if (st != SCL_OK) {
        free(b.data);
        return st;
    }
    *out = b.data;
    return SCL_OK;
}

/* ------------------------------------------------------ schema checks */

static const json_t *schema_param(const json_t *schema, const char *name)
{
    const json_t *list = json_object_get(schema, "parameters");
    size_t i;
    json_t *p;
    json_array_foreach(list, i, p) {
        const char *n = json_string_value(json_object_get(p, "name"));
        if (n && !strcmp(n, name))
            return p;
    }
    return NULL;
}

/* Edit distance (insert, delete, substitute; case-insensitive), for "did
 * you mean". Names longer than 64 characters are compared by their first 64. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64)
        la = 64;
    if (lb > 64)
        lb = 64;
    size_t row[65];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t sub = diag + (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
            size_t best = up + 1 < row[j - 1] + 1 ? up + 1 : row[j - 1] + 1;
            row[j] = sub < best ? sub : best;
            diag = up;
        }
    }
    return row[lb];
}

/* The schema's parameter closest to `name`, or NULL when it has none. */
static const char *closest_param(const json_t *schema, const char *name)
{
    const json_t *list = json_object_get(schema, "parameters");
    const char *best = NULL;
    size_t best_d = (size_t)-1, i;
    json_t *p;
    json_array_foreach(list, i, p) {
        const char *n = json_string_value(json_object_get(p, "name"));
        size_t dist = n ? edit_distance(name, n) : (size_t)-1;
        if (dist < best_d) {
            best = n;
            best_d = dist;
        }
    }
    return best;
}

static const char *json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "a vector";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "a value";
}

static scl_status check_against(const json_t *param, const char *name, const json_t *v, scl_error *err)
{
    const char *type = json_string_value(json_object_get(param, "type"));
    const json_t *initial = json_object_get(param, "initial");
    scl_status st = SCL_OK;
    if (type && !strcmp(type, "boolean")) {
        if (!json_is_boolean(v))
            st = scl_error_set(err, SCL_ETYPE, "parameter \"%s\": expected a boolean, got %s", name,
                               json_type_name(v));
    } else if (type && !strcmp(type, "string")) {
        if (!json_is_string(v))
            st = scl_error_set(err, SCL_ETYPE, "parameter \"%s\": expected a string, got %s", name,
                               json_type_name(v));
    } else if (json_is_array(initial)) {
        size_t n = json_array_size(initial), i;
        json_t *e;
        if (!json_is_array(v) || json_array_size(v) != n) {
            st = scl_error_set(err, SCL_ETYPE, "parameter \"%s\": expected a vector of %zu numbers, got %s",
                               name, n, json_type_name(v));
        } else {
            json_array_foreach(v, i, e) if (!json_is_number(e)) {
                st = scl_error_set(err, SCL_ETYPE,
                                   "parameter \"%s\": element %zu must be a number, got %s", name, i,
                                   json_type_name(e));
                break;
            }
        }
    } else if (type && !strcmp(type, "number")) {
        if (!json_is_number(v))
            st = scl_error_set(err, SCL_ETYPE, "parameter \"%s\": expected a number, got %s", name,
                               json_type_name(v));
    }
    if (st == SCL_OK) {
        const json_t *options = json_object_get(param, "options");
        if (json_array_size(options)) {
            size_t i;
            json_t *o;
            int found = 0;
            json_array_foreach(options, i, o) {
                const json_t *ov = json_object_get(o, "value");
                if (json_is_number(ov) && json_is_number(v) && json_number_value(ov) == json_number_value(v))
                    found = 1;
                else if (json_equal((json_t *)ov, (json_t *)v))
                    found = 1;
            }
            if (!found)
                st = scl_error_set(err, SCL_EINVAL, "parameter \"%s\": value is not one of its %zu options",
                                   name, json_array_size(options));
        }
    }
    if (st != SCL_OK)
        scl_error_field(err, name);
    return st;
}

/* ------------------------------------------------------------ building */

void scl_overrides_destroy(scl_overrides *o)
{
    if (!o)
        return;
    for (size_t i = 0; i < o->n; i++)
        free(o->args[i]);
    free(o->args);
    free(o);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

scl_status scl_overrides_build(const json_t *schema, const json_t *values, scl_overrides **out,
                               scl_error *err)
{
    if (!out)
        return scl_error_set(err, SCL_EINVAL, "scl_overrides_build: NULL argument");
    *out = NULL;
    if (!json_is_object(values))
        return scl_error_set(err, SCL_ETYPE, "parameter values must be a JSON object, got %s",
                             values ? json_type_name(values) : "nothing");
    size_t n = json_object_size(values);
    const char **names = malloc((n ? n : 1) * sizeof *names);
    scl_overrides *o = calloc(1, sizeof *o);
    if (o)
        o->args = calloc(n ? n : 1, sizeof *o->args);
    if (!names || !o || !o->args) {
        free(names);
        scl_overrides_destroy(o);
        return scl_error_set(err, SCL_ENOMEM, "out of memory");
    }
    size_t k = 0;
    const char *name;
    json_t *v;
    json_object_foreach((json_t *)values, name, v) names[k++] = name;
    qsort(names, n, sizeof *names, cmp_str);
    scl_status st = SCL_OK;
    for (size_t i = 0; i < n && st == SCL_OK; i++) {
        name = names[i];
        v = json_object_get(values, name);
        if (!scl_overrides_valid_name(name)) {
            st = scl_error_set(err, SCL_EINVAL,
                               "\"%.64s\" is not a valid parameter name (letters, digits and _, "
                               "optionally starting with $; not a keyword)", name);
            scl_error_field(err, name);
            break;
        }
        if (schema && name[0] != '$') {
            const json_t *param = schema_param(schema, name);
            if (!param) {
                const char *near = closest_param(schema, name);
                if (near)
                    st = scl_error_set(err, SCL_ENOTFOUND,
                                       "unknown parameter \"%.64s\": the model has no such customizer parameter "
                                       "(did you mean \"%.64s\"?)", name, near);
                else
                    st = scl_error_set(err, SCL_ENOTFOUND,
                                       "unknown parameter \"%.64s\": the model has no customizer parameters", name);
                scl_error_field(err, name);
                break;
            }
            if ((st = check_against(param, name, v, err)) != SCL_OK)
                break;
        }
        scl_strbuf b = {0};
        scl_strbuf_puts(&b, name);
        scl_strbuf_putn(&b, "=", 1);
        st = literal(v, &b, 0, err);
        if (st != SCL_OK) {
            char why[SCL_ERROR_MSG_MAX];
            snprintf(why, sizeof why, "%s", err ? err->message : "");
            scl_error_set(err, st, "parameter \"%s\": %s", name, why);
            scl_error_field(err, name);
            free(b.data);
            break;
        }
        if (b.oom) {
            free(b.data);
            st = scl_error_set(err, SCL_ENOMEM, "out of memory");
            break;
        }
        o->args[o->n++] = b.data;
    }
    free(names);
    if (st != SCL_OK) {
        scl_overrides_destroy(o);
        return st;
    }
    *out = o;
    return SCL_OK;
}

size_t scl_overrides_count(const scl_overrides *o) { return o ? o->n : 0; }

const char *scl_overrides_arg(const scl_overrides *o, size_t i)
{
    return o && i < o->n ? o->args[i] : NULL;
}

scl_status scl_overrides_json(const char *schema_json, const char *values_json, char **out,
                              scl_error *err)
{
    if (!values_json || !out)
        return scl_error_set(err, SCL_EINVAL, "scl_overrides_json: NULL argument");
    *out = NULL;
    json_error_t jerr;
    json_t *schema = NULL;
    if (schema_json && *schema_json) {
        schema = json_loads(schema_json, 0, &jerr);
        if (!schema)
            return scl_error_at(err, SCL_EPARSE, jerr.line, jerr.column, "schema JSON: %s", jerr.text);
    }
    json_t *values = json_loads(values_json, 0, &jerr);
    if (!values) {
        json_decref(schema);
        return scl_error_at(err, SCL_EPARSE, jerr.line, jerr.column, "values JSON: %s", jerr.text);
    }
    scl_overrides *o = NULL;
    scl_status st = scl_overrides_build(schema, values, &o, err);
    json_decref(schema);
    json_decref(values);
    if (st != SCL_OK)
        return st;
    json_t *arr = json_array();
    for (size_t i = 0; i < o->n; i++)
        json_array_append_new(arr, json_string(o->args[i]));
    scl_overrides_destroy(o);
    *out = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    return *out ? SCL_OK : scl_error_set(err, SCL_ENOMEM, "out of memory");
}

/* ------------------------------------------------ parsing OpenSCAD literals */

typedef struct lit_parser {
    const char *s;
    size_t n, i;
    int depth;
    scl_error *err;
} lit_parser;

static void skip_ws(lit_parser *p)
{
    while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' || p->s[p->i] == '\r'))
        p->i++;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static json_t *lit_value(lit_parser *p);

static json_t *lit_fail(lit_parser *p, const char *what)
{
    scl_error_at(p->err, SCL_EPARSE, 1, (long)p->i + 1, "%s at column %zu", what, p->i + 1);
    return NULL;
}

static json_t *lit_string(lit_parser *p)
{
    scl_strbuf b = {0};
    p->i++;
    while (p->i < p->n && p->s[p->i] != '"') {
        char c = p->s[p->i];
        if (c == '\\' && p->i + 1 < p->n) {
            char e = p->s[p->i + 1];
            p->i += 2;
            switch (e) {
            case 'n': scl_strbuf_putn(&b, "\n", 1); break;
            case 't': scl_strbuf_putn(&b, "\t", 1); break;
            case 'r': scl_strbuf_putn(&b, "\r", 1); break;
            case '\\': scl_strbuf_putn(&b, "\\", 1); break;
            case '"': scl_strbuf_putn(&b, "\"", 1); break;
            case 'x':
                if (p->i + 1 < p->n && hexval(p->s[p->i]) >= 0 && hexval(p->s[p->i + 1]) >= 0) {
                    char ch = (char)(hexval(p->s[p->i]) * 16 + hexval(p->s[p->i + 1]));
                    if (ch == 0) {
                        free(b.data);
                        return lit_fail(p, "\\x00 is not allowed in a string");
                    }
                    scl_strbuf_putn(&b, &ch, 1);
                    p->i += 2;
                } else {
                    free(b.data);
                    return lit_fail(p, "bad \\x escape");
                }
                break;
            default:
                scl_strbuf_putn(&b, &e, 1);
            }
            continue;
        }
        scl_strbuf_putn(&b, &c, 1);
        p->i++;
    }
    if (p->i >= p->n) {
        free(b.data);
        return lit_fail(p, "unterminated string");
    }
    p->i++;
    json_t *v = json_stringn(b.data ? b.data : "", b.len);
    free(b.data);
    if (!v)
        return lit_fail(p, "string is not valid UTF-8");
    return v;
}

static json_t *lit_value(lit_parser *p)
{
    skip_ws(p);
    if (p->i >= p->n)
        return lit_fail(p, "expected a value");
    char c = p->s[p->i];
    if (c == '"')
        return lit_string(p);
    if (c == '[') {
        if (++p->depth > MAX_DEPTH)
            return lit_fail(p, "vector nested too deeply");
        p->i++;
        json_t *arr = json_array();
        skip_ws(p);
        if (p->i < p->n && p->s[p->i] == ']') {
            p->i++;
            p->depth--;
            return arr;
        }
        for (;;) {
            json_t *e = lit_value(p);
            if (!e) {
                json_decref(arr);
                return NULL;
            }
            json_array_append_new(arr, e);
            skip_ws(p);
            if (p->i < p->n && p->s[p->i] == ',') {
                p->i++;
                continue;
            }
            if (p->i < p->n && p->s[p->i] == ']') {
                p->i++;
                p->depth--;
                return arr;
            }
            json_decref(arr);
            return lit_fail(p, "expected ',' or ']'");
        }
    }
    size_t start = p->i;
    while (p->i < p->n && !strchr(" \t\r\n,]", p->s[p->i]))
        p->i++;
    size_t len = p->i - start;
    if (len == 4 && !memcmp(p->s + start, "true", 4))
        return json_true();
    if (len == 5 && !memcmp(p->s + start, "false", 5))
        return json_false();
    char tmp[64];
    if (len == 0 || len >= sizeof tmp) {
        p->i = start;
        return lit_fail(p, "expected a number, true, false, a \"string\" or a [vector]");
    }
    memcpy(tmp, p->s + start, len);
    tmp[len] = 0;
    char *end;
    double d = strtod(tmp, &end);
    if (*end || !isfinite(d) || strchr(tmp, 'x') || strchr(tmp, 'X') || strchr(tmp, 'n') || strchr(tmp, 'N')) {
        p->i = start;
        return lit_fail(p, "expected a number, true, false, a \"string\" or a [vector]");
    }
    return json_real(d);
}

static json_t *parse_literal_text(const char *s, size_t n, scl_error *err)
{
    lit_parser p = {s, n, 0, 0, err};
    json_t *v = lit_value(&p);
    if (!v)
        return NULL;
    skip_ws(&p);
    if (p.i != n) {
        json_decref(v);
        lit_fail(&p, "unexpected text after the value");
        return NULL;
    }
    return v;
}

scl_status scl_overrides_parse_define(const char *define, char **name, json_t **value,
                                      scl_error *err)
{
    if (!define || !name || !value)
        return scl_error_set(err, SCL_EINVAL, "scl_overrides_parse_define: NULL argument");
    *name = NULL;
    *value = NULL;
    const char *eq = strchr(define, '=');
    if (!eq)
        return scl_error_set(err, SCL_EPARSE, "-D %s: expected name=value", define);
    size_t nlen = (size_t)(eq - define);
    while (nlen && (define[nlen - 1] == ' '))
        nlen--;
    char *nm = malloc(nlen + 1);
    if (!nm)
        return scl_error_set(err, SCL_ENOMEM, "out of memory");
    memcpy(nm, define, nlen);
    nm[nlen] = 0;
    if (!scl_overrides_valid_name(nm)) {
        scl_error_set(err, SCL_EINVAL, "-D %s: \"%s\" is not a valid parameter name", define, nm);
        scl_error_field(err, nm);
        free(nm);
        return SCL_EINVAL;
    }
    scl_error inner;
    scl_error_clear(&inner);
    json_t *v = parse_literal_text(eq + 1, strlen(eq + 1), &inner);
    if (!v) {
        scl_error_set(err, SCL_EPARSE, "-D %s: %s", nm, inner.message);
        scl_error_field(err, nm);
        free(nm);
        return SCL_EPARSE;
    }
    *name = nm;
    *value = v;
    return SCL_OK;
}

/* ------------------------------------------------------ parameter sets */

/* A parameter-set value (always a string in the file) typed with the schema. */
static json_t *typed_value(const json_t *param, const char *text, const char *pname, scl_error *err)
{
    const char *type = param ? json_string_value(json_object_get(param, "type")) : NULL;
    size_t n = strlen(text);
    if (type && !strcmp(type, "string"))
        return json_string(text);
    if (type && !strcmp(type, "boolean")) {
        if (!strcmp(text, "true"))
            return json_true();
        if (!strcmp(text, "false"))
            return json_false();
        scl_error_set(err, SCL_ETYPE, "parameter \"%s\": \"%s\" is not true or false", pname, text);
        scl_error_field(err, pname);
        return NULL;
    }
    if (type) { /* number or vector */
        json_t *v = parse_literal_text(text, n, err);
        if (!v || (!json_is_number(v) && !json_is_array(v))) {
            json_decref(v);
            scl_error_set(err, SCL_ETYPE, "parameter \"%s\": \"%s\" is not a number", pname, text);
            scl_error_field(err, pname);
            return NULL;
        }
        return v;
    }
    /* no schema: a literal if it reads as one, else the text itself */
    scl_error ignored;
    json_t *v = parse_literal_text(text, n, &ignored);
    return v ? v : json_string(text);
}

scl_status scl_paramset_load(const char *text, size_t len, const char *set_name,
                             const json_t *schema, json_t **values, scl_error *err)
{
    if (!text || !set_name || !values)
        return scl_error_set(err, SCL_EINVAL, "scl_paramset_load: NULL argument");
    *values = NULL;
    json_error_t jerr;
    json_t *root = json_loadb(text, len, 0, &jerr);
    if (!root)
        return scl_error_at(err, SCL_EPARSE, jerr.line, jerr.column,
                            "parameter set file, line %d: %s", jerr.line, jerr.text);
    json_t *sets = json_object_get(root, "parameterSets");
    if (!json_is_object(sets)) {
        json_decref(root);
        scl_error_set(err, SCL_EPARSE, "parameter set file has no \"parameterSets\" object");
        scl_error_field(err, "parameterSets");
        return SCL_EPARSE;
    }
    json_t *set = json_object_get(sets, set_name);
    if (!json_is_object(set)) {
        scl_strbuf names = {0};
        const char *k;
        json_t *v;
        json_object_foreach(sets, k, v) {
            if (names.len)
                scl_strbuf_puts(&names, ", ");
            scl_strbuf_puts(&names, k);
        }
        scl_error_set(err, SCL_ENOTFOUND, "no parameter set \"%s\" (the file has: %s)", set_name,
                      names.data ? names.data : "none");
        free(names.data);
        json_decref(root);
        return SCL_ENOTFOUND;
    }
    json_t *out = json_object();
    const char *k;
    json_t *v;
    json_object_foreach(set, k, v) {
        const json_t *param = schema ? schema_param(schema, k) : NULL;
        json_t *tv;
        if (json_is_string(v)) {
            tv = typed_value(param, json_string_value(v), k, err);
        } else {
            tv = json_incref(v); /* tolerate typed values written by other tools */
        }
        if (!tv) {
            json_decref(out);
            json_decref(root);
            return err ? err->code : SCL_ETYPE;
        }
        json_object_set_new(out, k, tv);
    }
    json_decref(root);
    *values = out;
    return SCL_OK;
}
