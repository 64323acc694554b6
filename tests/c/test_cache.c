/* Tests for cache.h, memory.h and duration.h: hits and misses, LRU under
 * the byte budget, TTL with passed-in time, single-flight joins, failure,
 * waiter cancellation and owner hand-over, memory-pressure eviction and
 * refusal, and the TTL setting's parser. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "duration.h"
#include "memory.h"

static scl_cache_outcome acquire(scl_cache *c, const char *key, uint64_t now, uint64_t waiter,
                                 scl_cache_value *v)
{
    scl_cache_outcome o;
    scl_error err;
    cr_assert_eq(scl_cache_acquire(c, key, strlen(key), now, waiter, &o, v, &err), SCL_OK, "%s", err.message);
    return o;
}

static void complete(scl_cache *c, const char *key, uint64_t now, const char *value)
{
    uint64_t *w;
    size_t n;
    scl_error err;
    cr_assert_eq(scl_cache_complete(c, key, strlen(key), now, (const uint8_t *)value, strlen(value),
                                    "{\"triangles\":12}", &w, &n, &err), SCL_OK, "%s", err.message);
    free(w);
}

Test(cache, miss_then_hit_with_value_and_meta)
{
    scl_cache *c = scl_cache_new(NULL, NULL);
    cr_assert_eq(acquire(c, "k1", 0, 1, NULL), SCL_CACHE_MISS);
    complete(c, "k1", 5, "stl-bytes");
    scl_cache_value v;
    cr_assert_eq(acquire(c, "k1", 6, 2, &v), SCL_CACHE_HIT);
    cr_assert_eq(v.len, 9);
    cr_assert_eq(memcmp(v.data, "stl-bytes", 9), 0);
    cr_assert_str_eq(v.meta, "{\"triangles\":12}");
    scl_cache_stats s;
    scl_cache_get_stats(c, &s);
    cr_assert_eq(s.hits, 1);
    cr_assert_eq(s.misses, 1);
    cr_assert_eq(s.entries, 1);
    cr_assert_eq(s.pending, 0);
    cr_assert_gt(s.bytes, 9);
    scl_cache_destroy(c);
}

Test(cache, single_flight_joins_and_hands_back_waiters)
{
    scl_cache *c = scl_cache_new(NULL, NULL);
    cr_assert_eq(acquire(c, "k", 0, 100, NULL), SCL_CACHE_MISS);
    cr_assert_eq(acquire(c, "k", 1, 101, NULL), SCL_CACHE_JOINED);
    cr_assert_eq(acquire(c, "k", 2, 102, NULL), SCL_CACHE_JOINED);
    cr_assert_eq(acquire(c, "k", 3, 103, NULL), SCL_CACHE_JOINED);
    cr_assert_eq(scl_cache_cancel_waiter(c, "k", 1, 102), 1);
    cr_assert_eq(scl_cache_cancel_waiter(c, "k", 1, 999), 0);
    uint64_t *w;
    size_t n;
    cr_assert_eq(scl_cache_complete(c, "k", 1, 10, (const uint8_t *)"v", 1, NULL, &w, &n, NULL), SCL_OK);
    cr_assert_eq(n, 2);
    cr_assert_eq(w[0], 101);
    cr_assert_eq(w[1], 103);
    free(w);
    scl_cache_stats s;
    scl_cache_get_stats(c, &s);
    cr_assert_eq(s.joins, 3);
    /* completing again is a state error, not a crash */
    scl_error err;
    cr_assert_eq(scl_cache_complete(c, "k", 1, 11, (const uint8_t *)"v", 1, NULL, &w, &n, &err), SCL_ESTATE);
    scl_cache_destroy(c);
}

Test(cache, failure_returns_waiters_and_next_acquire_misses)
{
    scl_cache *c = scl_cache_new(NULL, NULL);
    acquire(c, "k", 0, 1, NULL);
    acquire(c, "k", 0, 2, NULL);
    uint64_t *w;
    size_t n;
    cr_assert_eq(scl_cache_fail(c, "k", 1, &w, &n, NULL), SCL_OK);
    cr_assert_eq(n, 1);
    cr_assert_eq(w[0], 2);
    free(w);
    cr_assert_eq(acquire(c, "k", 1, 3, NULL), SCL_CACHE_MISS);
    scl_cache_destroy(c);
}

