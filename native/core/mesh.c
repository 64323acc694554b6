/* mesh.c - see mesh.h. Parsers for binary STL, ASCII STL and OFF that
 * build an indexed mesh through one builder with an exact vertex hash. */
#include "mesh.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

#define DEFAULT_MAX_INPUT_BYTES ((size_t)1 << 30)
#define DEFAULT_MAX_TRIANGLES ((size_t)50 * 1000 * 1000)
#define STL_HEADER_BYTES 84
#define STL_FACET_BYTES 50
#define NUMBER_TOKEN_MAX 64
#define NO_VERTEX UINT32_MAX

/* OpenSCAD's default face colour, used for uncoloured faces of a coloured OFF. */
static const float DEFAULT_COLOR[4] = {249.0f / 255, 215.0f / 255, 44.0f / 255, 1.0f};

struct scl_mesh {
    float *positions;   /* 3 per vertex */
    uint32_t *indices;  /* 3 per triangle */
    float *colors;      /* 4 per triangle, or NULL */
    size_t vertex_count, vertex_cap;
    size_t triangle_count, triangle_cap;
    /* exact-match vertex hash: slots hold vertex indices, NO_VERTEX if empty */
    uint32_t *slots;
    size_t slot_cap; /* power of two */
    size_t max_triangles;
    int want_colors;
};

/* ------------------------------------------------------------------ builder */

static scl_status oom(scl_error *err)
{
    return scl_error_set(err, SCL_ENOMEM, "out of memory while building the mesh");
}

static uint32_t float_bits(float f)
{
    uint32_t u;
    if (f == 0.0f)
        f = 0.0f; /* -0.0 and 0.0 are the same vertex */
    memcpy(&u, &f, sizeof u);
    return u;
}

static size_t hash_vertex(uint32_t x, uint32_t y, uint32_t z)
{
    uint64_t h = (uint64_t)x * 0x9E3779B97F4A7C15ULL;
    h ^= (uint64_t)y * 0xC2B2AE3D27D4EB4FULL;
    h ^= (uint64_t)z * 0x165667B19E3779F9ULL;
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ULL;
    h ^= h >> 32;
    return (size_t)h;
}

static int rehash(scl_mesh *m, size_t new_cap)
{
    uint32_t *slots = malloc(new_cap * sizeof *slots);
    if (!slots)
        return -1;
    memset(slots, 0xff, new_cap * sizeof *slots);
    for (size_t v = 0; v < m->vertex_count; v++) {
        const float *p = m->positions + 3 * v;
        size_t i = hash_vertex(float_bits(p[0]), float_bits(p[1]), float_bits(p[2])) & (new_cap - 1);
        while (slots[i] != NO_VERTEX)
            i = (i + 1) & (new_cap - 1);
        slots[i] = (uint32_t)v;
    }
    free(m->slots);
    m->slots = slots;
    m->slot_cap = new_cap;
    return 0;
}

static scl_mesh *builder_new(size_t vertex_hint, size_t triangle_hint, size_t max_triangles)
{
    scl_mesh *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->max_triangles = max_triangles;
    m->vertex_cap = vertex_hint < 16 ? 16 : vertex_hint;
    m->triangle_cap = triangle_hint < 16 ? 16 : triangle_hint;
    m->positions = malloc(m->vertex_cap * 3 * sizeof(float));
    m->indices = malloc(m->triangle_cap * 3 * sizeof(uint32_t));
    size_t cap = 32;
    while (cap < m->vertex_cap * 2)
        cap <<= 1;
    if (!m->positions || !m->indices || rehash(m, cap) != 0) {
        scl_mesh_destroy(m);
        return NULL;
    }
    return m;
}

/* Index of vertex (x,y,z), adding it if new; NO_VERTEX on allocation failure. */
static uint32_t builder_vertex(scl_mesh *m, float x, float y, float z)
{
    uint32_t bx = float_bits(x), by = float_bits(y), bz = float_bits(z);
    size_t mask = m->slot_cap - 1;
    size_t i = hash_vertex(bx, by, bz) & mask;
    while (m->slots[i] != NO_VERTEX) {
        const float *p = m->positions + 3 * (size_t)m->slots[i];
        if (float_bits(p[0]) == bx && float_bits(p[1]) == by && float_bits(p[2]) == bz)
            return m->slots[i];
        i = (i + 1) & mask;
    }
    if (m->vertex_count >= UINT32_MAX - 1)
        return NO_VERTEX;
    float *positions = scl_grow(m->positions, &m->vertex_cap, m->vertex_count, 3 * sizeof(float), 16);
    if (!positions)
        return NO_VERTEX;
    m->positions = positions;
    uint32_t v = (uint32_t)m->vertex_count++;
    float *p = m->positions + 3 * (size_t)v;
    p[0] = x == 0.0f ? 0.0f : x;
    p[1] = y == 0.0f ? 0.0f : y;
    p[2] = z == 0.0f ? 0.0f : z;
    m->slots[i] = v;
    if (m->vertex_count * 2 > m->slot_cap && rehash(m, m->slot_cap * 2) != 0)
        return NO_VERTEX;
    return v;
}

