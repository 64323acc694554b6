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
 *   RELEASE  the slider let go: FULL quality at once; a preview still
 *            running for an older position is cancelled.
 * Actions from scl_debounce_poll:
 *   START    render `generation` at `quality` (the host caps $fn and sets
 *            $preview for PREVIEW);
 *   CANCEL   stop the running render of `generation`: it became stale and
 *            either a full render is waiting or it ran longer than
 *            `stale_after_ms` (default 2000 ms). Its result, if it arrives,
 *            is stale (scl_debounce_render_done returns 0).
 * Only one render runs at a time. A generation already rendered (or
 * running) at the requested quality or better is not rendered again.
 */
#ifndef SCL_DEBOUNCE_H
#define SCL_DEBOUNCE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum scl_update_kind { SCL_UPDATE_CHANGE = 0, SCL_UPDATE_DRAG, SCL_UPDATE_RELEASE } scl_update_kind;
typedef enum scl_quality { SCL_QUALITY_FULL = 0, SCL_QUALITY_PREVIEW } scl_quality;
typedef enum scl_debounce_action_kind {
    SCL_DEBOUNCE_NONE = 0,
    SCL_DEBOUNCE_START,
    SCL_DEBOUNCE_CANCEL
} scl_debounce_action_kind;

typedef struct scl_debounce_config {
    uint64_t window_ms;      /* 0 = 100 */
    uint64_t stale_after_ms; /* 0 = 2000 */
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

#ifdef __cplusplus
}
#endif
#endif /* SCL_DEBOUNCE_H */
