/* threemf.c - see threemf.h. */
#include "threemf.h"
#include "strbuf.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef scl_strbuf text;

static void reserve(text *t, size_t more) { scl_strbuf_reserve(t, more); }
static void put(text *t, const char *s) { scl_strbuf_puts(t, s); }

static void putf(text *t, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void putf(text *t, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof buf) {
        t->oom = 1; /* only short, fixed formats are used here */
        return;
    }
    put(t, buf);
}

static void put_escaped(text *t, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': put(t, "&amp;"); break;
        case '<': put(t, "&lt;"); break;
        case '>': put(t, "&gt;"); break;
        case '"': put(t, "&quot;"); break;
        case '\'': put(t, "&apos;"); break;
        default:
            if ((unsigned char)*s < 0x20 && *s != '\t' && *s != '\n' && *s != '\r')
                continue; /* not allowed in XML 1.0 */
            {
                char c[2] = {*s, 0};
                put(t, c);
            }
        }
    }
}

/* Append a float32 so that it reads back as exactly the same float: a fast
 * fixed-point path for values with at most 6 decimals (most of OpenSCAD's
 * coordinates), "%.9g" otherwise. printf alone made 3MF writing ~100x
 * slower than binary STL (bench/bench_mesh.c). */
static void put_float(text *t, float f)
{
    reserve(t, 32);
    if (t->oom)
        return;
    char *o = t->data + t->len;
    double d = (double)f;
    if (f == 0.0f) {
        *o++ = '0';
    } else if (fabs(d) < 1e9) {
        long long scaled = llround(d * 1e6);
        if ((float)((double)scaled / 1e6) != f)
            goto general;
        if (scaled < 0) {
            *o++ = '-';
            scaled = -scaled;
        }
        long long ip = scaled / 1000000, fp = scaled % 1000000;
        char digits[24];
        int n = 0;
        do {
            digits[n++] = (char)('0' + ip % 10);
            ip /= 10;
        } while (ip);
        while (n)
            *o++ = digits[--n];
        if (fp) {
            *o++ = '.';
            int width = 6;
            while (fp % 10 == 0) {
                fp /= 10;
                width--;
            }
            for (int k = width - 1; k >= 0; k--) {
                o[k] = (char)('0' + fp % 10);
                fp /= 10;
            }
            o += width;
        }
    } else {
    general:
        o += snprintf(o, 32, "%.9g", d);
    }
    *o = 0;
    t->len = (size_t)(o - t->data);
}

static void put_uint(text *t, uint32_t v)
{
    char digits[12];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    reserve(t, (size_t)n);
    if (t->oom)
        return;
    while (n)
        t->data[t->len++] = digits[--n];
    t->data[t->len] = 0;
}

/* A colour as 0xRRGGBBAA. */
static uint32_t rgba_of(const float *c)
{
    uint32_t v = 0;
    for (int k = 0; k < 4; k++) {
        float x = c[k] < 0 ? 0 : c[k] > 1 ? 1 : c[k];
        v = (v << 8) | (uint32_t)lrintf(x * 255.0f);
    }
    return v;
}

/* Distinct colours in first-seen order and each triangle's index into them. */
typedef struct palette {
    uint32_t *colors;
    size_t *count;
    size_t n;
    uint32_t *of_triangle;
} palette;

static int build_palette(const scl_mesh *mesh, palette *p)
{
    size_t nt = scl_mesh_triangle_count(mesh);
    const float *fc = scl_mesh_face_colors(mesh);
    memset(p, 0, sizeof *p);
    if (!fc)
        return 0;
    p->of_triangle = malloc(nt * sizeof *p->of_triangle);
    /* open-addressing table colour -> palette index; nt + 1 distinct at most */
    size_t cap = 16;
    while (cap < 2 * (nt + 1))
        cap *= 2;
    uint32_t *keys = malloc(cap * sizeof *keys);
    size_t *vals = malloc(cap * sizeof *vals);
    p->colors = malloc((nt + 1) * sizeof *p->colors);
    p->count = calloc(nt + 1, sizeof *p->count);
    if (!p->of_triangle || !keys || !vals || !p->colors || !p->count) {
        free(keys);
        free(vals);
        return -1;
    }
    for (size_t i = 0; i < cap; i++)
        vals[i] = SIZE_MAX;
    for (size_t t = 0; t < nt; t++) {
        uint32_t c = rgba_of(fc + 4 * t);
        size_t h = (size_t)((c * 2654435761u) & (cap - 1));
        while (vals[h] != SIZE_MAX && keys[h] != c)
            h = (h + 1) & (cap - 1);
        if (vals[h] == SIZE_MAX) {
            keys[h] = c;
            vals[h] = p->n;
            p->colors[p->n++] = c;
        }
        p->of_triangle[t] = (uint32_t)vals[h];
        p->count[vals[h]]++;
    }
    free(keys);
    free(vals);
    return 0;
}

static void palette_free(palette *p)
{
    free(p->colors);
    free(p->count);
    free(p->of_triangle);
}

