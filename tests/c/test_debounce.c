/* Tests for debounce.h: event sequences replayed with exact times. */
#include <criterion/criterion.h>

#include "debounce.h"

#define NONE SCL_DEBOUNCE_NONE
#define START SCL_DEBOUNCE_START
#define CANCEL SCL_DEBOUNCE_CANCEL
#define FULL SCL_QUALITY_FULL
#define PREVIEW SCL_QUALITY_PREVIEW

static void expect(scl_debounce *d, uint64_t now, scl_debounce_action_kind kind, uint64_t gen, scl_quality q)
{
    scl_debounce_action a = scl_debounce_poll(d, now);
    cr_assert_eq(a.kind, kind, "t=%llu: action %d, want %d", (unsigned long long)now, a.kind, kind);
    if (kind != NONE) {
        cr_assert_eq(a.generation, gen, "t=%llu: generation %llu, want %llu", (unsigned long long)now,
                     (unsigned long long)a.generation, (unsigned long long)gen);
        cr_assert_eq(a.quality, q, "t=%llu: quality", (unsigned long long)now);
    }
}

Test(debounce, changes_coalesce_over_the_window)
{
    scl_debounce *d = scl_debounce_new(NULL);
    scl_debounce_update(d, 0, SCL_UPDATE_CHANGE, 1);
    scl_debounce_update(d, 40, SCL_UPDATE_CHANGE, 2);
    scl_debounce_update(d, 80, SCL_UPDATE_CHANGE, 3);
    expect(d, 100, NONE, 0, FULL);
    cr_assert_eq(scl_debounce_next_deadline(d), 180);
    expect(d, 179, NONE, 0, FULL);
    expect(d, 180, START, 3, FULL); /* only the latest */
    expect(d, 181, NONE, 0, FULL);
    cr_assert_eq(scl_debounce_render_done(d, 3, 300), 1);
    expect(d, 1000, NONE, 0, FULL);
    cr_assert_eq(scl_debounce_next_deadline(d), UINT64_MAX);
    scl_debounce_destroy(d);
}

Test(debounce, drag_previews_at_once_and_latest_wins)
{
    scl_debounce *d = scl_debounce_new(NULL);
    scl_debounce_update(d, 0, SCL_UPDATE_DRAG, 1);
    expect(d, 0, START, 1, PREVIEW);
    scl_debounce_update(d, 10, SCL_UPDATE_DRAG, 2);
    scl_debounce_update(d, 20, SCL_UPDATE_DRAG, 3);
    expect(d, 20, NONE, 0, FULL); /* one render at a time */
    cr_assert_eq(scl_debounce_render_done(d, 1, 50), 0); /* shown, but no longer the latest */
    expect(d, 50, START, 3, PREVIEW); /* 2 skipped */
    cr_assert_eq(scl_debounce_render_done(d, 3, 80), 1);
    /* release of the same position: full quality at once */
    scl_debounce_update(d, 90, SCL_UPDATE_RELEASE, 3);
    expect(d, 90, START, 3, FULL);
    cr_assert_eq(scl_debounce_render_done(d, 3, 200), 1);
    scl_debounce_destroy(d);
}

Test(debounce, release_cancels_a_stale_preview)
{
    scl_debounce *d = scl_debounce_new(NULL);
    scl_debounce_update(d, 0, SCL_UPDATE_DRAG, 1);
    expect(d, 0, START, 1, PREVIEW);
    scl_debounce_update(d, 30, SCL_UPDATE_RELEASE, 2);
    expect(d, 30, CANCEL, 1, PREVIEW);
    expect(d, 30, START, 2, FULL);
    cr_assert_eq(scl_debounce_render_done(d, 1, 40), 0); /* the cancelled one, if it still reports */
    cr_assert_eq(scl_debounce_render_done(d, 2, 400), 1);
    scl_debounce_destroy(d);
}

