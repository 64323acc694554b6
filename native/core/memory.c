/* memory.c - see memory.h. */
#include "memory.h"

#include <stdlib.h>

#define MAX_EVICTORS 8

struct scl_memory {
    size_t budget, used, peak;
    double threshold;
    uint64_t reservations, refused, evictions_requested;
    size_t evicted_bytes;
    struct {
        scl_memory_evict_fn fn;
        void *user;
    } evictors[MAX_EVICTORS];
    int nevictors;
};

scl_memory *scl_memory_new(size_t budget_bytes, double evict_threshold)
{
    if (budget_bytes == 0)
        return NULL;
    scl_memory *mm = calloc(1, sizeof *mm);
    if (!mm)
        return NULL;
    mm->budget = budget_bytes;
    mm->threshold = evict_threshold > 0 && evict_threshold <= 1 ? evict_threshold : 0.8;
    return mm;
}

void scl_memory_destroy(scl_memory *mm) { free(mm); }

scl_status scl_memory_add_evictor(scl_memory *mm, scl_memory_evict_fn fn, void *user, scl_error *err)
{
    if (!mm || !fn)
        return scl_error_set(err, SCL_EINVAL, "scl_memory_add_evictor: NULL argument");
    if (mm->nevictors == MAX_EVICTORS)
        return scl_error_set(err, SCL_ETOOBIG, "at most %d evictors", MAX_EVICTORS);
    mm->evictors[mm->nevictors].fn = fn;
    mm->evictors[mm->nevictors].user = user;
    mm->nevictors++;
    return SCL_OK;
}

static double mib(size_t bytes) { return (double)bytes / (1024.0 * 1024.0); }

scl_status scl_memory_reserve(scl_memory *mm, size_t bytes, const char *what, scl_error *err)
{
    if (!mm)
        return scl_error_set(err, SCL_EINVAL, "scl_memory_reserve: NULL manager");
    if (!what)
        what = "buffer";
    size_t limit = (size_t)((double)mm->budget * mm->threshold);
    if (bytes <= mm->budget && mm->used + bytes > limit) {
        /* over the threshold: ask evictors to bring usage back under it */
        size_t target = bytes > limit ? 0 : limit - bytes;
        for (int i = 0; i < mm->nevictors && mm->used > target; i++) {
            mm->evictions_requested++;
            size_t freed = mm->evictors[i].fn(mm->evictors[i].user, mm->used - target);
            mm->evicted_bytes += freed;
        }
    }
    if (bytes > mm->budget || mm->used + bytes > mm->budget) {
        mm->refused++;
        size_t free_bytes = mm->used < mm->budget ? mm->budget - mm->used : 0;
        return scl_error_set(err, SCL_EBUDGET,
                             "%s needs %.1f MiB but only %.1f MiB of the %.1f MiB memory budget is free",
                             what, mib(bytes), mib(free_bytes), mib(mm->budget));
    }
    mm->used += bytes;
    mm->reservations++;
    if (mm->used > mm->peak)
        mm->peak = mm->used;
    return SCL_OK;
}

void scl_memory_release(scl_memory *mm, size_t bytes)
{
    if (!mm)
        return;
    mm->used = bytes > mm->used ? 0 : mm->used - bytes;
}

void scl_memory_get_stats(const scl_memory *mm, scl_memory_stats *out)
{
    out->budget = mm->budget;
    out->used = mm->used;
    out->peak = mm->peak;
    out->reservations = mm->reservations;
    out->refused = mm->refused;
    out->evictions_requested = mm->evictions_requested;
    out->evicted_bytes = mm->evicted_bytes;
}
