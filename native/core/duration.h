/*
 * duration.h - durations as people write them in settings: SCADLIVE_CACHE_TTL=1h.
 *
 * Accepted: a plain number of seconds ("3600", "1.5"), or a number with a
 * unit: ms, s, m, h, d ("500ms", "90s", "15m", "1h", "2d"). "0", "off" and
 * "none" mean 0 (no limit). Anything else (negative, unknown unit, junk,
 * overflow past ~584 million years) is SCL_EPARSE with a message that shows
 * the accepted forms.
 */
#ifndef SCL_DURATION_H
#define SCL_DURATION_H

#include <stdint.h>

#include "error.h"

SCL_MUST_CHECK scl_status scl_duration_parse(const char *text, uint64_t *ms, scl_error *err);

#endif
