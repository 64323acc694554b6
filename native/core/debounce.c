/* debounce.c - see debounce.h. */
#include "debounce.h"

#include <stdlib.h>

typedef struct job {
    int active;
    uint64_t generation;
    scl_quality quality;
    uint64_t at; /* due time (pending) or start time (running) */
} job;

struct scl_debounce {
    uint64_t window, stale_after;
    job pending, running;
    int have_latest;
    uint64_t latest;     /* generation of the newest update */
    int have_done;
    uint64_t done_gen;   /* last completed render */
    scl_quality done_quality;
};

scl_debounce *scl_debounce_new(const scl_debounce_config *config)
{
    scl_debounce *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->window = config && config->window_ms ? config->window_ms : 100;
    d->stale_after = config && config->stale_after_ms ? config->stale_after_ms : 2000;
    return d;
}

void scl_debounce_destroy(scl_debounce *d) { free(d); }

/* Does (gen, q) already exist at quality q or better (FULL beats PREVIEW)? */
static int covered(const scl_debounce *d, uint64_t gen, scl_quality q)
{
    if (d->running.active && d->running.generation == gen &&
        (d->running.quality == SCL_QUALITY_FULL || q == SCL_QUALITY_PREVIEW))
        return 1;
    if (d->have_done && d->done_gen == gen && !d->running.active &&
        (d->done_quality == SCL_QUALITY_FULL || q == SCL_QUALITY_PREVIEW))
        return 1;
    return 0;
}

void scl_debounce_update(scl_debounce *d, uint64_t now_ms, scl_update_kind kind, uint64_t generation)
{
    scl_quality q = kind == SCL_UPDATE_DRAG ? SCL_QUALITY_PREVIEW : SCL_QUALITY_FULL;
    d->have_latest = 1;
    d->latest = generation;
    if (covered(d, generation, q)) {
        d->pending.active = 0; /* the newest state is already (being) rendered */
        return;
    }
    d->pending.active = 1;
    d->pending.generation = generation;
    d->pending.quality = q;
    d->pending.at = kind == SCL_UPDATE_CHANGE ? now_ms + d->window : now_ms;
}

scl_debounce_action scl_debounce_poll(scl_debounce *d, uint64_t now_ms)
{
    scl_debounce_action a = {SCL_DEBOUNCE_NONE, 0, SCL_QUALITY_FULL};
    if (d->running.active) {
        int stale = d->have_latest && d->running.generation != d->latest;
        int full_waiting = d->pending.active && d->pending.quality == SCL_QUALITY_FULL &&
                           d->running.quality == SCL_QUALITY_PREVIEW && now_ms >= d->pending.at;
        if (stale && (full_waiting || now_ms - d->running.at >= d->stale_after)) {
            a.kind = SCL_DEBOUNCE_CANCEL;
            a.generation = d->running.generation;
            a.quality = d->running.quality;
            d->running.active = 0;
        }
        return a;
    }
    if (d->pending.active && now_ms >= d->pending.at) {
        d->running = d->pending;
        d->running.at = now_ms;
        d->pending.active = 0;
        a.kind = SCL_DEBOUNCE_START;
        a.generation = d->running.generation;
        a.quality = d->running.quality;
    }
    return a;
}

int scl_debounce_render_done(scl_debounce *d, uint64_t generation, uint64_t now_ms)
{
    (void)now_ms;
    if (!d->running.active || d->running.generation != generation)
        return 0; /* cancelled or superseded */
    d->running.active = 0;
    d->have_done = 1;
    d->done_gen = generation;
    d->done_quality = d->running.quality;
    if (d->pending.active && covered(d, d->pending.generation, d->pending.quality))
        d->pending.active = 0;
    return !d->have_latest || d->latest == generation;
}

uint64_t scl_debounce_next_deadline(const scl_debounce *d)
{
    uint64_t t = UINT64_MAX;
    if (d->running.active) {
        if (d->have_latest && d->running.generation != d->latest) {
            t = d->running.at + d->stale_after;
            if (d->pending.active && d->pending.quality == SCL_QUALITY_FULL &&
                d->running.quality == SCL_QUALITY_PREVIEW && d->pending.at < t)
                t = d->pending.at;
        }
        return t;
    }
    if (d->pending.active)
        t = d->pending.at;
    return t;
}
