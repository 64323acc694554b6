/* peers.c - see peers.h. */
#include "peers.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

typedef struct peer {
    atomic_size_t pending; /* bytes handed to ZeroMQ and not yet released */
    atomic_int refs;       /* the table's, plus one per frame in ZeroMQ */
    zframe_t *identity;
    char key[2 * 256 + 1];
    int over;     /* over its cap: replies are dropped until pending is 0 */
    int reported; /* handed out by scl_peers_take_overflowed */
} peer;

/* One frame's bytes, owned by ZeroMQ until it calls release(). */
typedef struct frame_buf {
    peer *owner;
    size_t counted;
    uint8_t data[];
} frame_buf;

struct scl_peers {
    void *router; /* the raw ZeroMQ socket */
    size_t cap;
    zhash_t *table; /* key -> peer */
    zlist_t *overflowed; /* peers to report, each with a table reference */
    uint64_t dropped;
};

static void peer_unref(peer *p)
{
    if (atomic_fetch_sub(&p->refs, 1) == 1) {
        zframe_destroy(&p->identity);
        free(p);
    }
}

/* ZeroMQ is done with a frame (called from its I/O thread, or from
 * zmq_msg_close in ours). */
static void release(void *data, void *hint)
{
    (void)data;
    frame_buf *fb = hint;
    atomic_fetch_sub(&fb->owner->pending, fb->counted);
    peer_unref(fb->owner);
    free(fb);
}

static void key_of(const zframe_t *identity, char *out)
{
    static const char hex[] = "0123456789abcdef";
    const uint8_t *b = zframe_data((zframe_t *)identity);
    size_t n = zframe_size((zframe_t *)identity);
    if (n > 256)
        n = 256; /* ZeroMQ routing ids are at most 255 bytes */
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[b[i] >> 4];
        out[2 * i + 1] = hex[b[i] & 15];
    }
    out[2 * n] = 0;
}

scl_peers *scl_peers_new(zsock_t *router, size_t cap)
{
    scl_peers *ps = calloc(1, sizeof *ps);
    if (!ps)
        return NULL;
    ps->router = zsock_resolve(router);
    ps->cap = cap ? cap : SCL_PEERS_DEFAULT_CAP;
    ps->table = zhash_new();
    ps->overflowed = zlist_new();
    if (!ps->table || !ps->overflowed) {
        scl_peers_destroy(&ps);
        return NULL;
    }
    return ps;
}

void scl_peers_destroy(scl_peers **pps)
{
    scl_peers *ps = *pps;
    if (!ps)
        return;
    *pps = NULL;
    if (ps->overflowed) {
        for (peer *p = zlist_pop(ps->overflowed); p; p = zlist_pop(ps->overflowed))
            peer_unref(p);
        zlist_destroy(&ps->overflowed);
    }
    if (ps->table) {
        for (peer *p = zhash_first(ps->table); p; p = zhash_next(ps->table))
            peer_unref(p); /* frames still in ZeroMQ keep theirs alive */
        zhash_destroy(&ps->table);
    }
    free(ps);
}

static peer *find(scl_peers *ps, const zframe_t *identity, int create)
{
    char key[sizeof((peer *)0)->key];
    key_of(identity, key);
    peer *p = zhash_lookup(ps->table, key);
    if (p || !create)
        return p;
    p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    atomic_init(&p->pending, 0);
    atomic_init(&p->refs, 1);
    p->identity = zframe_dup((zframe_t *)identity);
    memcpy(p->key, key, sizeof key);
    if (!p->identity || zhash_insert(ps->table, p->key, p) != 0) {
        zframe_destroy(&p->identity);
        free(p);
        return NULL;
    }
    return p;
}

int scl_peers_over_cap(scl_peers *ps, const zframe_t *identity)
{
    peer *p = find(ps, identity, 0);
    return p && p->over;
}

