/* Tests for oslog.h: OpenSCAD's log lines and the classified causes of a
 * failed render, on logs as OpenSCAD 2021.01 (native) and 2025.01 (WASM)
 * print them. The end-to-end cases (real renders) are in
 * tests/python/test_log_errors.py; out of memory, which cannot be caused
 * for real on a shared test machine, is tested here from its log text. */
#include <criterion/criterion.h>
#include <string.h>

#include "oslog.h"

Test(oslog, lines_keep_level_text_file_and_line)
{
    const char *log = "Could not initialize localization (application path is '/').\n"
                      "ECHO: \"hi\", 3\n"
                      "WARNING: Ignoring unknown variable \"x\" in file /work/lib/part.scad, line 7\n"
                      "WARNING: Can't open library 'lib/none.scad'. in file /work/m.scad, line 1\n"
                      "DEPRECATED: The assign() module will be removed in future releases. in file /tmp/scl-render-Ab12Cd/m.scad, line 2\n"
                      "Geometries in cache: 3\n"
                      "ERROR: Parser error in file \"/work/m.scad\", line 4: syntax error\n";
    json_t *lines = scl_oslog_lines(log, 0);
    cr_assert_eq(json_array_size(lines), 5);
    json_t *l = json_array_get(lines, 0);
    cr_assert_str_eq(json_string_value(json_object_get(l, "level")), "ECHO");
    cr_assert_str_eq(json_string_value(json_object_get(l, "text")), "\"hi\", 3");
    cr_assert_null(json_object_get(l, "line"));
    l = json_array_get(lines, 1);
    cr_assert_str_eq(json_string_value(json_object_get(l, "text")), "Ignoring unknown variable \"x\"");
    cr_assert_str_eq(json_string_value(json_object_get(l, "file")), "lib/part.scad");
    cr_assert_eq(json_integer_value(json_object_get(l, "line")), 7);
    l = json_array_get(lines, 2);
    cr_assert_str_eq(json_string_value(json_object_get(l, "text")), "Can't open library 'lib/none.scad'");
    l = json_array_get(lines, 3);
    cr_assert_str_eq(json_string_value(json_object_get(l, "level")), "DEPRECATED");
    cr_assert_str_eq(json_string_value(json_object_get(l, "file")), "m.scad");
    l = json_array_get(lines, 4);
    cr_assert_str_eq(json_string_value(json_object_get(l, "text")), "Parser error: syntax error");
    cr_assert_eq(json_integer_value(json_object_get(l, "line")), 4);
    json_decref(lines);
}

Test(oslog, repeated_lines_are_folded_and_the_count_is_capped)
{
    char log[4096] = "";
    for (int i = 0; i < 50; i++)
        strcat(log, "TRACE: called by 'f' in file r.scad, line 1\n");
    strcat(log, "ECHO: 1\nECHO: 2\nECHO: 3\n");
    json_t *lines = scl_oslog_lines(log, 0);
    cr_assert_eq(json_array_size(lines), 5);
    cr_assert(strstr(json_string_value(json_object_get(json_array_get(lines, 1), "text")), "49 more times"));
    json_decref(lines);
    lines = scl_oslog_lines(log, 2);
    cr_assert_eq(json_array_size(lines), 3);
    cr_assert(strstr(json_string_value(json_object_get(json_array_get(lines, 2), "text")), "more lines not shown"));
    json_decref(lines);
}

static scl_oslog_failure classify(const char *log, const char *source, const char *format)
{
    scl_oslog_failure f;
    scl_oslog_classify(log, "dir/part.scad", source, format, &f);
    cr_assert_null(strstr(f.message, "line "), "no location text in: %s", f.message);
    return f;
}

Test(oslog, causes)
{
    scl_oslog_failure f = classify("ERROR: Parser error: syntax error in file part.scad, line 2\n", NULL, NULL);
    cr_assert_str_eq(f.code, "SYNTAX");
    cr_assert_str_eq(f.reason, "syntax");
    cr_assert_str_eq(f.file, "part.scad");
    cr_assert_eq(f.line, 2);
    cr_assert_str_eq(f.message, "syntax error");

    /* 2021: the warning has no line; it is found in the source */
    f = classify("WARNING: Can't open include file 'BOSL2/std.scad'.\nCurrent top level object is empty.\n",
                 "// a part\ninclude <BOSL2/std.scad>\ncuboid(10);\n", "binstl");
    cr_assert_str_eq(f.reason, "missing_file");
    cr_assert_eq(f.line, 2);
    cr_assert_str_eq(f.file, "part.scad");
    cr_assert(strstr(f.message, "'BOSL2/std.scad'") && strstr(f.message, "include"), "%s", f.message);

    f = classify("ECHO: 1\nCurrent top level object is not a 3D object.\n", NULL, "3mf");
    cr_assert_str_eq(f.reason, "not_3d");
    cr_assert(strstr(f.message, "3MF needs a 3D model") && strstr(f.message, "SVG or DXF"), "%s", f.message);
    f = classify("Current top level object is not a 2D object.\n", NULL, "dxf");
    cr_assert_str_eq(f.reason, "not_2d");
    cr_assert(strstr(f.message, "DXF needs a 2D model"), "%s", f.message);
    /* the bridge renders a 3MF request as OFF: the message is worded again
     * for the format the client asked for; other causes are left alone */
    f = classify("Current top level object is not a 3D object.\n", NULL, "off");
    cr_assert(strstr(f.message, "OFF needs a 3D model"), "%s", f.message);
    scl_oslog_reword_for_format(&f, "3mf");
    cr_assert_str_eq(f.reason, "not_3d");
    cr_assert(strstr(f.message, "3MF needs a 3D model"), "%s", f.message);
    f = classify("ERROR: Parser error: syntax error in file part.scad, line 2\n", NULL, "off");
    scl_oslog_reword_for_format(&f, "3mf");
    cr_assert_str_eq(f.message, "syntax error");

    f = classify("ERROR: Recursion detected calling function 'f' in file part.scad, line 1\n", NULL, NULL);
    cr_assert_str_eq(f.reason, "recursion");
    cr_assert_eq(f.line, 1);
    f = classify("renderer: OpenSCAD aborted: memory access out of bounds", NULL, NULL);
    cr_assert_str_eq(f.reason, "recursion");
    cr_assert_null(strstr(f.message, "no geometry"));

    f = classify("renderer: OpenSCAD aborted: std::bad_alloc", NULL, NULL);
    cr_assert_str_eq(f.reason, "out_of_memory");
    f = classify("Aborted(Cannot enlarge memory arrays to size 2147549184 bytes (OOM).)", NULL, NULL);
    cr_assert_str_eq(f.reason, "out_of_memory");

    f = classify("WARNING: Ignoring unknown module 'cubee' in file part.scad, line 3\n"
                 "Current top level object is empty.\n", NULL, NULL);
    cr_assert_str_eq(f.reason, "empty");
    cr_assert(strstr(f.message, "Ignoring unknown module 'cubee'"), "%s", f.message);

    f = classify("ERROR: Assertion 'false' failed: \"boom\" in file part.scad, line 5\n", NULL, NULL);
    cr_assert_str_eq(f.reason, "assertion");
    cr_assert_eq(f.line, 5);
    cr_assert_str_eq(f.message, "Assertion 'false' failed: \"boom\"");
    f = classify("", NULL, NULL);
    cr_assert_str_eq(f.reason, "no_output");
}
