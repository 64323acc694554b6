/*
 * cache.h - content-addressed result cache: LRU under a byte budget, TTL,
 * counters, and single-flight de-duplication.
 *
 * Keys are byte strings (render keys from hash.h). Values are byte buffers
 * plus a metadata string (JSON with triangles, render time, log...), both
 * copied in. Time is passed in by the caller (milliseconds, monotonic);
 * the cache never reads a clock and never blocks, so it serves a
 * single-threaded event loop natively and a Web Worker in WASM alike.
 *
 * Single-flight: scl_cache_acquire answers
 *   HIT     the value is returned (pointers valid until the next call that
 *           changes the cache);
 *   MISS    nothing cached or pending: the caller now OWNS a pending slot,
 *           must render, then call scl_cache_complete or scl_cache_fail;
 *   JOINED  someone is rendering this key: the caller's waiter token was
 *           added to the slot and will be handed back by complete/fail.
 * complete/fail return the waiter tokens to notify (malloc'd array, caller
 * frees). A waiter that went away is removed with scl_cache_cancel_waiter.
 * If the owner gives up (its client vanished, its render was cancelled),
 * scl_cache_abandon promotes the oldest waiter to owner (the caller starts
 * a render for it) or drops the slot when nobody waits.
 *
 * Budget: a value larger than the budget is not stored (complete still
 * notifies the waiters; the caller delivers the value itself). Least
 * recently used entries are evicted to make room. With a memory manager
 * attached, stored bytes are also reserved there, and the manager may ask
 * the cache to evict under memory pressure.
 */
#ifndef SCL_CACHE_H
#define SCL_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "memory.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct scl_cache scl_cache;

typedef struct scl_cache_config {
    size_t budget_bytes; /* 0 = 256 MiB */
    uint64_t ttl_ms;     /* 0 = entries never expire */
} scl_cache_config;

typedef enum scl_cache_outcome {
    SCL_CACHE_HIT = 0,
    SCL_CACHE_MISS,
    SCL_CACHE_JOINED
} scl_cache_outcome;

typedef struct scl_cache_value {
    const uint8_t *data;
    size_t len;
    const char *meta; /* NUL-terminated, "" if none */
} scl_cache_value;

typedef struct scl_cache_stats {
    uint64_t hits, misses, joins, stores, oversize;
    uint64_t evictions_lru, evictions_ttl, evictions_pressure;
    size_t bytes, entries, pending, budget;
} scl_cache_stats;

/* NULL on out of memory. mm may be NULL (no memory manager). */
scl_cache *scl_cache_new(const scl_cache_config *config, scl_memory *mm);
void scl_cache_destroy(scl_cache *c);

SCL_MUST_CHECK scl_status scl_cache_acquire(scl_cache *c, const void *key, size_t keylen, uint64_t now_ms,
                             uint64_t waiter, scl_cache_outcome *outcome, scl_cache_value *value,
                             scl_error *err);

/* The owner delivers the value: stores it (if it fits) and returns the
 * waiters to notify in *waiters (malloc'd, *nwaiters entries; may be NULL
 * when none). SCL_ESTATE if the key is not pending. */
SCL_MUST_CHECK scl_status scl_cache_complete(scl_cache *c, const void *key, size_t keylen, uint64_t now_ms,
                              const uint8_t *data, size_t len, const char *meta,
                              uint64_t **waiters, size_t *nwaiters, scl_error *err);

/* The owner's render failed: drop the slot, return its waiters. */
SCL_MUST_CHECK scl_status scl_cache_fail(scl_cache *c, const void *key, size_t keylen, uint64_t **waiters,
                          size_t *nwaiters, scl_error *err);

/* Remove one waiter from a pending slot. Returns 1 if it was there. */
int scl_cache_cancel_waiter(scl_cache *c, const void *key, size_t keylen, uint64_t waiter);

/* The owner gives up: *new_owner gets the promoted waiter and 1 is
 * returned, or 0 when nobody waited (the slot is dropped). */
int scl_cache_abandon(scl_cache *c, const void *key, size_t keylen, uint64_t *new_owner);

/* Drop expired entries; returns how many. */
size_t scl_cache_expire(scl_cache *c, uint64_t now_ms);

/* Evict least recently used entries until `bytes` are freed (or empty). */
size_t scl_cache_evict_bytes(scl_cache *c, size_t bytes);

void scl_cache_get_stats(const scl_cache *c, scl_cache_stats *out);

#ifdef __cplusplus
}
#endif
#endif /* SCL_CACHE_H */