Test(debounce, a_typed_value_cancels_a_stale_full_render_once_due)
{
    scl_debounce_config cfg = {100, 500, 0, 0};
    scl_debounce *d = scl_debounce_new(&cfg);
    scl_debounce_update(d, 0, SCL_UPDATE_CHANGE, 1);
    expect(d, 100, START, 1, FULL);
    scl_debounce_update(d, 150, SCL_UPDATE_CHANGE, 2);
    cr_assert_eq(scl_debounce_next_deadline(d), 250); /* the window, not the stale limit */
    expect(d, 249, NONE, 0, FULL); /* still inside the typing window */
    expect(d, 250, CANCEL, 1, FULL); /* latest wins: no waiting for the stale one */
    expect(d, 250, START, 2, FULL);
    scl_debounce_destroy(d);
}

Test(debounce, stale_preview_running_too_long_is_cancelled)
{
    scl_debounce_config cfg = {100, 500, 0, 0};
    scl_debounce *d = scl_debounce_new(&cfg);
    scl_debounce_update(d, 0, SCL_UPDATE_DRAG, 1);
    expect(d, 0, START, 1, PREVIEW);
    scl_debounce_update(d, 150, SCL_UPDATE_DRAG, 2);
    expect(d, 300, NONE, 0, FULL); /* the preview of 1 may still finish */
    cr_assert_eq(scl_debounce_next_deadline(d), 500);
    expect(d, 500, CANCEL, 1, PREVIEW);
    /* it ran 500 ms: previews are now known to be slow, so the next is coarse */
    cr_assert_eq(scl_debounce_estimate(d, PREVIEW), 500);
    expect(d, 500, START, 2, SCL_QUALITY_COARSE); /* planned when it starts */
    scl_debounce_destroy(d);
}

Test(debounce, previews_get_coarser_then_hold_as_they_cost_more)
{
    scl_debounce *d = scl_debounce_new(NULL); /* slow 250, hold 1000 */
    cr_assert_eq(scl_debounce_drag_plan(d), SCL_DRAG_PREVIEW);
    scl_debounce_observe(d, PREVIEW, 200);
    cr_assert_eq(scl_debounce_drag_plan(d), SCL_DRAG_PREVIEW);
    scl_debounce_observe(d, PREVIEW, 600); /* up at once */
    cr_assert_eq(scl_debounce_estimate(d, PREVIEW), 600);
    cr_assert_eq(scl_debounce_drag_plan(d), SCL_DRAG_COARSE);
    scl_debounce_observe(d, SCL_QUALITY_COARSE, 900);
    cr_assert_eq(scl_debounce_drag_plan(d), SCL_DRAG_COARSEST);
    scl_debounce_observe(d, SCL_QUALITY_COARSEST, 1500);
    cr_assert_eq(scl_debounce_drag_plan(d), SCL_DRAG_HOLD);
    /* holding: a drag starts nothing; the release renders at once */
    scl_debounce_update(d, 0, SCL_UPDATE_DRAG, 1);
    expect(d, 0, NONE, 0, FULL);
    scl_debounce_update(d, 50, SCL_UPDATE_RELEASE, 2);
    expect(d, 50, START, 2, FULL);
    /* the model became light: a 100 ms full render bounds the previews */
    scl_debounce_observe(d, FULL, 100);
    cr_assert_eq(scl_debounce_drag_plan(d), SCL_DRAG_PREVIEW);
    cr_assert_eq(scl_debounce_estimate(d, SCL_QUALITY_COARSE), 100);
    scl_debounce_destroy(d);
}

