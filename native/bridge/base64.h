/* base64.h - standard base64 (RFC 4648, with padding) for file contents in
 * JSON messages. Decoding rejects any character outside the alphabet. */
#ifndef SCL_BASE64_H
#define SCL_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* malloc'd NUL-terminated text. */
char *scl_base64_encode(const void *data, size_t len);
/* malloc'd bytes in *out (*out_len); 0 on success, -1 on bad input. */
int scl_base64_decode(const char *text, size_t len, uint8_t **out, size_t *out_len);

#endif
