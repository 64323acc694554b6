/* deps.c - see deps.h. */
#define _GNU_SOURCE
#include "deps.h"
#include "fileio.h"
#include "scadrefs.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_FILES 2000
#define MAX_TOTAL ((long long)64 << 20)

typedef struct ctx {
    json_t *list;  /* result */
    json_t *seen;  /* abs path -> true */
    json_t *roots; /* library roots, in search order */
    char base[PATH_MAX];
    long long total;
    scl_error *err;
    scl_status st;
} ctx;

static int is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static void visit(ctx *c, const char *text, const char *dir, const char *key_dir, int depth);

/* Resolve `ref` seen in a file in `dir` (whose key directory is key_dir). */
static void add(ctx *c, const char *ref, const char *dir, const char *key_dir, int depth)
{
    if (c->st != SCL_OK || !*ref)
        return;
    char cand[PATH_MAX * 2], key[PATH_MAX * 2], abs[PATH_MAX];
    int found = 0;
    if (ref[0] == '/') {
        snprintf(cand, sizeof cand, "%s", ref);
        found = is_file(cand);
        key[0] = 0;
    } else {
        snprintf(cand, sizeof cand, "%s/%s", dir, ref);
        if ((found = is_file(cand)))
            snprintf(key, sizeof key, "%s%s%s", key_dir, *key_dir ? "/" : "", ref);
    }
    for (size_t r = 0; !found && ref[0] != '/' && r < json_array_size(c->roots); r++) {
        snprintf(cand, sizeof cand, "%s/%s", json_string_value(json_array_get(c->roots, r)), ref);
        if ((found = is_file(cand)))
            snprintf(key, sizeof key, "%s", ref);
    }
    if (!found || !realpath(cand, abs))
        return; /* OpenSCAD reports the missing file itself, with its line */
    if (json_object_get(c->seen, abs))
        return;
    if (json_object_set_new(c->seen, abs, json_true()) != 0) {
        c->st = scl_error_set(c->err, SCL_ENOMEM, "out of memory");
        return;
    }
    /* a key must stay inside the model's directory tree: an absolute or
     * "../" reference into the tree gets its path in the tree; a library
     * file keeps its library-relative key even when the library folder is
     * inside the tree (OpenSCAD finds it there by that name) */
    size_t bl = strlen(c->base);
    if ((!key[0] || strstr(key, "..")) && !strncmp(abs, c->base, bl) && abs[bl] == '/')
        snprintf(key, sizeof key, "%s", abs + bl + 1);
    if (!key[0] || strstr(key, "..") || key[0] == '/') {
        c->st = scl_error_set(c->err, SCL_EINVAL,
                              "%s is outside the model's directory and not in a library path; "
                              "copy it next to the model, or put it in a library folder (library_path, OPENSCADPATH, "
                              "~/.local/share/OpenSCAD/libraries)", abs);
        return;
    }
    if (json_array_size(c->list) >= MAX_FILES) {
        c->st = scl_error_set(c->err, SCL_ETOOBIG, "the model needs more than %d files", MAX_FILES);
        return;
    }
    /* an unreadable file is still listed (the caller reports it); one over
     * the total on its own counts as too large */
    uint8_t *bytes = NULL;
    size_t len = 0;
    scl_status rs = scl_file_read(abs, (size_t)MAX_TOTAL, &bytes, &len, NULL);
    char *text = rs == SCL_OK ? (char *)bytes : NULL;
    c->total += rs == SCL_ETOOBIG ? MAX_TOTAL + 1 : (long long)len;
    if (c->total > MAX_TOTAL) {
        free(text);
        c->st = scl_error_set(c->err, SCL_ETOOBIG, "the files the model needs exceed 64 MiB");
        return;
    }
    if (json_array_append_new(c->list, json_pack("{s:s,s:s}", "path", key, "abs", abs)) != 0) {
        free(text);
        c->st = scl_error_set(c->err, SCL_ENOMEM, "out of memory");
        return;
    }
    size_t kl = strlen(key);
    if (text && kl > 5 && !strcmp(key + kl - 5, ".scad") && depth < 64) {
        char sub_dir[PATH_MAX], sub_key[PATH_MAX * 2];
        snprintf(sub_dir, sizeof sub_dir, "%s", abs);
        char *slash = strrchr(sub_dir, '/');
        if (slash)
            *slash = 0;
        snprintf(sub_key, sizeof sub_key, "%s", key);
        slash = strrchr(sub_key, '/');
        if (slash)
            *slash = 0;
        else
            sub_key[0] = 0;
        visit(c, text, sub_dir, sub_key, depth + 1);
    }
    free(text);
}

