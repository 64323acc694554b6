/*
 * peers.h - the bridge's replies to its clients ("peers" of its ROUTER
 * socket), sent without ever blocking, within a per-peer byte cap.
 *
 * Why: a client that stops reading must not stall the others, nor make the
 * bridge hold its replies without bound. ZeroMQ's own high-water mark counts
 * messages, not bytes, and a blocking send on a full pipe stops the whole
 * event loop (timers included). So the ROUTER gets no message high-water
 * mark, every send is ZMQ_DONTWAIT, and the bytes are counted here instead:
 * each frame is handed to ZeroMQ zero-copy with a free callback, which
 * ZeroMQ calls (from its I/O thread) once the frame is written to the
 * connection or the peer is gone. A peer's "pending" bytes are its replies
 * not yet taken by the operating system.
 *
 * A reply that would take a peer's pending bytes past the cap is dropped,
 * one log line says so, and the peer is reported once through
 * scl_peers_take_overflowed so the bridge cancels its requests. Replies
 * are dropped until everything the peer held is gone (it read it or
 * disconnected); then it starts afresh. Memory held for replies is thus at
 * most `cap` bytes per peer (frame bytes plus SCL_PEERS_FRAME_OVERHEAD per
 * frame, which covers ZeroMQ's bookkeeping).
 */
#ifndef SCL_PEERS_H
#define SCL_PEERS_H

#include <stddef.h>

#include <czmq.h>

#include "error.h"

#define SCL_PEERS_DEFAULT_CAP ((size_t)256 << 20)
#define SCL_PEERS_FRAME_OVERHEAD 128

typedef struct scl_peers scl_peers;

typedef enum scl_send_result {
    SCL_SEND_OK,      /* handed to ZeroMQ */
    SCL_SEND_GONE,    /* the peer is not connected (any more) */
    SCL_SEND_DROPPED, /* the peer is over its cap: the reply was dropped */
    SCL_SEND_FAILED   /* out of memory or a ZeroMQ error: not sent */
} scl_send_result;

/* router: a ROUTER socket with ROUTER_MANDATORY set. cap: bytes per peer
 * (0 = SCL_PEERS_DEFAULT_CAP). */
scl_peers *scl_peers_new(zsock_t *router, size_t cap);
void scl_peers_destroy(scl_peers **peers);

/* Send *msg (frame 0: the peer's routing id) without blocking; *msg is
 * always consumed. */
scl_send_result scl_peers_send(scl_peers *peers, zmsg_t **msg);

/* Is this peer over its cap (its replies are being dropped)? Lets the
 * bridge skip building a reply nobody will get; a reply skipped so counts
 * as dropped. */
int scl_peers_over_cap(scl_peers *peers, const zframe_t *identity);
void scl_peers_count_dropped(scl_peers *peers);

/* A peer that went over its cap since the last call, or NULL. The caller
 * owns the returned identity (zframe_destroy). */
zframe_t *scl_peers_take_overflowed(scl_peers *peers);

/* Forget peers that hold nothing (call now and then). */
void scl_peers_sweep(scl_peers *peers);

size_t scl_peers_cap(const scl_peers *peers);
/* Bytes held for all peers now, and the number of replies dropped so far. */
size_t scl_peers_pending_total(scl_peers *peers);
uint64_t scl_peers_dropped(const scl_peers *peers);

#endif
