/* zip3mf.c - see zip3mf.h. */
#include "zip3mf.h"

#include <stdio.h>
#include <stdlib.h>
#include <zip.h>

#include "threemf.h"

/* Every entry is dated 2020-01-01 00:00:00, so the same mesh gives the same
 * bytes. Set as a DOS date and time (what a zip stores): a time_t would go
 * through localtime() in libzip, and the date would follow the bridge's time
 * zone (2019-12-31 19:00 in New York). scadlive/_pyodide.py dates its 3MF
 * entries the same. */
#define FIXED_DOS_DATE ((zip_uint16_t)(((2020 - 1980) << 9) | (1 << 5) | 1))
#define FIXED_DOS_TIME ((zip_uint16_t)0)

static scl_status zip_fail(scl_error *err, const char *what, zip_error_t *ze)
{
    scl_status st = scl_error_set(err, SCL_EIO, "3MF: %s: %s", what, zip_error_strerror(ze));
    zip_error_fini(ze);
    return st;
}

scl_status scl_3mf_write(const scl_mesh *mesh, const char *title, uint8_t **out, size_t *len, scl_error *err)
{
    if (!mesh || !out || !len)
        return scl_error_set(err, SCL_EINVAL, "scl_3mf_write: NULL argument");
    scl_3mf_package pkg;
    scl_status st = scl_3mf_build(mesh, title, &pkg, err);
    if (st != SCL_OK)
        return st;
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *buf = zip_source_buffer_create(NULL, 0, 0, &ze);
    if (!buf) {
        scl_3mf_package_free(&pkg);
        return zip_fail(err, "cannot create a buffer", &ze);
    }
    zip_source_keep(buf); /* read it back after zip_close */
    zip_t *za = zip_open_from_source(buf, ZIP_TRUNCATE, &ze);
    if (!za) {
        zip_source_free(buf);
        scl_3mf_package_free(&pkg);
        return zip_fail(err, "cannot start the archive", &ze);
    }
    for (int i = 0; i < SCL_3MF_PARTS; i++) {
        zip_source_t *part = zip_source_buffer(za, pkg.text[i], pkg.len[i], 0);
        zip_int64_t idx = part ? zip_file_add(za, pkg.name[i], part, ZIP_FL_ENC_UTF_8) : -1;
        if (idx < 0) {
            zip_source_free(part);
            st = scl_error_set(err, SCL_EIO, "3MF: cannot add %s: %s", pkg.name[i], zip_strerror(za));
            zip_discard(za);
            zip_source_free(buf);
            scl_3mf_package_free(&pkg);
            return st;
        }
        zip_file_set_dostime(za, (zip_uint64_t)idx, FIXED_DOS_TIME, FIXED_DOS_DATE, 0);
        zip_set_file_compression(za, (zip_uint64_t)idx, ZIP_CM_DEFLATE, 1); /* fastest: XML deflates well anyway */
    }
    if (zip_close(za) != 0) { /* the part texts are read here */
        st = scl_error_set(err, SCL_EIO, "3MF: cannot write the archive: %s", zip_strerror(za));
        zip_discard(za);
        zip_source_free(buf);
        scl_3mf_package_free(&pkg);
        return st;
    }
    scl_3mf_package_free(&pkg);
    zip_stat_t zs;
    uint8_t *bytes = NULL;
    if (zip_source_stat(buf, &zs) != 0 || zip_source_open(buf) != 0) {
        zip_source_free(buf);
        return scl_error_set(err, SCL_EIO, "3MF: cannot read the archive back");
    }
    bytes = malloc(zs.size ? zs.size : 1);
    zip_int64_t got = bytes ? zip_source_read(buf, bytes, zs.size) : -1;
    zip_source_close(buf);
    zip_source_free(buf);
    if (got < 0 || (zip_uint64_t)got != zs.size) {
        free(bytes);
        return scl_error_set(err, bytes ? SCL_EIO : SCL_ENOMEM, "3MF: cannot read the archive back");
    }
    *out = bytes;
    *len = (size_t)zs.size;
    return SCL_OK;
}

scl_status scl_3mf_from_mesh_bytes(const uint8_t *data, size_t data_len, const char *title, uint8_t **out,
                                   size_t *len, scl_error *err)
{
    scl_mesh *mesh = NULL;
    scl_status st = scl_mesh_parse(data, data_len, SCL_MESH_AUTO, NULL, &mesh, err);
    if (st != SCL_OK)
        return st;
    st = scl_3mf_write(mesh, title, out, len, err);
    scl_mesh_destroy(mesh);
    return st;
}
