/* Tests for overrides.h: literal serialization, schema checks, -D parsing,
 * parameter-set files, and, against the real OpenSCAD binary, that the
 * -D arguments give OpenSCAD exactly the values meant and nothing more. */
#define _DEFAULT_SOURCE /* mkstemps */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "overrides.h"
#include "params.h"

static json_t *J(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &e);
    cr_assert_not_null(v, "bad JSON in test: %s", e.text);
    return v;
}

static json_t *schema_of(const char *scad)
{
    json_t *s = NULL;
    scl_error err;
    cr_assert_eq(scl_params_parse(scad, strlen(scad), "t", &s, &err), SCL_OK, "%s", err.message);
    return s;
}

static void expect_literal(const char *json, const char *want)
{
    json_t *v = J(json);
    char *lit = NULL;
    scl_error err;
    cr_assert_eq(scl_literal_from_json(v, &lit, &err), SCL_OK, "%s: %s", json, err.message);
    cr_expect_str_eq(lit, want, "%s -> %s, want %s", json, lit, want);
    free(lit);
    json_decref(v);
}

Test(overrides, literals)
{
    expect_literal("10", "10");
    expect_literal("0.1", "0.1");
    expect_literal("-2.5e-7", "-2.5e-07");
    expect_literal("true", "true");
    expect_literal("[1, [2, 3], \"a\"]", "[1,[2,3],\"a\"]");
    expect_literal("\"he said \\\"hi\\\"\\\\\\n\\t\\u0001\"", "\"he said \\\"hi\\\"\\\\\\n\\t\\x01\"");
    expect_literal("\"caf\\u00e9\"", "\"caf\xc3\xa9\"");
}