/* Follow each file `t` names (scadrefs.h). */
typedef struct visit_at {
    ctx *c;
    const char *dir, *key_dir;
    int depth;
} visit_at;

static int visit_ref(void *user, const char *ref)
{
    visit_at *at = user;
    add(at->c, ref, at->dir, at->key_dir, at->depth);
    return at->c->st != SCL_OK;
}

static void visit(ctx *c, const char *t, const char *dir, const char *key_dir, int depth)
{
    visit_at at = {c, dir, key_dir, depth};
    scl_scadrefs_scan(t, visit_ref, &at);
}

/* 0, or -1 when memory runs out */
static int add_roots(json_t *roots, const char *list)
{
    if (!list || !*list)
        return 0;
    char *copy = strdup(list), *save = NULL;
    int rc = copy ? 0 : -1;
    for (char *tok = copy ? strtok_r(copy, ":", &save) : NULL; tok; tok = strtok_r(NULL, ":", &save))
        rc |= json_array_append_new(roots, json_string(tok));
    free(copy);
    return rc;
}

json_t *scl_deps_library_roots(const char *library_path)
{
    json_t *roots = json_array();
    int rc = add_roots(roots, library_path);
    rc |= add_roots(roots, getenv("OPENSCADPATH"));
    char user[PATH_MAX];
    const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
    if (xdg && *xdg) {
        snprintf(user, sizeof user, "%s/OpenSCAD/libraries", xdg);
        rc |= json_array_append_new(roots, json_string(user));
    } else if (home && *home) {
        snprintf(user, sizeof user, "%s/.local/share/OpenSCAD/libraries", home);
        rc |= json_array_append_new(roots, json_string(user));
    }
    const char *scadlive_home = getenv("SCADLIVE_HOME"); /* the Python package's own, with MCAD */
    if (scadlive_home && *scadlive_home) {
        snprintf(user, sizeof user, "%s/libraries", scadlive_home);
        rc |= json_array_append_new(roots, json_string(user));
    }
    rc |= json_array_append_new(roots, json_string("/usr/local/share/openscad/libraries"));
    rc |= json_array_append_new(roots, json_string("/usr/share/openscad/libraries"));
    if (rc != 0) { /* out of memory: no list rather than one missing a root */
        json_decref(roots);
        return NULL;
    }
    return roots;
}

scl_status scl_deps_collect(const char *source, const char *base_dir, const char *library_path, json_t **out,
                            scl_error *err)
{
    ctx c = {json_array(), json_object(), scl_deps_library_roots(library_path), "", 0, err, SCL_OK};
    if (!c.list || !c.seen || !c.roots) {
        json_decref(c.list);
        json_decref(c.seen);
        json_decref(c.roots);
        return scl_error_set(err, SCL_ENOMEM, "out of memory");
    }
    if (!realpath(base_dir ? base_dir : ".", c.base)) {
        json_decref(c.list);
        json_decref(c.seen);
        json_decref(c.roots);
        return scl_error_set(err, SCL_EIO, "cannot resolve %s", base_dir);
    }
    visit(&c, source, c.base, "", 0);
    json_decref(c.seen);
    json_decref(c.roots);
    if (c.st != SCL_OK) {
        json_decref(c.list);
        return c.st;
    }
    *out = c.list;
    return SCL_OK;
}
