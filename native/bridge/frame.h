/*
 * frame.h - the length-prefixed frames the bridge exchanges with its
 * renderer processes over pipes:
 *
 *     u32le(header length) header (JSON text) u32le(payload length) payload
 *
 * A frame_reader accumulates bytes as they arrive (non-blocking reads) and
 * yields complete frames; frames over a size limit are an error, so a
 * broken renderer cannot make the bridge allocate without bound.
 */
#ifndef SCL_FRAME_H
#define SCL_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define SCL_FRAME_MAX_HEADER ((size_t)64 << 20)
#define SCL_FRAME_MAX_PAYLOAD ((size_t)1 << 30)

typedef struct scl_frame_reader scl_frame_reader;

scl_frame_reader *scl_frame_reader_new(void);
void scl_frame_reader_destroy(scl_frame_reader *r);

/* Append bytes read from the pipe. */
SCL_MUST_CHECK scl_status scl_frame_reader_feed(scl_frame_reader *r, const void *data, size_t len, scl_error *err);

/* If a whole frame is buffered: 1 and *header (NUL-terminated) / *payload
 * point into the reader, valid until the next feed/next call. 0 if not yet.
 * -1 on a frame over the limits (err says which). */
int scl_frame_reader_next(scl_frame_reader *r, const char **header, size_t *header_len,
                          const uint8_t **payload, size_t *payload_len, scl_error *err);

/* One frame as bytes, in a new malloc'd buffer (for writers that cannot
 * block: they write it as the pipe takes it). */
SCL_MUST_CHECK scl_status scl_frame_encode(const char *header, size_t header_len, const void *payload,
                                           size_t payload_len, uint8_t **out, size_t *out_len, scl_error *err);

/* Write one frame to a blocking file descriptor (retries short writes). */
SCL_MUST_CHECK scl_status scl_frame_write(int fd, const char *header, size_t header_len, const void *payload,
                           size_t payload_len, scl_error *err);

/* Read one frame from a blocking fd into malloc'd buffers. 0 on EOF before
 * any byte, 1 on a frame, -1 on error. */
int scl_frame_read_blocking(int fd, char **header, size_t *header_len, uint8_t **payload,
                            size_t *payload_len, scl_error *err);

#endif