Test(overrides, refused_values)
{
    const char *bad[] = {"null", "{\"a\":1}", "[1, null]", "\"nul\\u0000\""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *v = json_loads(bad[i], JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        cr_assert_not_null(v);
        char *lit = NULL;
        scl_error err;
        cr_expect_neq(scl_literal_from_json(v, &lit, &err), SCL_OK, "%s accepted as %s", bad[i], lit);
        cr_expect_gt(strlen(err.message), 0);
        json_decref(v);
    }
}

Test(overrides, names)
{
    cr_assert(scl_overrides_valid_name("width"));
    cr_assert(scl_overrides_valid_name("$fn"));
    cr_assert(scl_overrides_valid_name("_a1"));
    cr_assert_not(scl_overrides_valid_name("1a"));
    cr_assert_not(scl_overrides_valid_name("a b"));
    cr_assert_not(scl_overrides_valid_name("a;cube(1)"));
    cr_assert_not(scl_overrides_valid_name("module"));
    cr_assert_not(scl_overrides_valid_name(""));
    cr_assert_not(scl_overrides_valid_name("$"));
}

Test(overrides, build_with_schema_checks_types_and_names)
{
    json_t *schema = schema_of("w = 10; // [1:100]\ns = \"x\";\nb = true;\nv = [1,2,3];\nd = \"a\"; // [a, b]\n");
    scl_overrides *o = NULL;
    scl_error err;
    json_t *vals = J("{\"w\": 12.5, \"s\": \"y\\\"\", \"b\": false, \"v\": [4,5,6], \"d\": \"b\", \"$fn\": 24}");
    cr_assert_eq(scl_overrides_build(schema, vals, &o, &err), SCL_OK, "%s", err.message);
    cr_assert_eq(scl_overrides_count(o), 6);
    cr_assert_str_eq(scl_overrides_arg(o, 0), "$fn=24"); /* sorted */
    cr_assert_str_eq(scl_overrides_arg(o, 1), "b=false");
    cr_assert_str_eq(scl_overrides_arg(o, 2), "d=\"b\"");
    cr_assert_str_eq(scl_overrides_arg(o, 3), "s=\"y\\\"\"");
    cr_assert_str_eq(scl_overrides_arg(o, 4), "v=[4,5,6]");
    cr_assert_str_eq(scl_overrides_arg(o, 5), "w=12.5");
    scl_overrides_destroy(o);
    json_decref(vals);

    struct {
        const char *values;
        scl_status code;
        const char *field;
        const char *needle;
    } bad[] = {
        {"{\"nope\": 1}", SCL_ENOTFOUND, "nope", "unknown parameter"},
        {"{\"w\": \"10\"}", SCL_ETYPE, "w", "expected a number, got a string"},
        {"{\"b\": 1}", SCL_ETYPE, "b", "expected a boolean"},
        {"{\"v\": [1,2]}", SCL_ETYPE, "v", "vector of 3 numbers"},
        {"{\"v\": [1,2,\"x\"]}", SCL_ETYPE, "v", "element 2"},
        {"{\"d\": \"c\"}", SCL_EINVAL, "d", "options"},
        {"{\"w; cube(100)\": 1}", SCL_EINVAL, "w; cube(100)", "not a valid parameter name"},
        {"[1]", SCL_ETYPE, "", "JSON object"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *v = J(bad[i].values);
        o = (scl_overrides *)1;
        cr_expect_eq(scl_overrides_build(schema, v, &o, &err), bad[i].code, "%s: %s", bad[i].values, err.message);
        cr_expect_null(o);
        cr_expect_str_eq(err.field, bad[i].field, "%s", bad[i].values);
        cr_expect(strstr(err.message, bad[i].needle) != NULL, "%s: %s", bad[i].values, err.message);
        json_decref(v);
    }
    json_decref(schema);
}

Test(overrides, json_string_interface)
{
    char *out = NULL;
    scl_error err;
    cr_assert_eq(scl_overrides_json(NULL, "{\"a\": [1, 2]}", &out, &err), SCL_OK);
    cr_assert_str_eq(out, "[\"a=[1,2]\"]");
    free(out);
    cr_assert_eq(scl_overrides_json(NULL, "{\"a\": ", &out, &err), SCL_EPARSE);
    cr_assert(strstr(err.message, "values JSON") != NULL);
}

Test(overrides, parse_define)
{
    struct {
        const char *def, *name, *json;
    } ok[] = {
        {"w=10", "w", "10.0"},
        {"$fn = 64", "$fn", "64.0"},
        {"s=\"a \\\"b\\\" \\\\ c\"", "s", "\"a \\\"b\\\" \\\\ c\""},
        {"v=[1, -2.5, [3]]", "v", "[1.0, -2.5, [3.0]]"},
        {"b=true", "b", "true"},
        {"e=[]", "e", "[]"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        char *name;
        json_t *v;
        scl_error err;
        cr_assert_eq(scl_overrides_parse_define(ok[i].def, &name, &v, &err), SCL_OK, "%s: %s", ok[i].def, err.message);
        cr_expect_str_eq(name, ok[i].name);
        json_t *want = J(ok[i].json);
        cr_expect(json_equal(v, want), "%s", ok[i].def);
        json_decref(want);
        json_decref(v);
        free(name);
    }
    const char *bad[] = {"w", "=1", "w=", "w=1; cube(100)", "w=abc", "w=\"open", "w=[1,2", "w=nan", "w=inf", "w=0x10",
                         "1w=2", "w=[1 2]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *name = NULL;
        json_t *v = NULL;
        scl_error err;
        cr_expect_neq(scl_overrides_parse_define(bad[i], &name, &v, &err), SCL_OK, "%s accepted", bad[i]);
        cr_expect_null(v);
        cr_expect(strlen(err.message) > 0);
    }
}

Test(overrides, parameter_set_files)
{
    json_t *schema = schema_of("a = 1;\ns = \"x\";\nv = [1, 2];\nb = false;\n");
    const char *file = "{\"parameterSets\":{\"big\":{\"a\":\"5\",\"s\":\"12\",\"v\":\"[3, 4]\",\"b\":\"true\"},"
                       "\"small\":{\"a\":\"1\"}},\"fileFormatVersion\":\"1\"}";
    json_t *vals = NULL;
    scl_error err;
    cr_assert_eq(scl_paramset_load(file, strlen(file), "big", schema, &vals, &err), SCL_OK, "%s", err.message);
    json_t *want = J("{\"a\": 5.0, \"s\": \"12\", \"v\": [3.0, 4.0], \"b\": true}");
    cr_expect(json_equal(vals, want));
    json_decref(want);
    json_decref(vals);
    cr_assert_eq(scl_paramset_load(file, strlen(file), "huge", schema, &vals, &err), SCL_ENOTFOUND);
    cr_assert(strstr(err.message, "big, small") != NULL, "%s", err.message);
    const char *badtype = "{\"parameterSets\":{\"x\":{\"a\":\"ten\"}}}";
    cr_assert_eq(scl_paramset_load(badtype, strlen(badtype), "x", schema, &vals, &err), SCL_ETYPE);
    cr_assert_str_eq(err.field, "a");
    cr_assert_eq(scl_paramset_load("{", 1, "x", schema, &vals, &err), SCL_EPARSE);
    json_decref(schema);
}

/* ------------------------------------------ against the real OpenSCAD binary */

/* Run openscad with argv (no shell) and return the echo output file's text. */
static char *openscad_echo(const char *model, scl_overrides *o)
{
    char scad[] = "/tmp/scl-ovr-XXXXXX.scad";
    int fd = mkstemps(scad, 5);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, model, strlen(model)), (ssize_t)strlen(model));
    close(fd);
    char echo[64];
    snprintf(echo, sizeof echo, "%s.echo", scad);
    const char *argv[64];
    int n = 0;
    argv[n++] = "openscad";
    argv[n++] = "-o";
    argv[n++] = echo;
    for (size_t i = 0; i < scl_overrides_count(o) && n < 60; i++) {
        argv[n++] = "-D";
        argv[n++] = scl_overrides_arg(o, i);
    }
    argv[n++] = scad;
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid == 0) {
        freopen("/dev/null", "w", stderr);
        execvp("openscad", (char *const *)argv);
        _exit(127);
    }
    int status;
    waitpid(pid, &status, 0);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "openscad failed");
    FILE *f = fopen(echo, "rb");
    cr_assert_not_null(f);
    static char text[8192];
    size_t got = fread(text, 1, sizeof text - 1, f);
    text[got] = 0;
    fclose(f);
    unlink(scad);
    unlink(echo);
    return text;
}