Test(cache, abandoned_owner_promotes_the_oldest_waiter)
{
    scl_cache *c = scl_cache_new(NULL, NULL);
    acquire(c, "k", 0, 1, NULL);
    acquire(c, "k", 0, 2, NULL);
    acquire(c, "k", 0, 3, NULL);
    uint64_t owner = 0;
    cr_assert_eq(scl_cache_abandon(c, "k", 1, &owner), 1);
    cr_assert_eq(owner, 2);
    uint64_t *w;
    size_t n;
    cr_assert_eq(scl_cache_complete(c, "k", 1, 1, (const uint8_t *)"v", 1, NULL, &w, &n, NULL), SCL_OK);
    cr_assert_eq(n, 1);
    cr_assert_eq(w[0], 3);
    free(w);
    /* nobody waiting: the slot is dropped */
    acquire(c, "j", 0, 9, NULL);
    cr_assert_eq(scl_cache_abandon(c, "j", 1, &owner), 0);
    cr_assert_eq(acquire(c, "j", 0, 10, NULL), SCL_CACHE_MISS);
    scl_cache_destroy(c);
}

Test(cache, lru_eviction_under_budget_and_oversize_values)
{
    /* each entry costs value + meta + key + 64 bytes of overhead */
    scl_cache_config cfg = {3 * (100 + 16 + 1 + 64), 0};
    scl_cache *c = scl_cache_new(&cfg, NULL);
    char val[101];
    memset(val, 'x', 100);
    val[100] = 0;
    const char *keys[] = {"a", "b", "c"};
    for (int i = 0; i < 3; i++) {
        acquire(c, keys[i], (uint64_t)i, 0, NULL);
        complete(c, keys[i], (uint64_t)i, val);
    }
    cr_assert_eq(acquire(c, "a", 10, 0, NULL), SCL_CACHE_HIT); /* a is now most recent */
    acquire(c, "d", 11, 0, NULL);
    complete(c, "d", 11, val); /* evicts b, the least recently used */
    cr_assert_eq(acquire(c, "a", 12, 0, NULL), SCL_CACHE_HIT);
    cr_assert_eq(acquire(c, "c", 12, 0, NULL), SCL_CACHE_HIT);
    cr_assert_eq(acquire(c, "d", 12, 0, NULL), SCL_CACHE_HIT);
    cr_assert_eq(acquire(c, "b", 12, 0, NULL), SCL_CACHE_MISS);
    scl_cache_stats s;
    scl_cache_get_stats(c, &s);
    cr_assert_eq(s.evictions_lru, 1);
    cr_assert_leq(s.bytes, cfg.budget_bytes);
    /* a value bigger than the whole budget is delivered but not stored */
    char *big = malloc(4096);
    memset(big, 'y', 4095);
    big[4095] = 0;
    uint64_t *w;
    size_t n;
    acquire(c, "e", 13, 0, NULL);
    cr_assert_eq(acquire(c, "e", 13, 77, NULL), SCL_CACHE_JOINED);
    cr_assert_eq(scl_cache_complete(c, "e", 1, 13, (const uint8_t *)big, 4095, NULL, &w, &n, NULL), SCL_OK);
    cr_assert_eq(n, 1);
    free(w);
    free(big);
    scl_cache_get_stats(c, &s);
    cr_assert_eq(s.oversize, 1);
    cr_assert_eq(acquire(c, "e", 14, 0, NULL), SCL_CACHE_MISS);
    scl_cache_destroy(c);
}

Test(cache, ttl_expiry_with_passed_in_time)
{
    scl_cache_config cfg = {0, 1000};
    scl_cache *c = scl_cache_new(&cfg, NULL);
    acquire(c, "k", 0, 0, NULL);
    complete(c, "k", 100, "v");
    cr_assert_eq(acquire(c, "k", 1099, 0, NULL), SCL_CACHE_HIT);
    cr_assert_eq(acquire(c, "k", 1100, 0, NULL), SCL_CACHE_MISS);
    complete(c, "k", 2000, "v");
    acquire(c, "j", 2000, 0, NULL);
    complete(c, "j", 2500, "v");
    cr_assert_eq(scl_cache_expire(c, 3100), 1); /* k (stored at 2000) expired, j not yet */
    cr_assert_eq(acquire(c, "j", 3100, 0, NULL), SCL_CACHE_HIT);
    scl_cache_stats s;
    scl_cache_get_stats(c, &s);
    cr_assert_eq(s.evictions_ttl, 2);
    scl_cache_destroy(c);
}