/* Start keeping per-triangle colours: the triangles so far get the default. */
static int builder_enable_colors(scl_mesh *m)
{
    m->colors = malloc(m->triangle_cap * 4 * sizeof(float));
    if (!m->colors)
        return -1;
    for (size_t t = 0; t < m->triangle_count; t++)
        memcpy(m->colors + 4 * t, DEFAULT_COLOR, sizeof DEFAULT_COLOR);
    return 0;
}

/* Append a triangle; color may be NULL. Returns SCL_OK, SCL_ETOOBIG or SCL_ENOMEM. */
static scl_status builder_triangle(scl_mesh *m, uint32_t a, uint32_t b, uint32_t c, const float *color)
{
    if (m->triangle_count >= m->max_triangles)
        return SCL_ETOOBIG;
    if (m->triangle_count == m->triangle_cap) {
        size_t cap = m->triangle_cap * 2;
        uint32_t *idx = realloc(m->indices, cap * 3 * sizeof(uint32_t));
        if (!idx)
            return SCL_ENOMEM;
        m->indices = idx;
        if (m->colors) {
            float *col = realloc(m->colors, cap * 4 * sizeof(float));
            if (!col)
                return SCL_ENOMEM;
            m->colors = col;
        }
        m->triangle_cap = cap;
    }
    if (color && !m->colors && builder_enable_colors(m) != 0)
        return SCL_ENOMEM;
    size_t t = m->triangle_count++;
    m->indices[3 * t] = a;
    m->indices[3 * t + 1] = b;
    m->indices[3 * t + 2] = c;
    if (m->colors)
        memcpy(m->colors + 4 * t, color ? color : DEFAULT_COLOR, 4 * sizeof(float));
    return SCL_OK;
}

/* Drop the hash table and shrink the arrays to their final size. */
static void builder_finish(scl_mesh *m)
{
    free(m->slots);
    m->slots = NULL;
    m->slot_cap = 0;
    if (m->vertex_count && m->vertex_count < m->vertex_cap) {
        float *p = realloc(m->positions, m->vertex_count * 3 * sizeof(float));
        if (p) {
            m->positions = p;
            m->vertex_cap = m->vertex_count;
        }
    }
    if (m->triangle_count && m->triangle_count < m->triangle_cap) {
        uint32_t *idx = realloc(m->indices, m->triangle_count * 3 * sizeof(uint32_t));
        if (idx)
            m->indices = idx;
        if (m->colors) {
            float *col = realloc(m->colors, m->triangle_count * 4 * sizeof(float));
            if (col)
                m->colors = col;
        }
        m->triangle_cap = m->triangle_count;
    }
}

/* ------------------------------------------------------------ binary STL */