Test(overrides, openscad_receives_exactly_the_values, .timeout = 120)
{
    const char *model = "s = \"x\"; n = 1; v = [0, 0]; b = false; inj = 0;\n"
                        "echo(s = s, n = n, v = v, b = b, inj = inj);\n";
    json_t *vals = J("{\"s\": \"quote \\\" back \\\\ nl \\n end; inj=666; echo(\\\"pwn\\\")\","
                     " \"n\": -0.125, \"v\": [1e-3, 2500000], \"b\": true}");
    scl_overrides *o = NULL;
    scl_error err;
    cr_assert_eq(scl_overrides_build(NULL, vals, &o, &err), SCL_OK, "%s", err.message);
    char *echo = openscad_echo(model, o);
    /* OpenSCAD 2021 echoes strings raw: the value arrives byte for byte, and
     * the would-be injection stayed inside the string (one ECHO, inj still 0) */
    const char *want = "ECHO: s = \"quote \" back \\ nl \n end; inj=666; echo(\"pwn\")\", "
                       "n = -0.125, v = [0.001, 2.5e+6], b = true, inj = 0\n";
    cr_expect_str_eq(echo, want);
    cr_expect_eq(strstr(echo + 1, "ECHO:"), NULL, "more than one echo: %s", echo);
    scl_overrides_destroy(o);
    json_decref(vals);
}
