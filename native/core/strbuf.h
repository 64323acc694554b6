/*
 * strbuf.h - growing buffers: a NUL-terminated text buffer for the core's
 * writers (customizer JSON, -D literals, 3MF XML), and scl_grow for the
 * core's arrays (an element at a time, capacity doubling).
 *
 * Zero-initialise (`scl_strbuf b = {0};`), append, then take `data` (the
 * caller frees it) or call scl_strbuf_free. A failed allocation is sticky:
 * `oom` is set, later appends do nothing, and the writer checks it once at
 * the end instead of after every append.
 */
#ifndef SCL_STRBUF_H
#define SCL_STRBUF_H

#include <stddef.h>

typedef struct scl_strbuf {
    char *data; /* NULL until something is appended; always NUL-terminated after */
    size_t len, cap;
    int oom;
} scl_strbuf;

/* Make room for `more` bytes (and the NUL); sets oom on failure. */
void scl_strbuf_reserve(scl_strbuf *b, size_t more);
void scl_strbuf_putn(scl_strbuf *b, const char *s, size_t n);
void scl_strbuf_puts(scl_strbuf *b, const char *s);
void scl_strbuf_putc(scl_strbuf *b, char c);
/* Free the text and reset the buffer to empty. */
void scl_strbuf_free(scl_strbuf *b);

/* Room for one more element in an array of `*cap` elements of `size` bytes,
 * `n` of them in use: `items` when there is room, else the array moved to
 * twice the capacity (`first` elements the first time) with *cap updated.
 * NULL when memory runs out or the size would overflow; then `items` and
 * *cap are unchanged (the caller still owns and frees `items`). */
void *scl_grow(void *items, size_t *cap, size_t n, size_t size, size_t first);

#endif /* SCL_STRBUF_H */