Test(debounce, the_ladder_goes_down_as_previews_cost_more_and_climbs_back)
{
    scl_debounce_config cfg = {100, 2000, 120, 1000};
    scl_debounce *d = scl_debounce_new(&cfg);
    scl_debounce_observe(d, FULL, 400); /* candleStand-like: full 400 ms */
    cr_assert_eq(scl_debounce_drag_plan(d), SCL_DRAG_PREVIEW); /* not measured: tried */
    scl_debounce_observe(d, PREVIEW, 110);
    cr_assert_eq(scl_debounce_drag_plan(d), SCL_DRAG_PREVIEW);
    scl_debounce_observe(d, PREVIEW, 130); /* one slow preview is enough */
    cr_assert_eq(scl_debounce_drag_plan(d), SCL_DRAG_COARSE);
    /* the drag starts at the rung planned when it starts */
    scl_debounce_update(d, 0, SCL_UPDATE_DRAG, 1);
    expect(d, 0, START, 1, SCL_QUALITY_COARSE);
    scl_debounce_observe(d, SCL_QUALITY_COARSE, 125);
    cr_assert(scl_debounce_render_done(d, 1, 125));
    cr_assert_eq(scl_debounce_drag_plan(d), SCL_DRAG_COARSEST);
    scl_debounce_update(d, 130, SCL_UPDATE_DRAG, 2);
    expect(d, 130, START, 2, SCL_QUALITY_COARSEST);
    /* slower than the budget but far from holding: the bottom rung stays */
    scl_debounce_observe(d, SCL_QUALITY_COARSEST, 140);
    cr_assert_eq(scl_debounce_drag_plan(d), SCL_DRAG_COARSEST);
    /* cheap again (the slider went back): down by halves, and the rungs
     * above are bounded at 3/2 per rung, so the drag climbs back */
    scl_debounce_observe(d, SCL_QUALITY_COARSEST, 40);
    cr_assert_eq(scl_debounce_estimate(d, SCL_QUALITY_COARSEST), 90);
    cr_assert_eq(scl_debounce_estimate(d, SCL_QUALITY_COARSE), 60);
    cr_assert_eq(scl_debounce_estimate(d, PREVIEW), 90);
    cr_assert_eq(scl_debounce_drag_plan(d), SCL_DRAG_PREVIEW);
    scl_debounce_destroy(d);
}

Test(debounce, a_slow_full_render_starts_drags_at_the_bottom_rung)
{
    scl_debounce *d = scl_debounce_new(NULL);
    scl_debounce_observe(d, FULL, 7000);
    cr_assert_eq(scl_debounce_drag_plan(d), SCL_DRAG_COARSEST);
    cr_assert_eq(scl_debounce_estimate(d, PREVIEW), UINT64_MAX);
    scl_debounce_destroy(d);
}

Test(debounce, cancel_all_stops_the_running_render_and_drops_the_pending_one)
{
    scl_debounce *d = scl_debounce_new(NULL);
    uint64_t gen = 0;
    cr_assert_eq(scl_debounce_cancel_all(d, &gen), 0);
    scl_debounce_update(d, 0, SCL_UPDATE_RELEASE, 1);
    expect(d, 0, START, 1, FULL);
    scl_debounce_update(d, 10, SCL_UPDATE_CHANGE, 2);
    cr_assert_eq(scl_debounce_cancel_all(d, &gen), 1);
    cr_assert_eq(gen, 1);
    expect(d, 1000, NONE, 0, FULL);
    cr_assert_eq(scl_debounce_render_done(d, 1, 1100), 0); /* a late result is stale */
    cr_assert_eq(scl_debounce_next_deadline(d), UINT64_MAX);
    scl_debounce_destroy(d);
}

Test(debounce, identical_parameters_are_not_rendered_twice)
{
    scl_debounce *d = scl_debounce_new(NULL);
    scl_debounce_update(d, 0, SCL_UPDATE_RELEASE, 7);
    expect(d, 0, START, 7, FULL);
    scl_debounce_update(d, 10, SCL_UPDATE_CHANGE, 7); /* same params while running */
    expect(d, 500, NONE, 0, FULL);
    cr_assert_eq(scl_debounce_render_done(d, 7, 600), 1);
    scl_debounce_update(d, 700, SCL_UPDATE_DRAG, 7); /* a preview of what is shown at full */
    expect(d, 700, NONE, 0, FULL);
    scl_debounce_update(d, 800, SCL_UPDATE_CHANGE, 8);
    expect(d, 900, START, 8, FULL);
    scl_debounce_destroy(d);
}