static const char CONTENT_TYPES[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\n"
    " <Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\n"
    " <Default Extension=\"model\" ContentType=\"application/vnd.ms-package.3dmanufacturing-3dmodel+xml\"/>\n"
    "</Types>\n";

static const char RELS[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\n"
    " <Relationship Target=\"/3D/3dmodel.model\" Id=\"rel0\" "
    "Type=\"http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel\"/>\n"
    "</Relationships>\n";

void scl_3mf_package_free(scl_3mf_package *pkg)
{
    if (!pkg)
        return;
    for (int i = 0; i < SCL_3MF_PARTS; i++) {
        free(pkg->text[i]);
        pkg->text[i] = NULL;
        pkg->len[i] = 0;
    }
}

static char *dup_text(const char *s, size_t *len)
{
    *len = strlen(s);
    char *d = malloc(*len + 1);
    if (d)
        memcpy(d, s, *len + 1);
    return d;
}

scl_status scl_3mf_build(const scl_mesh *mesh, const char *title, scl_3mf_package *out, scl_error *err)
{
    if (!mesh || !out)
        return scl_error_set(err, SCL_EINVAL, "scl_3mf_build: NULL argument");
    memset(out, 0, sizeof *out);
    size_t nv = scl_mesh_vertex_count(mesh), nt = scl_mesh_triangle_count(mesh);
    if (nt == 0)
        return scl_error_set(err, SCL_EINVAL, "3MF needs at least one triangle; the model is empty");
    if (!title || !*title)
        title = "model";
    palette pal;
    if (build_palette(mesh, &pal) != 0) {
        palette_free(&pal);
        return scl_error_set(err, SCL_ENOMEM, "out of memory building the 3MF colours");
    }
    text t = {0};
    put(&t, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<model unit=\"millimeter\" xml:lang=\"en-US\" "
            "xmlns=\"http://schemas.microsoft.com/3dmanufacturing/core/2015/02\">\n"
            " <metadata name=\"Title\">");
    put_escaped(&t, title);
    put(&t, "</metadata>\n <metadata name=\"Application\">scadlive</metadata>\n <resources>\n");
    size_t default_color = 0;
    if (pal.n) {
        put(&t, "  <basematerials id=\"1\">\n");
        for (size_t i = 0; i < pal.n; i++) {
            if (pal.count[i] > pal.count[default_color])
                default_color = i;
            putf(&t, "   <base name=\"#%08X\" displaycolor=\"#%08X\"/>\n", (unsigned)pal.colors[i],
                 (unsigned)pal.colors[i]);
        }
        put(&t, "  </basematerials>\n");
        putf(&t, "  <object id=\"2\" type=\"model\" pid=\"1\" pindex=\"%zu\" name=\"", default_color);
    } else {
        put(&t, "  <object id=\"2\" type=\"model\" name=\"");
    }
    put_escaped(&t, title);
    put(&t, "\">\n   <mesh>\n    <vertices>\n");
    const float *pos = scl_mesh_positions(mesh);
    for (size_t v = 0; v < nv && !t.oom; v++) {
        put(&t, "     <vertex x=\"");
        put_float(&t, pos[3 * v]);
        put(&t, "\" y=\"");
        put_float(&t, pos[3 * v + 1]);
        put(&t, "\" z=\"");
        put_float(&t, pos[3 * v + 2]);
        put(&t, "\"/>\n");
    }
    put(&t, "    </vertices>\n    <triangles>\n");
    const uint32_t *idx = scl_mesh_indices(mesh);
    for (size_t i = 0; i < nt && !t.oom; i++) {
        put(&t, "     <triangle v1=\"");
        put_uint(&t, idx[3 * i]);
        put(&t, "\" v2=\"");
        put_uint(&t, idx[3 * i + 1]);
        put(&t, "\" v3=\"");
        put_uint(&t, idx[3 * i + 2]);
        if (pal.n && pal.of_triangle[i] != default_color) {
            put(&t, "\" pid=\"1\" p1=\"");
            put_uint(&t, pal.of_triangle[i]);
        }
        put(&t, "\"/>\n");
    }
    put(&t, "    </triangles>\n   </mesh>\n  </object>\n </resources>\n"
            " <build>\n  <item objectid=\"2\"/>\n </build>\n</model>\n");
    palette_free(&pal);
    if (t.oom) {
        free(t.data);
        return scl_error_set(err, SCL_ENOMEM, "out of memory writing the 3MF model");
    }
    out->name[0] = "[Content_Types].xml";
    out->name[1] = "_rels/.rels";
    out->name[2] = "3D/3dmodel.model";
    out->text[0] = dup_text(CONTENT_TYPES, &out->len[0]);
    out->text[1] = dup_text(RELS, &out->len[1]);
    out->text[2] = t.data;
    out->len[2] = t.len;
    if (!out->text[0] || !out->text[1]) {
        scl_3mf_package_free(out);
        return scl_error_set(err, SCL_ENOMEM, "out of memory writing the 3MF package");
    }
    return SCL_OK;
}
