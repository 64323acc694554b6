/* frame.c - see frame.h. */
#include "frame.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct scl_frame_reader {
    uint8_t *buf;
    size_t len, cap, consumed; /* consumed: bytes of frames already handed out */
};

scl_frame_reader *scl_frame_reader_new(void) { return calloc(1, sizeof(scl_frame_reader)); }

void scl_frame_reader_destroy(scl_frame_reader *r)
{
    if (r)
        free(r->buf);
    free(r);
}

static uint32_t u32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

scl_status scl_frame_reader_feed(scl_frame_reader *r, const void *data, size_t len, scl_error *err)
{
    if (r->consumed) { /* drop frames already handed out */
        memmove(r->buf, r->buf + r->consumed, r->len - r->consumed);
        r->len -= r->consumed;
        r->consumed = 0;
    }
    if (r->len + len + 1 > r->cap) {
        size_t cap = r->cap ? r->cap : 65536;
        while (cap < r->len + len + 1)
            cap *= 2;
        uint8_t *nb = realloc(r->buf, cap);
        if (!nb)
            return scl_error_set(err, SCL_ENOMEM, "out of memory buffering a renderer frame");
        r->buf = nb;
        r->cap = cap;
    }
    memcpy(r->buf + r->len, data, len);
    r->len += len;
    return SCL_OK;
}

int scl_frame_reader_next(scl_frame_reader *r, const char **header, size_t *header_len,
                          const uint8_t **payload, size_t *payload_len, scl_error *err)
{
    size_t avail = r->len - r->consumed;
    uint8_t *p = r->buf + r->consumed;
    if (avail < 4)
        return 0;
    size_t hl = u32le(p);
    if (hl > SCL_FRAME_MAX_HEADER) {
        scl_error_set(err, SCL_ETOOBIG, "renderer frame header of %zu bytes exceeds the limit", hl);
        return -1;
    }
    if (avail < 8 + hl)
        return 0;
    size_t pl = u32le(p + 4 + hl);
    if (pl > SCL_FRAME_MAX_PAYLOAD) {
        scl_error_set(err, SCL_ETOOBIG, "renderer frame payload of %zu bytes exceeds the limit", pl);
        return -1;
    }
    if (avail < 8 + hl + pl)
        return 0;
    /* NUL-terminate the header in place, over the first byte of the payload
     * length, which was read above */
    p[4 + hl] = 0;
    *header = (const char *)(p + 4);
    *header_len = hl;
    *payload = p + 8 + hl;
    *payload_len = pl;
    r->consumed += 8 + hl + pl;
    return 1;
}

static scl_status write_all(int fd, const void *data, size_t len, scl_error *err)
{
    const uint8_t *p = data;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return scl_error_set(err, SCL_EIO, "writing to the renderer failed: %s", strerror(errno));
        }
        p += n;
        len -= (size_t)n;
    }
    return SCL_OK;
}

static void put_u32le(uint8_t *p, size_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

scl_status scl_frame_encode(const char *header, size_t header_len, const void *payload, size_t payload_len,
                            uint8_t **out, size_t *out_len, scl_error *err)
{
    *out = NULL;
    *out_len = 0;
    if (header_len > SCL_FRAME_MAX_HEADER || payload_len > SCL_FRAME_MAX_PAYLOAD)
        return scl_error_set(err, SCL_ETOOBIG, "frame of %zu + %zu bytes exceeds the limits", header_len, payload_len);
    uint8_t *b = malloc(8 + header_len + payload_len);
    if (!b)
        return scl_error_set(err, SCL_ENOMEM, "out of memory encoding a frame");
    put_u32le(b, header_len);
    memcpy(b + 4, header, header_len);
    put_u32le(b + 4 + header_len, payload_len);
    if (payload_len)
        memcpy(b + 8 + header_len, payload, payload_len);
    *out = b;
    *out_len = 8 + header_len + payload_len;
    return SCL_OK;
}

scl_status scl_frame_write(int fd, const char *header, size_t header_len, const void *payload,
                           size_t payload_len, scl_error *err)
{
    uint8_t len[4];
    put_u32le(len, header_len);
    scl_status st = write_all(fd, len, 4, err);
    if (st == SCL_OK)
        st = write_all(fd, header, header_len, err);
    put_u32le(len, payload_len);
    if (st == SCL_OK)
        st = write_all(fd, len, 4, err);
    if (st == SCL_OK && payload_len)
        st = write_all(fd, payload, payload_len, err);
    return st;
}

static int read_all(int fd, void *data, size_t len)
{
    uint8_t *p = data;
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, p + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return got == 0 ? 0 : -1;
        got += (size_t)n;
    }
    return 1;
}

int scl_frame_read_blocking(int fd, char **header, size_t *header_len, uint8_t **payload,
                            size_t *payload_len, scl_error *err)
{
    uint8_t len[4];
    int rc = read_all(fd, len, 4);
    if (rc <= 0)
        return rc;
    size_t hl = u32le(len);
    if (hl > SCL_FRAME_MAX_HEADER) {
        scl_error_set(err, SCL_ETOOBIG, "frame header too large");
        return -1;
    }
    char *h = malloc(hl + 1);
    if (!h || read_all(fd, h, hl) != 1 || read_all(fd, len, 4) != 1) {
        free(h);
        scl_error_set(err, SCL_EIO, "truncated frame");
        return -1;
    }
    h[hl] = 0;
    size_t pl = u32le(len);
    if (pl > SCL_FRAME_MAX_PAYLOAD) {
        free(h);
        scl_error_set(err, SCL_ETOOBIG, "frame payload too large");
        return -1;
    }
    uint8_t *p = malloc(pl ? pl : 1);
    if (!p || (pl && read_all(fd, p, pl) != 1)) {
        free(h);
        free(p);
        scl_error_set(err, SCL_EIO, "truncated frame");
        return -1;
    }
    *header = h;
    *header_len = hl;
    *payload = p;
    *payload_len = pl;
    return 1;
}
