/*
 * strbuf.h - a growing NUL-terminated text buffer for the core's writers
 * (customizer JSON, -D literals, 3MF XML).
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

#endif /* SCL_STRBUF_H */
