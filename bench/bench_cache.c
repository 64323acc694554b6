/* bench_cache - latency of result-cache operations, against a baseline
 * measured in the same run: a memcpy of the same value (what any lookup
 * that copies out would pay at least). Keys are 16-byte render keys. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache.h"

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(void)
{
    enum { KEYS = 10000, LOOKUPS = 1000000, VALUE = 64 * 1024 };
    scl_cache_config cfg = {(size_t)2 << 30, 0};
    scl_cache *c = scl_cache_new(&cfg, NULL);
    uint8_t *value = malloc(VALUE), *copy = malloc(VALUE);
    memset(value, 7, VALUE);
    uint8_t keys[KEYS][16];
    for (int i = 0; i < KEYS; i++)
        for (int k = 0; k < 16; k++)
            keys[i][k] = (uint8_t)((i * 2654435761u) >> (k % 4 * 8)) ^ (uint8_t)k;
    double t0 = now_ns();
    for (int i = 0; i < KEYS; i++) {
        scl_cache_outcome o;
        uint64_t *w;
        size_t n;
        if (scl_cache_acquire(c, keys[i], 16, 0, 0, &o, NULL, NULL) != SCL_OK ||
            scl_cache_complete(c, keys[i], 16, 0, value, VALUE, "{\"triangles\":12}", &w, &n, NULL) != SCL_OK) {
            fprintf(stderr, "bench_cache: storing key %d failed\n", i);
            return 1;
        }
        free(w);
    }
    double store_ns = (now_ns() - t0) / KEYS;
    uint64_t sum = 0;
    t0 = now_ns();
    for (int i = 0; i < LOOKUPS; i++) {
        scl_cache_outcome o;
        scl_cache_value v;
        if (scl_cache_acquire(c, keys[((unsigned)i * 7919u) % KEYS], 16, 1, 0, &o, &v, NULL) != SCL_OK) {
            fprintf(stderr, "bench_cache: lookup %d failed\n", i);
            return 1;
        }
        sum += v.len;
    }
    double hit_ns = (now_ns() - t0) / LOOKUPS;
    t0 = now_ns();
    for (int i = 0; i < 10000; i++) {
        memcpy(copy, value, VALUE);
        __asm__ volatile("" ::"r"(copy) : "memory");
    }
    double copy_ns = (now_ns() - t0) / 10000;
    printf("cache: %d entries of %d KiB, 16-byte keys\n", KEYS, VALUE / 1024);
    printf("  %-40s %10.0f ns/op\n", "hit (acquire, no copy)", hit_ns);
    printf("  %-40s %10.0f ns/op\n", "miss + complete (stores a copy)", store_ns);
    printf("  %-40s %10.0f ns/op\n", "baseline: memcpy of one 64 KiB value", copy_ns);
    printf("  %-40s %10.3f\n", "ratio hit / memcpy", hit_ns / copy_ns);
    if (sum == 0)
        return 1;
    scl_cache_destroy(c);
    free(value);
    free(copy);
    return 0;
}