static uint32_t read_u32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static float read_f32le(const uint8_t *p)
{
    uint32_t u = read_u32le(p);
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static void write_u32le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void write_f32le(uint8_t *p, float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    write_u32le(p, u);
}

static scl_status parse_binstl(const uint8_t *data, size_t len, size_t max_triangles,
                               scl_mesh **out, scl_error *err)
{
    if (len < STL_HEADER_BYTES) {
        scl_error_set(err, SCL_EPARSE,
                      "binary STL truncated: %zu bytes, but the header alone needs 84", len);
        if (err)
            err->offset = (long long)len;
        return SCL_EPARSE;
    }
    uint32_t n = read_u32le(data + 80);
    if ((size_t)n > max_triangles)
        return scl_error_set(err, SCL_ETOOBIG,
                             "binary STL declares %u triangles, more than the limit of %zu",
                             n, max_triangles);
    size_t need = STL_HEADER_BYTES + (size_t)n * STL_FACET_BYTES; /* n <= limit: no overflow */
    if (len != need) {
        scl_error_set(err, SCL_EPARSE,
                      "binary STL declares %u triangles (%zu bytes) but has %zu bytes%s",
                      n, need, len, len < need ? " (truncated)" : " (trailing data)");
        if (err)
            err->offset = (long long)(len < need ? len : need);
        return SCL_EPARSE;
    }
    scl_mesh *m = builder_new((size_t)n / 2 + 16, n, max_triangles);
    if (!m)
        return oom(err);
    for (uint32_t t = 0; t < n; t++) {
        const uint8_t *f = data + STL_HEADER_BYTES + (size_t)t * STL_FACET_BYTES + 12;
        uint32_t v[3];
        for (int k = 0; k < 3; k++) {
            float x = read_f32le(f + 12 * k), y = read_f32le(f + 12 * k + 4),
                  z = read_f32le(f + 12 * k + 8);
            if (!isfinite(x) || !isfinite(y) || !isfinite(z)) {
                scl_mesh_destroy(m);
                scl_error_set(err, SCL_EPARSE,
                              "binary STL triangle %u has a non-finite coordinate (NaN or Inf)", t);
                if (err)
                    err->offset = (long long)(f - data) + 12 * k;
                return SCL_EPARSE;
            }
            v[k] = builder_vertex(m, x, y, z);
            if (v[k] == NO_VERTEX) {
                scl_mesh_destroy(m);
                return oom(err);
            }
        }
        scl_status st = builder_triangle(m, v[0], v[1], v[2], NULL);
        if (st != SCL_OK) {
            scl_mesh_destroy(m);
            return st == SCL_ENOMEM ? oom(err) : scl_error_set(err, st, "too many triangles");
        }
    }
    builder_finish(m);
    *out = m;
    return SCL_OK;
}

/* ---------------------------------------------------------- text scanner */

typedef struct text_scanner {
    const uint8_t *data;
    size_t len, pos;
    long line;
    char comment; /* comment introducer to skip to end of line, or 0 */
} text_scanner;

typedef struct token {
    const uint8_t *start;
    size_t len;
    long line;
} token;

static int is_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

/* Skip blanks (and newlines only if cross_lines). Returns 1 if at a token. */
static int skip_blank(text_scanner *s, int cross_lines)
{
    while (s->pos < s->len) {
        uint8_t c = s->data[s->pos];
        if (c == '\n') {
            if (!cross_lines)
                return 0;
            s->line++;
            s->pos++;
        } else if (is_space(c)) {
            s->pos++;
        } else if (s->comment && c == (uint8_t)s->comment) {
            while (s->pos < s->len && s->data[s->pos] != '\n')
                s->pos++;
        } else {
            return 1;
        }
    }
    return 0;
}

/* Next whitespace-separated token; 0 at end of input (or of line). */
static int next_token(text_scanner *s, token *t, int cross_lines)
{
    t->start = NULL;
    t->len = 0;
    t->line = s->line;
    if (!skip_blank(s, cross_lines))
        return 0;
    t->start = s->data + s->pos;
    t->line = s->line;
    while (s->pos < s->len && !is_space(s->data[s->pos]) &&
           !(s->comment && s->data[s->pos] == (uint8_t)s->comment))
        s->pos++;
    t->len = (size_t)(s->data + s->pos - t->start);
    return 1;
}

static void skip_line(text_scanner *s)
{
    while (s->pos < s->len && s->data[s->pos] != '\n')
        s->pos++;
}

static int token_is(const token *t, const char *word)
{
    size_t n = strlen(word);
    return t->len == n && memcmp(t->start, word, n) == 0;
}

/* Token as a finite double (bounded copy: the input is not NUL-terminated). */
static int token_double(const token *t, double *out)
{
    char buf[NUMBER_TOKEN_MAX];
    if (t->len == 0 || t->len >= sizeof buf)
        return 0;
    memcpy(buf, t->start, t->len);
    buf[t->len] = 0;
    char *end;
    double d = strtod(buf, &end);
    if (end != buf + t->len || !isfinite(d))
        return 0;
    *out = d;
    return 1;
}

static int token_float(const token *t, float *out)
{
    double d;
    if (!token_double(t, &d) || fabs(d) > 3.4028234663852886e38)
        return 0;
    *out = (float)d;
    return 1;
}

/* Token as an unsigned integer no larger than max. */
static int token_size(const token *t, size_t max, size_t *out)
{
    if (t->len == 0 || t->len > 20)
        return 0;
    size_t v = 0;
    for (size_t i = 0; i < t->len; i++) {
        uint8_t c = t->start[i];
        if (c < '0' || c > '9')
            return 0;
        if (v > (max - (c - '0')) / 10)
            return 0;
        v = v * 10 + (c - '0');
    }
    *out = v;
    return 1;
}

static scl_status text_error(scl_error *err, scl_status code, long line, const char *what,
                             const token *t)
{
    if (t && t->len) {
        int shown = t->len > 32 ? 32 : (int)t->len;
        return scl_error_at(err, code, line, 0, "%s at line %ld, found '%.*s'%s", what, line,
                            shown, (const char *)t->start, t->len > 32 ? "..." : "");
    }
    return scl_error_at(err, code, line, 0, "%s at line %ld", what, line);
}

/* ------------------------------------------------------------- ASCII STL */

/* The next keyword inside a block of `item`s that `end` closes (facets and
 * endsolid, vertices and endloop): *more is 1 for `item`, 0 for `end`;
 * anything else, or the input ending (`truncated` says where), is SCL_EPARSE. */
static scl_status block_keyword(text_scanner *s, token *t, const char *item, const char *end,
                                const char *truncated, int *more, scl_error *err)
{
    if (!next_token(s, t, 1))
        return text_error(err, SCL_EPARSE, s->line, truncated, NULL);
    *more = !token_is(t, end);
    if (*more && !token_is(t, item)) {
        char what[64];
        snprintf(what, sizeof what, "ASCII STL: expected '%s' or '%s'", item, end);
        return text_error(err, SCL_EPARSE, t->line, what, t);
    }
    return SCL_OK;
}

static scl_status parse_asciistl(const uint8_t *data, size_t len, size_t max_triangles,
                                 scl_mesh **out, scl_error *err)
{
    text_scanner s = {data, len, 0, 1, 0};
    token t;
    if (!next_token(&s, &t, 1) || !token_is(&t, "solid"))
        return text_error(err, SCL_EPARSE, s.line, "ASCII STL must start with 'solid'", &t);
    skip_line(&s); /* the solid's name, possibly empty or with spaces */
    scl_mesh *m = builder_new(1024, 1024, max_triangles);
    if (!m)
        return oom(err);
    scl_status st = SCL_OK;
    for (;;) {
        int more;
        if ((st = block_keyword(&s, &t, "facet", "endsolid", "ASCII STL truncated: missing 'endsolid'", &more,
                                err)) != SCL_OK)
            goto fail;
        if (!more)
            break;
        skip_line(&s); /* "normal nx ny nz": recomputed, not trusted */
        if (!next_token(&s, &t, 1) || !token_is(&t, "outer") || !next_token(&s, &t, 0) ||
            !token_is(&t, "loop")) {
            st = text_error(err, SCL_EPARSE, s.line, "ASCII STL: expected 'outer loop'", &t);
            goto fail;
        }
        uint32_t first = NO_VERTEX, prev = NO_VERTEX;
        int corners = 0;
        for (;;) {
            if ((st = block_keyword(&s, &t, "vertex", "endloop", "ASCII STL truncated inside a facet", &more,
                                    err)) != SCL_OK)
                goto fail;
            if (!more)
                break;
            float xyz[3];
            for (int k = 0; k < 3; k++) {
                if (!next_token(&s, &t, 0) || !token_float(&t, &xyz[k])) {
                    st = text_error(err, SCL_EPARSE, s.line,
                                    "ASCII STL: expected a finite vertex coordinate", &t);
                    goto fail;
                }
            }
            uint32_t v = builder_vertex(m, xyz[0], xyz[1], xyz[2]);
            if (v == NO_VERTEX) {
                st = oom(err);
                goto fail;
            }
            if (corners == 0)
                first = v;
            else if (corners >= 2 && (st = builder_triangle(m, first, prev, v, NULL)) != SCL_OK)
                goto tri_fail;
            prev = v;
            corners++;
        }
        if (corners < 3) {
            st = text_error(err, SCL_EPARSE, t.line, "ASCII STL: a facet needs at least 3 vertices", NULL);
            goto fail;
        }
        if (!next_token(&s, &t, 1) || !token_is(&t, "endfacet")) {
            st = text_error(err, SCL_EPARSE, s.line, "ASCII STL: expected 'endfacet'", &t);
            goto fail;
        }
    }
    builder_finish(m);
    *out = m;
    return SCL_OK;
tri_fail:
    if (st == SCL_ENOMEM)
        oom(err);
    else
        scl_error_at(err, st, t.line, 0, "ASCII STL has more than the limit of %zu triangles",
                     max_triangles);
fail:
    scl_mesh_destroy(m);
    return st;
}

/* ------------------------------------------------------------------- OFF */

static scl_status parse_off(const uint8_t *data, size_t len, size_t max_triangles,
                            scl_mesh **out, scl_error *err)
{
    text_scanner s = {data, len, 0, 1, '#'};
    token t;
    if (!next_token(&s, &t, 1))
        return text_error(err, SCL_EPARSE, s.line, "OFF file is empty", NULL);
    /* "OFF", "COFF" (vertex colours, ignored), or "OFF24 36 0" is not valid */
    if (!token_is(&t, "OFF") && !token_is(&t, "COFF"))
        return text_error(err, SCL_EPARSE, t.line, "OFF file must start with 'OFF' or 'COFF'", &t);
    size_t counts[3];
    for (int k = 0; k < 3; k++) {
        if (!next_token(&s, &t, 1) || !token_size(&t, (size_t)UINT32_MAX - 1, &counts[k]))
            return text_error(err, SCL_EPARSE, s.line,
                              "OFF header: expected vertex, face and edge counts", &t);
    }
    size_t nv = counts[0], nf = counts[1];
    /* Each vertex needs at least 6 bytes ("0 0 0\n"), each face at least 8 ("3 0 0 0\n"):
     * reject counts the input cannot hold before allocating for them. */
    if (nv > len / 6 + 1 || nf > len / 8 + 1)
        return scl_error_at(err, SCL_EPARSE, s.line, 0,
                            "OFF header declares %zu vertices and %zu faces, more than %zu bytes "
                            "can hold (truncated file?)", nv, nf, len);
    if (nf > max_triangles)
        return scl_error_at(err, SCL_ETOOBIG, s.line, 0,
                            "OFF declares %zu faces, more than the limit of %zu triangles", nf,
                            max_triangles);
    uint32_t *remap = malloc((nv ? nv : 1) * sizeof *remap);
    scl_mesh *m = builder_new(nv, nf, max_triangles);
    scl_status st = SCL_OK;
    if (!remap || !m) {
        st = oom(err);
        goto fail;
    }
    for (size_t v = 0; v < nv; v++) {
        float xyz[3];
        for (int k = 0; k < 3; k++) {
            if (!next_token(&s, &t, k == 0) || !token_float(&t, &xyz[k])) {
                st = text_error(err, SCL_EPARSE, s.line,
                                "OFF: expected three finite vertex coordinates", &t);
                goto fail;
            }
        }
        skip_line(&s); /* COFF colour or extra data */
        remap[v] = builder_vertex(m, xyz[0], xyz[1], xyz[2]);
        if (remap[v] == NO_VERTEX) {
            st = oom(err);
            goto fail;
        }
    }
    for (size_t f = 0; f < nf; f++) {
        size_t n;
        if (!next_token(&s, &t, 1) || !token_size(&t, 1u << 20, &n) || n < 3) {
            st = text_error(err, SCL_EPARSE, s.line,
                            "OFF: expected a face with a vertex count of at least 3", &t);
            goto fail;
        }
        long face_line = t.line;
        uint32_t first = NO_VERTEX, prev = NO_VERTEX;
        /* the face's triangles are added now; its colour, read after the
         * indices, is set on them afterwards */
        size_t start_tri = m->triangle_count;
        for (size_t k = 0; k < n; k++) {
            size_t idx;
            if (!next_token(&s, &t, 0) || !token_size(&t, (size_t)UINT32_MAX, &idx)) {
                st = text_error(err, SCL_EPARSE, face_line, "OFF: expected a vertex index", &t);
                goto fail;
            }
            if (idx >= nv) {
                st = scl_error_at(err, SCL_EPARSE, face_line, 0,
                                  "OFF: face %zu at line %ld uses vertex %zu but there are only %zu",
                                  f, face_line, idx, nv);
                goto fail;
            }
            uint32_t v = remap[idx];
            if (k == 0)
                first = v;
            else if (k >= 2) {
                st = builder_triangle(m, first, prev, v, NULL);
                if (st != SCL_OK)
                    goto tri_fail;
            }
            prev = v;
        }
        /* optional colour: 3 or 4 components, ints 0-255 or floats 0-1 */
        float rgba[4] = {0, 0, 0, 1};
        int ncomp = 0, is_float = 0;
        double comp[4];
        while (next_token(&s, &t, 0)) {
            if (ncomp == 4 || !token_double(&t, &comp[ncomp])) {
                st = text_error(err, SCL_EPARSE, face_line, "OFF: bad colour after face indices", &t);
                goto fail;
            }
            if (memchr(t.start, '.', t.len) || memchr(t.start, 'e', t.len))
                is_float = 1;
            ncomp++;
        }
        if (ncomp == 1 || ncomp == 2) {
            st = scl_error_at(err, SCL_EPARSE, face_line, 0,
                              "OFF: face at line %ld has %d colour components; expected 3 or 4",
                              face_line, ncomp);
            goto fail;
        }
        if (ncomp) {
            for (int k = 0; k < ncomp; k++) {
                double c = is_float ? comp[k] : comp[k] / 255.0;
                if (c < 0 || c > 1) {
                    st = scl_error_at(err, SCL_EPARSE, face_line, 0,
                                      "OFF: colour component out of range at line %ld", face_line);
                    goto fail;
                }
                rgba[k] = (float)c;
            }
            if (!m->colors && builder_enable_colors(m) != 0) {
                st = oom(err);
                goto fail;
            }
            for (size_t i = start_tri; i < m->triangle_count; i++)
                memcpy(m->colors + 4 * i, rgba, sizeof rgba);
        }
    }
    free(remap);
    builder_finish(m);
    *out = m;
    return SCL_OK;
tri_fail:
    if (st == SCL_ENOMEM)
        oom(err);
    else
        scl_error_set(err, st, "OFF has more than the limit of %zu triangles", max_triangles);
fail:
    free(remap);
    scl_mesh_destroy(m);
    return st;
}

/* ------------------------------------------------------------ public API */

scl_mesh_format scl_mesh_detect(const uint8_t *data, size_t len)
{
    if (!data)
        return SCL_MESH_AUTO;
    if (len >= STL_HEADER_BYTES) {
        uint32_t n = read_u32le(data + 80);
        if ((uint64_t)STL_HEADER_BYTES + (uint64_t)n * STL_FACET_BYTES == len)
            return SCL_MESH_BINSTL;
    }
    text_scanner s = {data, len < 4096 ? len : 4096, 0, 1, '#'};
    token t;
    if (next_token(&s, &t, 1)) {
        if (token_is(&t, "OFF") || token_is(&t, "COFF"))
            return SCL_MESH_OFF;
        if (token_is(&t, "solid"))
            return SCL_MESH_ASCIISTL;
    }
    return SCL_MESH_AUTO;
}

const char *scl_mesh_format_name(scl_mesh_format fmt)
{
    switch (fmt) {
    case SCL_MESH_BINSTL: return "binstl";
    case SCL_MESH_ASCIISTL: return "asciistl";
    case SCL_MESH_OFF: return "off";
    case SCL_MESH_AUTO: break;
    }
    return "auto";
}

scl_status scl_mesh_parse(const uint8_t *data, size_t len, scl_mesh_format fmt,
                          const scl_mesh_limits *limits, scl_mesh **out, scl_error *err)
{
    if (!out || (!data && len))
        return scl_error_set(err, SCL_EINVAL, "scl_mesh_parse: NULL argument");
    *out = NULL;
    scl_error_clear(err);
    size_t max_bytes = limits && limits->max_input_bytes ? limits->max_input_bytes
                                                         : DEFAULT_MAX_INPUT_BYTES;
    size_t max_tris = limits && limits->max_triangles ? limits->max_triangles
                                                      : DEFAULT_MAX_TRIANGLES;
    if (len > max_bytes)
        return scl_error_set(err, SCL_ETOOBIG, "mesh input is %zu bytes, more than the limit of %zu",
                             len, max_bytes);
    if (fmt == SCL_MESH_AUTO)
        fmt = scl_mesh_detect(data, len);
    switch (fmt) {
    case SCL_MESH_BINSTL: return parse_binstl(data, len, max_tris, out, err);
    case SCL_MESH_ASCIISTL: return parse_asciistl(data, len, max_tris, out, err);
    case SCL_MESH_OFF: return parse_off(data, len, max_tris, out, err);
    case SCL_MESH_AUTO: break;
    }
    return scl_error_set(err, SCL_EPARSE,
                         "not a mesh: neither binary STL (size must be 84 + 50 * triangles), "
                         "ASCII STL ('solid ...') nor OFF");
}

scl_status scl_mesh_from_arrays(const float *positions, size_t vertex_count,
                                const uint32_t *indices, size_t triangle_count,
                                const float *face_colors, scl_mesh **out, scl_error *err)
{
    if (!out || (vertex_count && !positions) || (triangle_count && !indices))
        return scl_error_set(err, SCL_EINVAL, "scl_mesh_from_arrays: NULL argument");
    *out = NULL;
    for (size_t i = 0; i < 3 * triangle_count; i++)
        if (indices[i] >= vertex_count)
            return scl_error_set(err, SCL_EINVAL, "index %u at position %zu is out of range (%zu vertices)",
                                 indices[i], i, vertex_count);
    scl_mesh *m = calloc(1, sizeof *m);
    if (!m)
        return oom(err);
    m->positions = malloc((vertex_count ? vertex_count : 1) * 3 * sizeof(float));
    m->indices = malloc((triangle_count ? triangle_count : 1) * 3 * sizeof(uint32_t));
    m->colors = face_colors ? malloc((triangle_count ? triangle_count : 1) * 4 * sizeof(float)) : NULL;
    if (!m->positions || !m->indices || (face_colors && !m->colors)) {
        scl_mesh_destroy(m);
        return oom(err);
    }
    if (vertex_count)
        memcpy(m->positions, positions, vertex_count * 3 * sizeof(float));
    if (triangle_count)
        memcpy(m->indices, indices, triangle_count * 3 * sizeof(uint32_t));
    if (face_colors && triangle_count)
        memcpy(m->colors, face_colors, triangle_count * 4 * sizeof(float));
    m->vertex_count = m->vertex_cap = vertex_count;
    m->triangle_count = m->triangle_cap = triangle_count;
    *out = m;
    return SCL_OK;
}

void scl_mesh_destroy(scl_mesh *mesh)
{
    if (!mesh)
        return;
    free(mesh->positions);
    free(mesh->indices);
    free(mesh->colors);
    free(mesh->slots);
    free(mesh);
}

size_t scl_mesh_vertex_count(const scl_mesh *mesh) { return mesh ? mesh->vertex_count : 0; }
size_t scl_mesh_triangle_count(const scl_mesh *mesh) { return mesh ? mesh->triangle_count : 0; }
const float *scl_mesh_positions(const scl_mesh *mesh) { return mesh ? mesh->positions : NULL; }
const uint32_t *scl_mesh_indices(const scl_mesh *mesh) { return mesh ? mesh->indices : NULL; }
const float *scl_mesh_face_colors(const scl_mesh *mesh) { return mesh ? mesh->colors : NULL; }

size_t scl_mesh_bytes(const scl_mesh *mesh)
{
    if (!mesh)
        return 0;
    return mesh->vertex_cap * 3 * sizeof(float) + mesh->triangle_cap * 3 * sizeof(uint32_t) +
           (mesh->colors ? mesh->triangle_cap * 4 * sizeof(float) : 0) +
           mesh->slot_cap * sizeof(uint32_t);
}

/* Watertight: every directed edge appears once and its reverse appears once. */
static int is_watertight(const scl_mesh *m)
{
    size_t nedges = m->triangle_count * 3;
    if (nedges == 0)
        return 0;
    size_t cap = 64;
    while (cap < nedges * 2)
        cap <<= 1;
    uint64_t *keys = malloc(cap * sizeof *keys);
    if (!keys)
        return 0;
    memset(keys, 0xff, cap * sizeof *keys);
    int ok = 1;
    /* insert every directed edge; a duplicate directed edge is already non-manifold */
    for (size_t e = 0; e < nedges && ok; e++) {
        size_t t = e / 3, k = e % 3;
        uint64_t a = m->indices[3 * t + k], b = m->indices[3 * t + (k + 1) % 3];
        if (a == b) {
            ok = 0;
            break;
        }
        uint64_t key = a << 32 | b;
        size_t i = hash_vertex((uint32_t)a, (uint32_t)b, 0) & (cap - 1);
        while (keys[i] != UINT64_MAX) {
            if (keys[i] == key) {
                ok = 0;
                break;
            }
            i = (i + 1) & (cap - 1);
        }
        keys[i] = key;
    }
    /* every directed edge must have its reverse */
    for (size_t e = 0; e < nedges && ok; e++) {
        size_t t = e / 3, k = e % 3;
        uint64_t a = m->indices[3 * t + k], b = m->indices[3 * t + (k + 1) % 3];
        uint64_t key = b << 32 | a;
        size_t i = hash_vertex((uint32_t)b, (uint32_t)a, 0) & (cap - 1);
        int found = 0;
        while (keys[i] != UINT64_MAX) {
            if (keys[i] == key) {
                found = 1;
                break;
            }
            i = (i + 1) & (cap - 1);
        }
        ok = found;
    }
    free(keys);
    return ok;
}

void scl_mesh_get_stats(const scl_mesh *mesh, scl_mesh_stats *out)
{
    memset(out, 0, sizeof *out);
    if (!mesh)
        return;
    out->vertices = mesh->vertex_count;
    out->triangles = mesh->triangle_count;
    out->has_colors = mesh->colors != NULL;
    for (size_t v = 0; v < mesh->vertex_count; v++)
        for (int k = 0; k < 3; k++) {
            double c = mesh->positions[3 * v + k];
            if (v == 0 || c < out->min[k])
                out->min[k] = c;
            if (v == 0 || c > out->max[k])
                out->max[k] = c;
        }
    double area = 0, volume = 0;
    for (size_t t = 0; t < mesh->triangle_count; t++) {
        const float *a = mesh->positions + 3 * (size_t)mesh->indices[3 * t];
        const float *b = mesh->positions + 3 * (size_t)mesh->indices[3 * t + 1];
        const float *c = mesh->positions + 3 * (size_t)mesh->indices[3 * t + 2];
        double u[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]};
        double w[3] = {c[0] - a[0], c[1] - a[1], c[2] - a[2]};
        double n[3] = {u[1] * w[2] - u[2] * w[1], u[2] * w[0] - u[0] * w[2], u[0] * w[1] - u[1] * w[0]};
        area += 0.5 * sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
        /* signed volume of the tetrahedron (origin, a, b, c) */
        volume += ((double)a[0] * ((double)b[1] * c[2] - (double)b[2] * c[1]) -
                   (double)a[1] * ((double)b[0] * c[2] - (double)b[2] * c[0]) +
                   (double)a[2] * ((double)b[0] * c[1] - (double)b[1] * c[0])) / 6.0;
    }
    out->area = area;
    out->volume = volume;
    out->watertight = is_watertight(mesh);
}

