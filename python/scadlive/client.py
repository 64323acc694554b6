"""Bridge clients: asyncio (for notebooks) and blocking (for scripts).

Why asyncio and ZeroMQ: a notebook cell that awaits a reply arriving over
the widget comm hangs, because the kernel processes comm messages only after
the running cell finishes. A ZeroMQ socket read on the kernel's own asyncio
loop is not queued behind the cell, so ``await viewer.render_async()``
completes inside a running cell.

Every request carries a fresh UUID; replies are matched to waiters by it, so
any number of calls may be in flight at once (``asyncio.gather``).
"""
from __future__ import annotations

import asyncio
import atexit
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

import zmq
import zmq.asyncio

from . import _protocol as proto
from ._log import lines_of
from ._process import BridgeProcess, Connection
from .errors import BridgeLost, RenderError, ScadliveError

# How often a waiting call checks that the daemon is still alive.
_LIVENESS_INTERVAL_S = 0.25


@dataclass
class Reply:
    header: dict[str, Any]
    payload: list[bytes] = field(default_factory=list)


def _raise_for_error(reply: Reply) -> Reply:
    h = reply.header
    if h.get("type") == "error":
        raise RenderError(str(h.get("code", "UNKNOWN")), str(h.get("message", "")),
                          file=h.get("file"), line=h.get("line"), log=str(h.get("log", "")),
                          reason=h.get("reason"), field=h.get("field"), messages=lines_of(h))
    return reply


