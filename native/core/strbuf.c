/* strbuf.c - see strbuf.h. */
#include "strbuf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void scl_strbuf_reserve(scl_strbuf *b, size_t more)
{
    if (b->oom || b->len + more + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + more + 1)
        cap *= 2;
    char *d = realloc(b->data, cap);
    if (!d) {
        b->oom = 1;
        return;
    }
    b->data = d;
    b->cap = cap;
}

void scl_strbuf_putn(scl_strbuf *b, const char *s, size_t n)
{
    scl_strbuf_reserve(b, n);
    if (b->oom)
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = 0;
}

void scl_strbuf_puts(scl_strbuf *b, const char *s) { scl_strbuf_putn(b, s, strlen(s)); }

void scl_strbuf_putc(scl_strbuf *b, char c) { scl_strbuf_putn(b, &c, 1); }

void scl_strbuf_free(scl_strbuf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

void *scl_grow(void *items, size_t *cap, size_t n, size_t size, size_t first)
{
    if (n < *cap)
        return items;
    size_t want = *cap ? *cap * 2 : (first ? first : 1);
    if (want <= n || !size || want > SIZE_MAX / size)
        return NULL;
    void *moved = realloc(items, want * size);
    if (moved)
        *cap = want;
    return moved;
}