scl_status scl_mesh_write_binstl(const scl_mesh *mesh, uint8_t **out, size_t *len, scl_error *err)
{
    if (!mesh || !out || !len)
        return scl_error_set(err, SCL_EINVAL, "scl_mesh_write_binstl: NULL argument");
    if (mesh->triangle_count > UINT32_MAX)
        return scl_error_set(err, SCL_ETOOBIG, "binary STL holds at most 2^32-1 triangles");
    size_t size = STL_HEADER_BYTES + mesh->triangle_count * STL_FACET_BYTES;
    uint8_t *buf = calloc(1, size);
    if (!buf)
        return oom(err);
    static const char header[] = "binary STL written by scadlive";
    memcpy(buf, header, sizeof header - 1);
    write_u32le(buf + 80, (uint32_t)mesh->triangle_count);
    for (size_t t = 0; t < mesh->triangle_count; t++) {
        uint8_t *f = buf + STL_HEADER_BYTES + t * STL_FACET_BYTES;
        const float *v[3];
        for (int k = 0; k < 3; k++)
            v[k] = mesh->positions + 3 * (size_t)mesh->indices[3 * t + k];
        double u[3], w[3], n[3];
        for (int k = 0; k < 3; k++) {
            u[k] = v[1][k] - v[0][k];
            w[k] = v[2][k] - v[0][k];
        }
        n[0] = u[1] * w[2] - u[2] * w[1];
        n[1] = u[2] * w[0] - u[0] * w[2];
        n[2] = u[0] * w[1] - u[1] * w[0];
        double l = sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
        for (int k = 0; k < 3; k++)
            write_f32le(f + 4 * k, l > 0 ? (float)(n[k] / l) : 0.0f);
        for (int c = 0; c < 3; c++)
            for (int k = 0; k < 3; k++)
                write_f32le(f + 12 + 12 * c + 4 * k, v[c][k]);
    }
    *out = buf;
    *len = size;
    return SCL_OK;
}
