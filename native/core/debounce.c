/* debounce.c - see debounce.h. */
#include "debounce.h"

#include <stdlib.h>

typedef struct job {
    int active;
    int drag; /* its quality is planned again when it starts (costs learnt meanwhile) */
    uint64_t generation;
    scl_quality quality;
    uint64_t at; /* due time (pending) or start time (running) */
} job;

struct scl_debounce {
    uint64_t window, stale_after, slow_preview, hold_after;
    uint64_t estimate[SCL_QUALITY_COUNT]; /* ms, per quality; valid where have_estimate */
    int have_estimate[SCL_QUALITY_COUNT];
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
    d->slow_preview = config && config->slow_preview_ms ? config->slow_preview_ms : 250;
    d->hold_after = config && config->hold_after_ms ? config->hold_after_ms : 1000;
    return d;
}

void scl_debounce_destroy(scl_debounce *d) { free(d); }

/* Does (gen, q) already exist at quality q or better (a lower scl_quality)? */
static int covered(const scl_debounce *d, uint64_t gen, scl_quality q)
{
    if (d->running.active && d->running.generation == gen && d->running.quality <= q)
        return 1;
    if (d->have_done && d->done_gen == gen && !d->running.active && d->done_quality <= q)
        return 1;
    return 0;
}

static int known(const scl_debounce *d, scl_quality q) { return d->have_estimate[q]; }

/* the plan that renders a drag at preview quality `q` */
static scl_drag_plan plan_of(scl_quality q) { return (scl_drag_plan)(SCL_DRAG_PREVIEW + (q - SCL_QUALITY_PREVIEW)); }
static scl_quality quality_of(scl_drag_plan p) { return (scl_quality)(SCL_QUALITY_PREVIEW + (p - SCL_DRAG_PREVIEW)); }

scl_drag_plan scl_debounce_drag_plan(const scl_debounce *d)
{
    if (known(d, SCL_QUALITY_FULL) && d->estimate[SCL_QUALITY_FULL] <= d->slow_preview)
        return SCL_DRAG_PREVIEW; /* even the full render is cheap */
    if (!known(d, SCL_QUALITY_PREVIEW) && known(d, SCL_QUALITY_FULL) && d->estimate[SCL_QUALITY_FULL] > d->hold_after)
        return SCL_DRAG_COARSEST; /* a slow model: not measured yet, start at the bottom */
    /* the finest rung that fits; one not measured yet is tried */
    for (scl_quality q = SCL_QUALITY_PREVIEW; q < SCL_QUALITY_COARSEST; q++)
        if (!known(d, q) || d->estimate[q] <= d->slow_preview)
            return plan_of(q);
    if (!known(d, SCL_QUALITY_COARSEST) || d->estimate[SCL_QUALITY_COARSEST] <= d->hold_after)
        return SCL_DRAG_COARSEST;
    return SCL_DRAG_HOLD;
}

void scl_debounce_observe(scl_debounce *d, scl_quality q, uint64_t cost_ms)
{
    if ((unsigned)q >= SCL_QUALITY_COUNT)
        return;
    /* up at once, down by halves: a model whose cost grows as a slider moves
     * is followed after one render, and one cheap render does not undo it */
    d->estimate[q] = d->have_estimate[q] && d->estimate[q] > cost_ms ? (d->estimate[q] + cost_ms) / 2 : cost_ms;
    d->have_estimate[q] = 1;
    if (q == SCL_QUALITY_FULL) {
        for (int p = SCL_QUALITY_PREVIEW; p < SCL_QUALITY_COUNT; p++)
            if (d->have_estimate[p] && d->estimate[p] > cost_ms)
                d->estimate[p] = cost_ms; /* a preview costs no more than the full render */
        return;
    }
    /* a finer rung costs at most 3/2 of the one below it */
    uint64_t bound = cost_ms;
    for (int p = (int)q - 1; p >= SCL_QUALITY_PREVIEW; p--) {
        bound = bound * 3 / 2;
        if (d->have_estimate[p] && d->estimate[p] > bound)
            d->estimate[p] = bound;
    }
}

uint64_t scl_debounce_estimate(const scl_debounce *d, scl_quality q)
{
    return (unsigned)q < SCL_QUALITY_COUNT && d->have_estimate[q] ? d->estimate[q] : UINT64_MAX;
}

void scl_debounce_update(scl_debounce *d, uint64_t now_ms, scl_update_kind kind, uint64_t generation)
{
    scl_quality q = SCL_QUALITY_FULL;
    d->have_latest = 1;
    d->latest = generation;
    if (kind == SCL_UPDATE_DRAG) {
        scl_drag_plan plan = scl_debounce_drag_plan(d);
        if (plan == SCL_DRAG_HOLD) {
            d->pending.active = 0; /* the last model stays until the release */
            return;
        }
        q = quality_of(plan);
    }
    if (covered(d, generation, q)) {
        d->pending.active = 0; /* the newest state is already (being) rendered */
        return;
    }
    d->pending.active = 1;
    d->pending.drag = kind == SCL_UPDATE_DRAG;
    d->pending.generation = generation;
    d->pending.quality = q;
    d->pending.at = kind == SCL_UPDATE_CHANGE ? now_ms + d->window : now_ms;
}

scl_debounce_action scl_debounce_poll(scl_debounce *d, uint64_t now_ms)
{
    scl_debounce_action a = {SCL_DEBOUNCE_NONE, 0, SCL_QUALITY_FULL};
    if (d->running.active) {
        int stale = d->have_latest && d->running.generation != d->latest;
        int full_due = d->pending.active && d->pending.quality == SCL_QUALITY_FULL && now_ms >= d->pending.at;
        uint64_t ran = now_ms - d->running.at;
        if (stale && (full_due || ran >= d->stale_after)) {
            a.kind = SCL_DEBOUNCE_CANCEL;
            a.generation = d->running.generation;
            a.quality = d->running.quality;
            d->running.active = 0;
            /* a preview cancelled after `ran` ms cost at least that much */
            if (a.quality != SCL_QUALITY_FULL && (!known(d, a.quality) || d->estimate[a.quality] < ran))
                scl_debounce_observe(d, a.quality, ran);
        }
        return a;
    }
    if (d->pending.active && d->pending.drag) {
        scl_drag_plan plan = scl_debounce_drag_plan(d);
        if (plan == SCL_DRAG_HOLD) {
            d->pending.active = 0;
            return a;
        }
        d->pending.quality = quality_of(plan);
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
            if (d->pending.active && d->pending.quality == SCL_QUALITY_FULL && d->pending.at < t)
                t = d->pending.at;
        }
        return t;
    }
    if (d->pending.active)
        t = d->pending.at;
    return t;
}

int scl_debounce_cancel_all(scl_debounce *d, uint64_t *generation)
{
    d->pending.active = 0;
    if (!d->running.active)
        return 0;
    d->running.active = 0;
    if (generation)
        *generation = d->running.generation;
    return 1;
}