Test(cache, many_keys_grow_the_table)
{
    scl_cache *c = scl_cache_new(NULL, NULL);
    char key[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof key, "key-%d", i);
        cr_assert_eq(acquire(c, key, 0, 0, NULL), SCL_CACHE_MISS);
        complete(c, key, 0, key);
    }
    for (int i = 0; i < 5000; i += 7) {
        snprintf(key, sizeof key, "key-%d", i);
        scl_cache_value v;
        cr_assert_eq(acquire(c, key, 1, 0, &v), SCL_CACHE_HIT);
        cr_assert_eq(memcmp(v.data, key, strlen(key)), 0);
    }
    scl_cache_destroy(c);
}

Test(memory, refuses_what_cannot_fit_with_a_clear_message)
{
    scl_memory *mm = scl_memory_new(1 << 20, 0);
    scl_error err;
    cr_assert_eq(scl_memory_reserve(mm, 600 << 10, "mesh", &err), SCL_OK);
    cr_assert_eq(scl_memory_reserve(mm, 600 << 10, "render", &err), SCL_EBUDGET);
    cr_assert(strstr(err.message, "render needs 0.6 MiB but only 0.4 MiB of the 1.0 MiB memory budget is free"),
              "%s", err.message);
    scl_memory_release(mm, 600 << 10);
    cr_assert_eq(scl_memory_reserve(mm, 600 << 10, "render", &err), SCL_OK);
    scl_memory_stats s;
    scl_memory_get_stats(mm, &s);
    cr_assert_eq(s.refused, 1);
    cr_assert_eq(s.peak, 600 << 10);
    cr_assert_eq(scl_memory_reserve(mm, 2 << 20, "huge", &err), SCL_EBUDGET);
    scl_memory_destroy(mm);
}

Test(memory, pressure_evicts_from_the_cache_past_the_threshold)
{
    scl_memory *mm = scl_memory_new(10000, 0.8);
    scl_cache *c = scl_cache_new(NULL, mm);
    char val[1000];
    memset(val, 'v', 999);
    val[999] = 0;
    char key[8];
    for (int i = 0; i < 6; i++) { /* 6 x ~1080 bytes: 6480, under the 8000 threshold */
        snprintf(key, sizeof key, "k%d", i);
        acquire(c, key, 0, 0, NULL);
        complete(c, key, (uint64_t)i, val);
    }
    scl_memory_stats ms;
    scl_memory_get_stats(mm, &ms);
    cr_assert_eq(ms.evictions_requested, 0);
    /* a 3000-byte mesh pushes usage past 80%: the oldest cache entries go */
    scl_error err;
    cr_assert_eq(scl_memory_reserve(mm, 3000, "mesh", &err), SCL_OK, "%s", err.message);
    scl_memory_get_stats(mm, &ms);
    cr_assert_geq(ms.evictions_requested, 1);
    cr_assert_leq(ms.used, 8000);
    cr_assert_eq(acquire(c, "k0", 1, 0, NULL), SCL_CACHE_MISS); /* oldest evicted */
    cr_assert_eq(acquire(c, "k5", 1, 0, NULL), SCL_CACHE_HIT);  /* newest kept */
    scl_cache_stats cs;
    scl_cache_get_stats(c, &cs);
    cr_assert_geq(cs.evictions_pressure, 2);
    scl_cache_destroy(c);
    scl_memory_get_stats(mm, &ms);
    cr_assert_eq(ms.used, 3000); /* the cache released everything it held */
    scl_memory_destroy(mm);
}

Test(duration, accepted_forms)
{
    struct {
        const char *text;
        uint64_t ms;
    } ok[] = {{"3600", 3600000}, {"1.5", 1500}, {"500ms", 500}, {"90s", 90000}, {"15m", 900000},
              {"1h", 3600000}, {"2d", 172800000}, {"0", 0}, {"off", 0}, {"none", 0}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        uint64_t ms = 1;
        scl_error err;
        cr_expect_eq(scl_duration_parse(ok[i].text, &ms, &err), SCL_OK, "%s: %s", ok[i].text, err.message);
        cr_expect_eq(ms, ok[i].ms, "%s -> %llu", ok[i].text, (unsigned long long)ms);
    }
    const char *bad[] = {"", "abc", "-5", "10x", "1h30m", "1e3", "99999999999999999999d", "h", ".", "1..2s"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t ms = 0;
        scl_error err;
        cr_expect_eq(scl_duration_parse(bad[i], &ms, &err), SCL_EPARSE, "%s accepted", bad[i]);
        cr_expect(strstr(err.message, "1h") != NULL || strstr(err.message, "too long") != NULL, "%s", err.message);
    }
}
