/* cache.c - see cache.h. A chained hash table of entries; ready entries
 * also sit on a doubly linked LRU list (most recent at the head). */
#include "cache.h"

#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

#define DEFAULT_BUDGET ((size_t)256 << 20)
#define ENTRY_OVERHEAD 64 /* bytes counted per entry besides key, value and meta */

typedef struct entry {
    struct entry *next_in_bucket;
    struct entry *lru_prev, *lru_next; /* ready entries only */
    uint8_t *key;
    size_t keylen;
    uint64_t hash;
    int pending;
    /* ready */
    uint8_t *data;
    size_t len;
    char *meta;
    size_t cost; /* bytes charged to the budget */
    uint64_t stored_at;
    /* pending */
    uint64_t *waiters;
    size_t nwaiters, capwaiters;
} entry;

struct scl_cache {
    entry **buckets;
    size_t nbuckets, count;
    entry *lru_head, *lru_tail;
    size_t budget, bytes;
    uint64_t ttl;
    scl_memory *mm;
    scl_cache_stats st;
};

static uint64_t hash_key(const void *key, size_t len)
{
    /* FNV-1a: keys are already hashes; this only spreads them over buckets */
    const uint8_t *p = key;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

static size_t evict_for_memory(void *user, size_t wanted)
{
    scl_cache *c = user;
    size_t freed = scl_cache_evict_bytes(c, wanted);
    return freed;
}

scl_cache *scl_cache_new(const scl_cache_config *config, scl_memory *mm)
{
    scl_cache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->nbuckets = 64;
    c->buckets = calloc(c->nbuckets, sizeof *c->buckets);
    if (!c->buckets) {
        free(c);
        return NULL;
    }
    c->budget = config && config->budget_bytes ? config->budget_bytes : DEFAULT_BUDGET;
    c->ttl = config ? config->ttl_ms : 0;
    c->mm = mm;
    if (mm && scl_memory_add_evictor(mm, evict_for_memory, c, NULL) != SCL_OK) {
        free(c->buckets);
        free(c);
        return NULL;
    }
    return c;
}

static void entry_free(entry *e)
{
    free(e->key);
    free(e->data);
    free(e->meta);
    free(e->waiters);
    free(e);
}

void scl_cache_destroy(scl_cache *c)
{
    if (!c)
        return;
    for (size_t b = 0; b < c->nbuckets; b++) {
        entry *e = c->buckets[b];
        while (e) {
            entry *n = e->next_in_bucket;
            if (!e->pending && c->mm)
                scl_memory_release(c->mm, e->cost);
            entry_free(e);
            e = n;
        }
    }
    free(c->buckets);
    free(c);
}

static entry **find_slot(scl_cache *c, const void *key, size_t keylen, uint64_t h)
{
    entry **pp = &c->buckets[h & (c->nbuckets - 1)];
    while (*pp && !((*pp)->hash == h && (*pp)->keylen == keylen && !memcmp((*pp)->key, key, keylen)))
        pp = &(*pp)->next_in_bucket;
    return pp;
}

static void lru_unlink(scl_cache *c, entry *e)
{
    if (e->lru_prev)
        e->lru_prev->lru_next = e->lru_next;
    else
        c->lru_head = e->lru_next;
    if (e->lru_next)
        e->lru_next->lru_prev = e->lru_prev;
    else
        c->lru_tail = e->lru_prev;
    e->lru_prev = e->lru_next = NULL;
}

static void lru_push_front(scl_cache *c, entry *e)
{
    e->lru_prev = NULL;
    e->lru_next = c->lru_head;
    if (c->lru_head)
        c->lru_head->lru_prev = e;
    c->lru_head = e;
    if (!c->lru_tail)
        c->lru_tail = e;
}

/* Unlink e from its bucket and the LRU list, release its bytes, free it. */
static void remove_entry(scl_cache *c, entry *e)
{
    entry **pp = find_slot(c, e->key, e->keylen, e->hash);
    if (*pp == e)
        *pp = e->next_in_bucket;
    if (e->pending) {
        c->st.pending--;
    } else {
        lru_unlink(c, e);
        c->bytes -= e->cost;
        c->st.entries--;
        if (c->mm)
            scl_memory_release(c->mm, e->cost);
    }
    c->count--;
    entry_free(e);
}

static void grow(scl_cache *c)
{
    size_t nb = c->nbuckets * 2;
    entry **buckets = calloc(nb, sizeof *buckets);
    if (!buckets)
        return; /* keep working with longer chains */
    for (size_t b = 0; b < c->nbuckets; b++) {
        entry *e = c->buckets[b];
        while (e) {
            entry *n = e->next_in_bucket;
            e->next_in_bucket = buckets[e->hash & (nb - 1)];
            buckets[e->hash & (nb - 1)] = e;
            e = n;
        }
    }
    free(c->buckets);
    c->buckets = buckets;
    c->nbuckets = nb;
}

static int add_waiter(entry *e, uint64_t w)
{
    uint64_t *waiters = scl_grow(e->waiters, &e->capwaiters, e->nwaiters, sizeof *waiters, 4);
    if (!waiters)
        return -1;
    e->waiters = waiters;
    e->waiters[e->nwaiters++] = w;
    return 0;
}

scl_status scl_cache_acquire(scl_cache *c, const void *key, size_t keylen, uint64_t now_ms,
                             uint64_t waiter, scl_cache_outcome *outcome, scl_cache_value *value,
                             scl_error *err)
{
    if (!c || !key || !keylen || !outcome)
        return scl_error_set(err, SCL_EINVAL, "scl_cache_acquire: bad argument");
    uint64_t h = hash_key(key, keylen);
    entry **pp = find_slot(c, key, keylen, h);
    entry *e = *pp;
    if (e && !e->pending && c->ttl && now_ms - e->stored_at >= c->ttl) {
        remove_entry(c, e);
        c->st.evictions_ttl++;
        e = NULL;
    }
    if (e && !e->pending) {
        lru_unlink(c, e);
        lru_push_front(c, e);
        c->st.hits++;
        *outcome = SCL_CACHE_HIT;
        if (value) {
            value->data = e->data;
            value->len = e->len;
            value->meta = e->meta ? e->meta : "";
        }
        return SCL_OK;
    }
    if (e) {
        if (add_waiter(e, waiter) != 0)
            return scl_error_set(err, SCL_ENOMEM, "out of memory");
        c->st.joins++;
        *outcome = SCL_CACHE_JOINED;
        return SCL_OK;
    }
    e = calloc(1, sizeof *e);
    if (!e || !(e->key = malloc(keylen))) {
        free(e);
        return scl_error_set(err, SCL_ENOMEM, "out of memory");
    }
    memcpy(e->key, key, keylen);
    e->keylen = keylen;
    e->hash = h;
    e->pending = 1;
    pp = find_slot(c, key, keylen, h); /* expiry above may have changed the chain */
    *pp = e;
    c->count++;
    c->st.pending++;
    c->st.misses++;
    if (c->count > c->nbuckets)
        grow(c);
    *outcome = SCL_CACHE_MISS;
    return SCL_OK;
}

static entry *find_pending(scl_cache *c, const void *key, size_t keylen)
{
    entry *e = *find_slot(c, key, keylen, hash_key(key, keylen));
    return e && e->pending ? e : NULL;
}

static void hand_over_waiters(entry *e, uint64_t **waiters, size_t *nwaiters)
{
    if (waiters) {
        *waiters = e->nwaiters ? e->waiters : NULL;
        if (e->nwaiters)
            e->waiters = NULL;
    }
    if (nwaiters)
        *nwaiters = e->nwaiters;
}

scl_status scl_cache_complete(scl_cache *c, const void *key, size_t keylen, uint64_t now_ms,
                              const uint8_t *data, size_t len, const char *meta,
                              uint64_t **waiters, size_t *nwaiters, scl_error *err)
{
    if (waiters)
        *waiters = NULL;
    if (nwaiters)
        *nwaiters = 0;
    if (!c || !key || (!data && len))
        return scl_error_set(err, SCL_EINVAL, "scl_cache_complete: bad argument");
    entry *e = find_pending(c, key, keylen);
    if (!e)
        return scl_error_set(err, SCL_ESTATE, "no render is pending for this key");
    hand_over_waiters(e, waiters, nwaiters);
    size_t metalen = meta ? strlen(meta) : 0;
    size_t cost = len + metalen + keylen + ENTRY_OVERHEAD;
    int store = cost <= c->budget;
    if (store) {
        /* make room in the budget, least recently used first */
        while (c->bytes + cost > c->budget && c->lru_tail) {
            remove_entry(c, c->lru_tail);
            c->st.evictions_lru++;
        }
        if (c->mm && scl_memory_reserve(c->mm, cost, "cached result", NULL) != SCL_OK)
            store = 0; /* memory pressure: deliver without caching */
    }
    e = find_pending(c, key, keylen); /* the evictor may not remove pending slots, but re-find anyway */
    if (!store) {
        c->st.oversize++;
        remove_entry(c, e);
        return SCL_OK;
    }
    e->data = malloc(len ? len : 1);
    e->meta = malloc(metalen + 1);
    if (!e->data || !e->meta) {
        if (c->mm)
            scl_memory_release(c->mm, cost);
        remove_entry(c, e);
        return scl_error_set(err, SCL_ENOMEM, "out of memory storing a result");
    }
    if (len)
        memcpy(e->data, data, len);
    if (metalen)
        memcpy(e->meta, meta, metalen);
    e->meta[metalen] = 0;
    e->len = len;
    e->cost = cost;
    e->stored_at = now_ms;
    e->pending = 0;
    free(e->waiters);
    e->waiters = NULL;
    e->nwaiters = e->capwaiters = 0;
    c->st.pending--;
    c->st.entries++;
    c->st.stores++;
    c->bytes += cost;
    lru_push_front(c, e);
    return SCL_OK;
}

scl_status scl_cache_fail(scl_cache *c, const void *key, size_t keylen, uint64_t **waiters,
                          size_t *nwaiters, scl_error *err)
{
    if (waiters)
        *waiters = NULL;
    if (nwaiters)
        *nwaiters = 0;
    if (!c || !key)
        return scl_error_set(err, SCL_EINVAL, "scl_cache_fail: bad argument");
    entry *e = find_pending(c, key, keylen);
    if (!e)
        return scl_error_set(err, SCL_ESTATE, "no render is pending for this key");
    hand_over_waiters(e, waiters, nwaiters);
    remove_entry(c, e);
    return SCL_OK;
}

int scl_cache_cancel_waiter(scl_cache *c, const void *key, size_t keylen, uint64_t waiter)
{
    entry *e = c && key ? find_pending(c, key, keylen) : NULL;
    if (!e)
        return 0;
    for (size_t i = 0; i < e->nwaiters; i++)
        if (e->waiters[i] == waiter) {
            memmove(e->waiters + i, e->waiters + i + 1, (e->nwaiters - i - 1) * sizeof *e->waiters);
            e->nwaiters--;
            return 1;
        }
    return 0;
}

int scl_cache_abandon(scl_cache *c, const void *key, size_t keylen, uint64_t *new_owner)
{
    entry *e = c && key ? find_pending(c, key, keylen) : NULL;
    if (!e)
        return 0;
    if (e->nwaiters == 0) {
        remove_entry(c, e);
        return 0;
    }
    if (new_owner)
        *new_owner = e->waiters[0];
    memmove(e->waiters, e->waiters + 1, (e->nwaiters - 1) * sizeof *e->waiters);
    e->nwaiters--;
    return 1;
}

size_t scl_cache_expire(scl_cache *c, uint64_t now_ms)
{
    if (!c || !c->ttl)
        return 0;
    size_t n = 0;
    entry *e = c->lru_tail;
    while (e) {
        entry *prev = e->lru_prev;
        if (now_ms - e->stored_at >= c->ttl) {
            remove_entry(c, e);
            c->st.evictions_ttl++;
            n++;
        }
        e = prev;
    }
    return n;
}

size_t scl_cache_evict_bytes(scl_cache *c, size_t bytes)
{
    size_t freed = 0;
    while (c && freed < bytes && c->lru_tail) {
        freed += c->lru_tail->cost;
        remove_entry(c, c->lru_tail);
        c->st.evictions_pressure++;
    }
    return freed;
}

void scl_cache_get_stats(const scl_cache *c, scl_cache_stats *out)
{
    *out = c->st;
    out->bytes = c->bytes;
    out->budget = c->budget;
}