class _LoopState:
    """The socket and pending calls of one event loop (pyzmq sockets are per loop)."""

    def __init__(self, ctx: zmq.asyncio.Context, conn: Connection, generation: int) -> None:
        self.socket = ctx.socket(zmq.DEALER)
        self.socket.setsockopt(zmq.LINGER, 0)
        conn.connect(self.socket)
        self.generation = generation
        self.pending: dict[str, asyncio.Future[Reply]] = {}
        self.reader: asyncio.Task[None] | None = None

    def close(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
        self.socket.close(linger=0)


class AsyncBridgeClient:
    """Talks to the bridge from asyncio code; one per process is enough."""

    def __init__(self, process: BridgeProcess) -> None:
        self._process = process
        self._ctx = zmq.asyncio.Context.instance()
        # One socket per event loop. A plain dict: a loop's reader task refers
        # to the loop, so weak keys would never go; closed loops are pruned.
        self._states: dict[asyncio.AbstractEventLoop, _LoopState] = {}
        atexit.register(self.close)

    def close(self) -> None:
        """Close every loop's socket (registered to run at exit)."""
        for st in self._states.values():
            st.socket.close(linger=0)
        self._states.clear()

    def _state(self) -> _LoopState:
        loop = asyncio.get_running_loop()
        for old in [lp for lp in self._states if lp.is_closed()]:  # their reader tasks died with them
            self._states.pop(old).socket.close(linger=0)
        st = self._states.get(loop)
        if st is not None and st.generation == self._process.generation and self._process.alive():
            return st
        if st is not None:
            self._fail_all(st, self._process.lost_error())
            st.close()
        conn = self._process.ensure()
        st = _LoopState(self._ctx, conn, self._process.generation)
        st.reader = loop.create_task(self._read_loop(st))
        self._states[loop] = st
        return st

    @staticmethod
    def _fail_all(st: _LoopState, exc: BaseException) -> None:
        for fut in st.pending.values():
            if not fut.done():
                fut.set_exception(exc)
        st.pending.clear()

    async def _read_loop(self, st: _LoopState) -> None:
        try:
            while True:
                if await st.socket.poll(int(_LIVENESS_INTERVAL_S * 1000)) == 0:
                    if not self._process.alive() or st.generation != self._process.generation:
                        self._fail_all(st, self._process.lost_error())
                        return
                    continue
                frames = await st.socket.recv_multipart()
                try:
                    header, payload = proto.decode_reply(frames)
                except proto.ProtocolError:
                    continue  # not ours to answer; the daemon logs its own errors
                if header.get("type") == "progress":
                    continue
                fut = st.pending.pop(str(header.get("id", "")), None)
                if fut is not None and not fut.done():
                    fut.set_result(Reply(header, payload))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # socket closed under us: fail waiters, don't hang them
            self._fail_all(st, ScadliveError(f"bridge connection failed: {exc}"))

    async def request(self, header: dict[str, Any], payload: list[bytes] | None = None,
                      timeout: float | None = None) -> Reply:
        """Send one request and wait for its terminal reply (errors raise RenderError)."""
        st = self._state()
        req_id = str(uuid.uuid4())
        header = {**header, "id": req_id}
        fut: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        st.pending[req_id] = fut
        await st.socket.send_multipart(proto.encode_request(header, payload or []))
        try:
            reply = await asyncio.wait_for(asyncio.shield(fut), timeout)
        except asyncio.TimeoutError:
            st.pending.pop(req_id, None)
            await self._send_cancel(st, req_id)
            raise RenderError("TIMEOUT", f"no reply within {timeout} s; the render was cancelled") from None
        except asyncio.CancelledError:
            # The caller's task was cancelled: cancel the render too.
            st.pending.pop(req_id, None)
            await self._send_cancel(st, req_id)
            raise
        return _raise_for_error(reply)

    async def _send_cancel(self, st: _LoopState, target: str) -> None:
        if self._process.alive():
            hdr = {"type": "cancel", "id": str(uuid.uuid4()), "target": target}
            await st.socket.send_multipart(proto.encode_request(hdr, []))


class SyncBridgeClient:
    """Blocking client for scripts and CLI-style use (``scadlive.render``)."""

    def __init__(self, process: BridgeProcess) -> None:
        self._process = process
        self._ctx = zmq.Context.instance()
        self._socket: zmq.Socket[bytes] | None = None
        self._generation = -1
        atexit.register(self.close)

    def close(self) -> None:
        """Close the socket (registered to run at exit)."""
        if self._socket is not None:
            self._socket.close(linger=0)
            self._socket = None

    def _sock(self) -> zmq.Socket[bytes]:
        if self._socket is None or self._generation != self._process.generation or not self._process.alive():
            if self._socket is not None:
                self._socket.close(linger=0)
            conn = self._process.ensure()
            self._socket = self._ctx.socket(zmq.DEALER)
            self._socket.setsockopt(zmq.LINGER, 0)
            conn.connect(self._socket)
            self._generation = self._process.generation
        return self._socket

    def request(self, header: dict[str, Any], payload: list[bytes] | None = None,
                timeout: float | None = None, cancel: "threading.Event | None" = None) -> Reply:
        """Send one request and wait for its reply; setting ``cancel`` (from another
        thread) cancels the render in the bridge and raises RenderError CANCELLED."""
        sock = self._sock()
        req_id = str(uuid.uuid4())
        sock.send_multipart(proto.encode_request({**header, "id": req_id}, payload or []))
        import time
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            wait_ms = int(_LIVENESS_INTERVAL_S * 1000)
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    sock.send_multipart(proto.encode_request(
                        {"type": "cancel", "id": str(uuid.uuid4()), "target": req_id}, []))
                    raise RenderError("TIMEOUT", f"no reply within {timeout} s; the render was cancelled")
                wait_ms = min(wait_ms, max(1, int(left * 1000)))
            if cancel is not None and cancel.is_set():
                sock.send_multipart(proto.encode_request(
                    {"type": "cancel", "id": str(uuid.uuid4()), "target": req_id}, []))
                raise RenderError("CANCELLED", "the render was cancelled")
            if sock.poll(wait_ms):
                header_in, payload_in = proto.decode_reply(sock.recv_multipart())
                if header_in.get("id") == req_id and header_in.get("type") != "progress":
                    return _raise_for_error(Reply(header_in, payload_in))
            elif not self._process.alive():
                raise self._process.lost_error()
