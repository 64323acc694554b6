/*
 * memory.h - a byte budget for large buffers (meshes, cached results,
 * WASM instance heaps).
 *
 * Callers reserve bytes before allocating and release them after freeing.
 * When a reservation would take usage past the eviction threshold
 * (default 80% of the budget), the manager first asks its evictors (the
 * result cache registers one) to free memory; if the reservation still
 * cannot fit in the budget it is refused with SCL_EBUDGET and a message
 * that says how much was asked for and how much is free. The manager only
 * counts: it never allocates, so it works the same natively and in WASM.
 */
#ifndef SCL_MEMORY_H
#define SCL_MEMORY_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct scl_memory scl_memory;

/* Free up to `wanted` bytes (by releasing reservations through
 * scl_memory_release) and return how many were freed. */
typedef size_t (*scl_memory_evict_fn)(void *user, size_t wanted);

typedef struct scl_memory_stats {
    size_t budget, used, peak;
    uint64_t reservations, refused, evictions_requested;
    size_t evicted_bytes;
} scl_memory_stats;

/* threshold in (0, 1]; 0 means the default 0.8. NULL if budget is 0 or out of memory. */
scl_memory *scl_memory_new(size_t budget_bytes, double evict_threshold);
void scl_memory_destroy(scl_memory *mm);

/* Register an evictor (at most 8). */
SCL_MUST_CHECK scl_status scl_memory_add_evictor(scl_memory *mm, scl_memory_evict_fn fn, void *user, scl_error *err);

/* Reserve `bytes` for `what` (named in the refusal message). */
SCL_MUST_CHECK scl_status scl_memory_reserve(scl_memory *mm, size_t bytes, const char *what, scl_error *err);
void scl_memory_release(scl_memory *mm, size_t bytes);

void scl_memory_get_stats(const scl_memory *mm, scl_memory_stats *out);

#ifdef __cplusplus
}
#endif
#endif /* SCL_MEMORY_H */
