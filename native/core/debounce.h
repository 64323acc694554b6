/*
 * debounce.h - which render to start, and when, as parameters change.
 *
 * A pure state machine: the host passes the time in and polls for actions;
 * nothing sleeps and nothing runs on its own, so the same code drives the
 * browser worker and tests can replay exact event sequences.
 *
 * Each parameter set the host sees gets a generation number (equal
 * parameters, equal generation). Updates:
 *   CHANGE   a typed value: coalesced; rendered at full quality once no
 *            further update came for `window_ms` (default 100 ms);
 *   DRAG     a slider moving: rendered as a coarse PREVIEW as soon as no
 *            render is running (the latest position wins);
 *   RELEASE  the slider let go: FULL quality at once.
 * Latest wins: a render running for older parameters is cancelled as soon
 * as a FULL render of newer ones is due (release, or a typed value after its
 * window), whatever its quality.
 * Actions from scl_debounce_poll:
 *   START    render `generation` at `quality` (the host caps $fn for
 *            PREVIEW, and more for COARSE and COARSEST);
 *   CANCEL   stop the running render of `generation`: it became stale and
 *            either a full render is due or it ran longer than
 *            `stale_after_ms` (default 2000 ms). Its result, if it arrives,
 *            is stale (scl_debounce_render_done returns 0).
 * Only one render runs at a time. A generation already rendered (or
 * running) at the requested quality or better is not rendered again.
 *
 * Previews that pay for themselves: the host reports what each render cost
 * (scl_debounce_observe, OpenSCAD's own time; cache hits are not costs), and
 * the debouncer keeps an estimate per quality. The preview qualities are a
 * ladder, finest first: PREVIEW, COARSE, COARSEST. A drag is previewed at the
 * finest rung that costs at most `slow_preview_ms` (default 250 ms); when
 * none does, at COARSEST while that costs at most `hold_after_ms` (default
 * 1000 ms), else not at all (HOLD: the last model stays until the release).
 * A rung not measured yet is tried when the rung above it is too slow (or
 * first of all, PREVIEW, unless the full render is over `hold_after_ms`).
 * An estimate rises at once to a higher cost (a model getting costlier as a
 * slider moves goes down the ladder after one slow preview, not two) and
 * falls by halves. A rung is assumed to cost at most 3/2 of the one below it
 * (measured on candleStand.scad: 1.1-1.3), so cheap coarse previews bring
 * the finer rungs' estimates down and the drag climbs back; a full render
 * bounds every preview's estimate (a preview never costs more).
 */
#ifndef SCL_DEBOUNCE_H
#define SCL_DEBOUNCE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum scl_update_kind { SCL_UPDATE_CHANGE = 0, SCL_UPDATE_DRAG, SCL_UPDATE_RELEASE } scl_update_kind;
/* Ordered from finest to coarsest. */
typedef enum scl_quality {
    SCL_QUALITY_FULL = 0,
    SCL_QUALITY_PREVIEW,
    SCL_QUALITY_COARSE,
    SCL_QUALITY_COARSEST
} scl_quality;
#define SCL_QUALITY_COUNT 4
/* What a drag is rendered as now (the preview plans in the qualities' order). */
typedef enum scl_drag_plan { SCL_DRAG_PREVIEW = 0, SCL_DRAG_COARSE, SCL_DRAG_COARSEST, SCL_DRAG_HOLD } scl_drag_plan;
typedef enum scl_debounce_action_kind {
    SCL_DEBOUNCE_NONE = 0,
    SCL_DEBOUNCE_START,
    SCL_DEBOUNCE_CANCEL
} scl_debounce_action_kind;

typedef struct scl_debounce_config {
    uint64_t window_ms;      /* 0 = 100 */
    uint64_t stale_after_ms; /* 0 = 2000 */
    uint64_t slow_preview_ms; /* 0 = 250: previews costlier than this go a rung coarser */
    uint64_t hold_after_ms;   /* 0 = 1000: COARSEST previews costlier than this: HOLD */
} scl_debounce_config;

typedef struct scl_debounce_action {
    scl_debounce_action_kind kind;
    uint64_t generation;
    scl_quality quality;
} scl_debounce_action;

typedef struct scl_debounce scl_debounce;

scl_debounce *scl_debounce_new(const scl_debounce_config *config); /* NULL on out of memory */
void scl_debounce_destroy(scl_debounce *d);

void scl_debounce_update(scl_debounce *d, uint64_t now_ms, scl_update_kind kind, uint64_t generation);

/* Next action (kind NONE when there is nothing to do now). Call again after
 * each action until NONE. */
scl_debounce_action scl_debounce_poll(scl_debounce *d, uint64_t now_ms);

/* A render finished (or failed). Returns 1 if it is the running render and
 * its parameters are still the latest (show it as current), 0 otherwise. */
int scl_debounce_render_done(scl_debounce *d, uint64_t generation, uint64_t now_ms);

/* When to poll next without a new update: a time in ms, or UINT64_MAX. */
uint64_t scl_debounce_next_deadline(const scl_debounce *d);

/* A render at `quality` cost `cost_ms` (the renderer's own time). */
void scl_debounce_observe(scl_debounce *d, scl_quality quality, uint64_t cost_ms);

/* The current estimate of a render's cost at `quality`, or UINT64_MAX if
 * none was observed yet. */
uint64_t scl_debounce_estimate(const scl_debounce *d, scl_quality quality);

/* How a drag is rendered now (see the top of this file). */
scl_drag_plan scl_debounce_drag_plan(const scl_debounce *d);

/* The user (or the host) cancelled: the running render's generation is
 * returned in *generation (return 1) to be stopped, or 0 when none runs;
 * a pending render is dropped too. Nothing starts until the next update. */
int scl_debounce_cancel_all(scl_debounce *d, uint64_t *generation);

#ifdef __cplusplus
}
#endif
#endif /* SCL_DEBOUNCE_H */
