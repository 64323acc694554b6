/* fileio.c - see fileio.h. */

#define _GNU_SOURCE
#include "fileio.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

scl_status scl_file_read(const char *path, size_t max_bytes, uint8_t **out, size_t *len, scl_error *err)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f)
        return scl_error_set(err, SCL_EIO, "%s: %s", path, strerror(errno));
    size_t cap = 65536, n = 0;
    uint8_t *buf = malloc(cap + 1);
    if (!buf) {
        if (f != stdin)
            fclose(f);
        return scl_error_set(err, SCL_ENOMEM, "out of memory reading %s", path);
    }
    for (;;) {
        if (n == cap) {
            if (cap >= max_bytes) {
                free(buf);
                if (f != stdin)
                    fclose(f);
                return scl_error_set(err, SCL_ETOOBIG, "%s is larger than %zu bytes", path, max_bytes);
            }
            cap = cap * 2 > max_bytes ? max_bytes : cap * 2;
            uint8_t *nb = realloc(buf, cap + 1);
            if (!nb) {
                free(buf);
                if (f != stdin)
                    fclose(f);
                return scl_error_set(err, SCL_ENOMEM, "out of memory reading %s", path);
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    int failed = ferror(f);
    if (f != stdin)
        fclose(f);
    if (failed) {
        free(buf);
        return scl_error_set(err, SCL_EIO, "%s: read error", path);
    }
    buf[n] = 0;
    *out = buf;
    *len = n;
    return SCL_OK;
}

scl_status scl_file_write(const char *path, const uint8_t *data, size_t len, scl_error *err)
{
    if (!strcmp(path, "-")) {
        if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0)
            return scl_error_set(err, SCL_EIO, "writing to stdout failed");
        return SCL_OK;
    }
    size_t plen = strlen(path) + 32;
    char *tmp = malloc(plen);
    if (!tmp)
        return scl_error_set(err, SCL_ENOMEM, "out of memory");
    snprintf(tmp, plen, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        scl_error_set(err, SCL_EIO, "%s: %s", path, strerror(errno));
        free(tmp);
        return SCL_EIO;
    }
    int ok = fwrite(data, 1, len, f) == len;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        scl_error_set(err, SCL_EIO, "%s: %s", path, strerror(errno));
        remove(tmp);
        free(tmp);
        return SCL_EIO;
    }
    free(tmp);
    return SCL_OK;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

int scl_remove_tree(const char *path)
{
    if (!path || !*path)
        return 0;
    return nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) == 0 || errno == ENOENT ? 0 : -1;
}

scl_status scl_make_temp_dir(const char *prefix, char *out, size_t cap, scl_error *err)
{
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp)
        tmp = "/tmp";
    if ((size_t)snprintf(out, cap, "%s/%sXXXXXX", tmp, prefix) >= cap)
        return scl_error_set(err, SCL_ETOOBIG, "the temporary directory path %s/%s... is too long", tmp, prefix);
    if (!mkdtemp(out))
        return scl_error_set(err, SCL_EIO, "cannot create a temporary directory in %s: %s", tmp, strerror(errno));
    return SCL_OK;
}