/* Hand one frame to ZeroMQ, zero-copy, counted against its peer. */
static int send_frame(scl_peers *ps, peer *p, zframe_t *f, int more)
{
    size_t n = zframe_size(f);
    frame_buf *fb = malloc(sizeof *fb + (n ? n : 1));
    if (!fb)
        return -1;
    memcpy(fb->data, zframe_data(f), n);
    fb->owner = p;
    fb->counted = n + SCL_PEERS_FRAME_OVERHEAD;
    atomic_fetch_add(&p->refs, 1);
    atomic_fetch_add(&p->pending, fb->counted);
    zmq_msg_t m;
    if (zmq_msg_init_data(&m, fb->data, n, release, fb) != 0) {
        release(fb->data, fb);
        return -1;
    }
    if (zmq_msg_send(&m, ps->router, ZMQ_DONTWAIT | (more ? ZMQ_SNDMORE : 0)) < 0) {
        int e = zmq_errno();
        zmq_msg_close(&m); /* releases fb */
        errno = e;
        return -1;
    }
    return 0;
}

scl_send_result scl_peers_send(scl_peers *ps, zmsg_t **msg)
{
    zmsg_t *m = *msg;
    *msg = NULL;
    zframe_t *identity = m ? zmsg_first(m) : NULL;
    if (!identity || zmsg_size(m) < 2) {
        zmsg_destroy(&m);
        return SCL_SEND_FAILED;
    }
    peer *p = find(ps, identity, 1);
    if (!p) {
        zmsg_destroy(&m);
        return SCL_SEND_FAILED;
    }
    size_t bytes = zmsg_content_size(m) + zmsg_size(m) * (size_t)SCL_PEERS_FRAME_OVERHEAD;
    size_t pending = atomic_load(&p->pending);
    if (p->over || pending + bytes > ps->cap) {
        if (!p->over) {
            p->over = 1;
            zsys_warning("scadlive bridge: client %s stopped reading its replies: %zu bytes unread, "
                         "the next reply (%zu bytes) would pass the per-client cap of %zu bytes; its "
                         "replies are dropped and its requests cancelled until it catches up",
                         p->key, pending, bytes, ps->cap);
        }
        if (!p->reported) {
            p->reported = 1;
            atomic_fetch_add(&p->refs, 1);
            zlist_append(ps->overflowed, p);
        }
        ps->dropped++;
        zmsg_destroy(&m);
        return SCL_SEND_DROPPED;
    }
    scl_send_result r = SCL_SEND_OK;
    size_t nframes = zmsg_size(m), i = 0;
    for (zframe_t *f = zmsg_first(m); f; f = zmsg_next(m), i++) {
        if (send_frame(ps, p, f, i + 1 < nframes) != 0) {
            /* only the first frame (the routing id) can meet an unknown peer */
            r = i == 0 && errno == EHOSTUNREACH ? SCL_SEND_GONE : SCL_SEND_FAILED;
            break;
        }
    }
    zmsg_destroy(&m);
    return r;
}

zframe_t *scl_peers_take_overflowed(scl_peers *ps)
{
    peer *p = zlist_pop(ps->overflowed);
    if (!p)
        return NULL;
    zframe_t *id = zframe_dup(p->identity);
    peer_unref(p);
    return id;
}

void scl_peers_sweep(scl_peers *ps)
{
    zlist_t *idle = zlist_new();
    if (!idle)
        return;
    for (peer *p = zhash_first(ps->table); p; p = zhash_next(ps->table))
        if (atomic_load(&p->pending) == 0)
            zlist_append(idle, p);
    for (peer *p = zlist_pop(idle); p; p = zlist_pop(idle)) {
        zhash_delete(ps->table, p->key);
        peer_unref(p);
    }
    zlist_destroy(&idle);
}

size_t scl_peers_cap(const scl_peers *ps) { return ps->cap; }

size_t scl_peers_pending_total(scl_peers *ps)
{
    size_t total = 0;
    for (peer *p = zhash_first(ps->table); p; p = zhash_next(ps->table))
        total += atomic_load(&p->pending);
    return total;
}

uint64_t scl_peers_dropped(const scl_peers *ps) { return ps->dropped; }

void scl_peers_count_dropped(scl_peers *ps) { ps->dropped++; }
